// The consumer's state machine: one librdkafka handle, its queues bridged to the reactor, the
// local message buffer, pending operations, rebalance handling and close.
#pragma once

#include <asiokafka/consumer_options.hpp>
#include <asiokafka/detail/offset_tracker.hpp>
#include <asiokafka/message.hpp>
#include <asiokafka/topic_partition.hpp>

#include "detail/handler_box.hpp"
#include "detail/queue_waker.hpp"
#include "detail/rd_handle.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace asiokafka {
class composed_config;
}

namespace asiokafka::detail {

using single_handler = boost::asio::any_completion_handler<void(error_code, message)>;
using batch_handler = boost::asio::any_completion_handler<void(error_code, std::vector<message>)>;
using plain_handler = boost::asio::any_completion_handler<void(error_code)>;

class consumer_impl : public std::enable_shared_from_this<consumer_impl> {
 public:
  consumer_impl(boost::asio::any_io_executor ex, const composed_config& config, consumer_options options);
  consumer_impl(const consumer_impl&) = delete;
  consumer_impl& operator=(const consumer_impl&) = delete;
  ~consumer_impl();

  /// Arms the queue wake-up and the keep-alive timer (needs shared_from_this()).
  void start();
  /// Abrupt stop (owner destroyed): pending operations complete with error::closed.
  void shutdown();

  const boost::asio::any_io_executor& executor() const noexcept { return ex_; }
  rd_kafka_t* rk() const noexcept { return rk_; }

  void subscribe(const std::vector<std::string>& topics);
  void unsubscribe();
  void assign(const topic_partition_list& partitions);
  topic_partition_list assignment() const;
  std::string member_id() const;

  void receive(single_handler h);
  void receive_batch(std::size_t max, batch_handler h);
  void cancel_receives();

  error_code store_offset(const message& msg);
  void commit(topic_partition_list offsets, bool explicit_offsets, plain_handler h);

  void pause(const topic_partition_list& partitions);
  void resume(const topic_partition_list& partitions);
  void seek(const topic_partition& tp);
  topic_partition_list position(const topic_partition_list& partitions) const;

  void committed(topic_partition_list partitions, std::chrono::milliseconds timeout,
                 boost::asio::any_completion_handler<void(error_code, topic_partition_list)> h);
  void query_watermarks(std::string topic, std::int32_t partition, std::chrono::milliseconds timeout,
                        boost::asio::any_completion_handler<void(error_code, watermarks)> h);

  void close(plain_handler h);

  error_code fatal_error() const { return fatal_; }
  const std::string& fatal_reason() const { return fatal_reason_; }
  std::size_t buffered() const { return buffer_.size(); }

 private:
  using key = offset_tracker::key;

  struct receive_waiter {
    std::uint64_t id = 0;
    std::size_t max = 0;  // 0: single receive
    handler_box<void(error_code, message)> single;
    handler_box<void(error_code, std::vector<message>)> batch;
    boost::asio::cancellation_slot slot;
  };
  struct commit_waiter {
    handler_box<void(error_code)> handler;
    boost::asio::cancellation_slot slot;
  };

  void wait_for_events();
  void arm_keepalive();
  void drain();
  void drain_queue(rd_kafka_queue_t* q);
  void handle_event(rd_kafka_event_t* ev);
  void handle_fetch(rd_kafka_event_t* ev);
  void handle_commit_result(rd_kafka_event_t* ev);
  void handle_error_event(rd_kafka_event_t* ev);
  void enter_fatal(const error_code& ec, std::string reason);

  void start_receive(receive_waiter w);
  void deliver();
  void complete_receive(receive_waiter& w, const error_code& ec, bool post);
  message take_message();
  void flow_control();
  void erase_waiter(std::uint64_t id);

  void start_rebalance_driver();
  boost::asio::awaitable<void> rebalance_driver();
  boost::asio::awaitable<void> run_rebalance(rd_kafka_event_t* ev);
  boost::asio::awaitable<void> run_hook(const partition_hook& hook, const topic_partition_list& parts,
                                        const char* name);
  void drop_buffered(const topic_partition_list& parts);
  void purge_partitions(const topic_partition_list& parts);
  void pause_for_flow(const topic_partition_list& parts);

  void send_commit(const topic_partition_list& offsets, bool explicit_offsets, std::uint64_t id);
  void check_closed();
  void finish_close(const error_code& ec);

  void report(const error_code& ec, std::string_view context);
  void log(log_level level, std::string_view facility, std::string_view line);

  boost::asio::any_io_executor ex_;
  consumer_options opts_;
  std::shared_ptr<rd_handle> handle_;
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* consumer_q_ = nullptr;  // group queue; main queue forwarded into it
  rd_kafka_queue_t* ops_q_ = nullptr;       // results of our own commit requests
  rd_kafka_queue_t* close_q_ = nullptr;     // group queue forwarded here while closing
  queue_waker waker_;
  boost::asio::steady_timer keepalive_;
  std::chrono::milliseconds keepalive_period_;
  bool waiting_ = false;

  std::deque<message> buffer_;
  std::map<key, std::deque<message>> held_;  // buffered messages of user-paused partitions
  std::set<key> user_paused_;
  bool flow_paused_ = false;
  std::size_t high_watermark_;

  std::deque<receive_waiter> waiters_;
  std::map<std::uint64_t, commit_waiter> commits_;
  std::uint64_t next_id_ = 1;
  bool draining_ = false;

  bool track_offsets_ = false;
  offset_tracker tracker_;

  std::deque<rd_kafka_event_t*> rebalances_;
  bool rebalancing_ = false;

  enum class state { open, closing, closed };
  state state_ = state::open;
  handler_box<void(error_code)> close_handler_;
  error_code fatal_;
  std::string fatal_reason_;
};

}  // namespace asiokafka::detail
