// The consumer above the client core: the local message buffer and the receives waiting on
// it, commits in flight, rebalance handling and close. Decisions without I/O live beside it
// (flow_gate.hpp, close_sequence.hpp, offset_tracker.hpp); the member functions are defined
// by topic in consumer_impl.cpp (events, lifetime), consumer_receive.cpp (buffer, receives,
// flow control, pause/seek), consumer_commit.cpp, consumer_rebalance.cpp (membership) and
// consumer_close.cpp.
#pragma once

#include <asiokafka/consumer.hpp>
#include <asiokafka/consumer_options.hpp>
#include <asiokafka/message.hpp>
#include <asiokafka/topic_partition.hpp>
#include "detail/offset_tracker.hpp"

#include "consumer/close_sequence.hpp"
#include "consumer/flow_gate.hpp"
#include "detail/client_core.hpp"
#include "detail/handler_box.hpp"
#include "detail/pending_ops.hpp"

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

  const boost::asio::any_io_executor& executor() const noexcept { return core_.executor(); }
  rd_kafka_t* rk() const noexcept { return rk_; }

  void subscribe(const std::vector<std::string>& topics);
  void unsubscribe();
  void assign(const topic_partition_list& partitions);
  topic_partition_list assignment() const;
  std::string member_id() const;

  // The operations behind consumer::async_*; each named as the consumer's forwarder.
  // `direct`: the handler runs on this consumer's executor, so the drain may invoke it in
  // place (detail::runs_on).
  void start_receive(single_handler h, bool direct);
  message try_receive(error_code& ec);
  void start_receive_batch(std::size_t max, batch_handler h, bool direct);
  void cancel_receives();

  error_code store_offset(const message& msg);
  void start_commit(topic_partition_list offsets, commit_scope scope, plain_handler h);

  void pause(const topic_partition_list& partitions);
  void resume(const topic_partition_list& partitions);
  void seek(const topic_partition& tp);
  topic_partition_list position(const topic_partition_list& partitions) const;

  void start_committed(topic_partition_list partitions, std::chrono::milliseconds timeout,
                       boost::asio::any_completion_handler<void(error_code, topic_partition_list)> h);
  void start_watermarks(std::string topic, std::int32_t partition, std::chrono::milliseconds timeout,
                        boost::asio::any_completion_handler<void(error_code, watermarks)> h);
  void start_offsets_for_times(topic_partition_list partitions, std::chrono::milliseconds timeout,
                               boost::asio::any_completion_handler<void(error_code, topic_partition_list)> h);
  void start_seek_to_time(topic_partition_list partitions, std::chrono::milliseconds timeout,
                          boost::asio::any_completion_handler<void(error_code, topic_partition_list)> h);

  void start_close(plain_handler h);

  error_code fatal_error() const { return fatal_; }
  const std::string& fatal_reason() const { return fatal_reason_; }
  std::size_t buffered() const { return buffer_.size(); }

 private:
  using key = offset_tracker::key;

  struct receive_waiter {
    std::uint64_t id = 0;
    std::size_t max = 0;  // 0: single receive
    bool direct = false;  // the drain invokes the handler in place
    handler_box<void(error_code, message)> single;
    handler_box<void(error_code, std::vector<message>)> batch;
    boost::asio::cancellation_slot slot;
  };
  struct commit_waiter {
    handler_box<void(error_code)> handler;
    boost::asio::cancellation_slot slot;
  };

  // consumer_impl.cpp: the event loop and fatal errors.
  void arm_keepalive();
  void drain();
  // `bounded`: stops while the flow gate says the buffer is full (the consumer queue).
  void serve(rd_kafka_queue_t* q, bool bounded = false);
  void handle_event(rd_kafka_event_t* ev);
  void handle_fetch(rd_kafka_event_t* ev);
  void handle_error_event(rd_kafka_event_t* ev);
  void enter_fatal(const error_code& ec, std::string reason);

  // consumer_receive.cpp
  void submit_receive(receive_waiter w);
  void deliver();
  void complete_receive(receive_waiter& w, const error_code& ec, completion_mode mode);
  void fail_receives(const error_code& ec);
  message take_message();
  void flow_control();
  void execute_flow(flow_action action);
  void set_assignment_paused(bool pause);
  void cancel_receive(std::uint64_t id, boost::asio::cancellation_type type);
  void drop_buffered(const topic_partition_list& parts);
  void purge_partitions(const topic_partition_list& parts);
  void pause_for_flow(const topic_partition_list& parts);

  // consumer_commit.cpp
  void handle_commit_result(rd_kafka_event_t* ev);
  void defer_store(std::string_view topic, std::int32_t partition, std::int64_t next);
  void flush_stores();
  void cancel_commit(std::uint64_t id, boost::asio::cancellation_type type);
  void send_commit(const topic_partition_list& offsets, commit_scope scope, std::uint64_t id);
  // False when no commit with this id is pending.
  bool complete_commit(std::uint64_t id, const error_code& ec, completion_mode mode);
  void fail_commits(const error_code& ec);

  // consumer_rebalance.cpp
  void start_rebalance_driver();
  boost::asio::awaitable<void> rebalance_driver();
  boost::asio::awaitable<void> run_rebalance(rd_kafka_event_t* ev);
  std::size_t assignment_size() const;
  void log_rebalance(std::string_view kind, const topic_partition_list& parts, std::size_t assigned_after);
  void report_rebalance_error(const error_code& ec, std::string_view operation, const topic_partition_list& parts);
  boost::asio::awaitable<void> run_hook(const partition_hook& hook, const topic_partition_list& parts,
                                        const char* name);

  // consumer_close.cpp
  void open_close_queue();
  void check_closed();
  void finish_close(const error_code& ec);

  consumer_options opts_;
  client_core core_;
  rd_kafka_t* rk_;
  rd_kafka_queue_t* consumer_q_ = nullptr;  // group queue; main queue forwarded into it
  rd_kafka_queue_t* ops_q_ = nullptr;       // results of our own commit requests
  rd_kafka_queue_t* close_q_ = nullptr;     // group queue forwarded here while closing
  boost::asio::steady_timer keepalive_;
  std::chrono::milliseconds keepalive_period_;

  std::deque<message> buffer_;
  std::map<key, std::deque<message>> held_;  // buffered messages of user-paused partitions
  std::set<key> user_paused_;
  flow_gate flow_;
  // How long a full buffer holds librdkafka's queue before the assignment is paused.
  static constexpr std::chrono::milliseconds flow_hold_time{100};
  boost::asio::steady_timer hold_timer_;

  std::deque<receive_waiter> waiters_;
  std::map<std::uint64_t, commit_waiter> commits_;
  std::uint64_t next_id_ = 1;
  bool draining_ = false;

  bool track_offsets_ = false;
  offset_tracker tracker_;
  topic_partition_list pending_stores_;  // offsets to store, one per partition (defer_store)
  static constexpr std::size_t store_batch = 64;
  std::size_t deferred_stores_ = 0;
  bool store_flush_posted_ = false;

  std::deque<rd_kafka_event_t*> rebalances_;
  bool rebalancing_ = false;
  std::uint64_t rebalance_events_ = 0;

  close_sequence close_seq_;
  handler_box<void(error_code)> close_handler_;
  error_code fatal_;
  std::string fatal_reason_;
};

}  // namespace asiokafka::detail
