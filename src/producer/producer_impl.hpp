// The producer above the client core: records waiting for queue space, records in librdkafka
// awaiting their delivery report, flush and close waiters.
#pragma once

#include <asiokafka/producer.hpp>

#include "detail/client_core.hpp"
#include "detail/handler_box.hpp"
#include "detail/pending_ops.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/thread_pool.hpp>

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

namespace asiokafka::detail {

class producer_impl : public std::enable_shared_from_this<producer_impl> {
 public:
  using report_handler = boost::asio::any_completion_handler<void(error_code, delivery_report)>;
  using plain_handler = boost::asio::any_completion_handler<void(error_code)>;

  producer_impl(boost::asio::any_io_executor ex, const composed_config& config, producer_options options);
  producer_impl(const producer_impl&) = delete;
  producer_impl& operator=(const producer_impl&) = delete;
  ~producer_impl();

  void start();
  void shutdown();

  const boost::asio::any_io_executor& executor() const noexcept { return core_.executor(); }
  rd_kafka_t* rk() const noexcept { return rk_; }

  // The operations behind producer::async_*; each named as the producer's forwarder.
  // h may be empty: fire-and-forget. `direct`: h runs on this producer's executor, so the
  // drain may invoke it in place (detail::runs_on).
  void start_produce(record r, report_handler h, bool direct);
  void start_flush(plain_handler h);
  void start_close(plain_handler h);

  // Transactions (producer_transactions.cpp): each blocking librdkafka call runs on the
  // producer's worker thread (started by the first call); one at a time.
  void start_init_transactions(std::chrono::milliseconds timeout, plain_handler h);
  void begin_transaction();
  void start_send_offsets(topic_partition_list offsets, rd_kafka_t* consumer_rk, std::chrono::milliseconds timeout,
                          plain_handler h);
  void start_commit_transaction(std::chrono::milliseconds timeout, plain_handler h);
  void start_abort_transaction(std::chrono::milliseconds timeout, plain_handler h);

  std::size_t in_flight() const noexcept { return waiting_.size() + sent_; }
  std::uint64_t delivered() const noexcept { return delivered_; }
  std::uint64_t failed() const noexcept { return failed_; }

 private:
  struct produce_op {
    std::uint64_t id = 0;
    record rec;
    handler_box<void(error_code, delivery_report)> handler;
    boost::asio::cancellation_slot slot;
    bool direct = false;  // the drain invokes the handler in place
  };
  struct flush_waiter {
    std::uint64_t id = 0;
    handler_box<void(error_code)> handler;
    boost::asio::cancellation_slot slot;
  };

  void drain();
  // To the error sink; a fatal error as its cause, classified fatal (is_fatal() holds).
  void report_error(rd_kafka_event_t* ev);
  // A record produced without a handler failed: its only report is the error sink's.
  void report_delivery_failure(const produce_op& op, const error_code& ec);
  void handle_delivery(rd_kafka_event_t* ev);
  // Hands the record to librdkafka; returns false (leaving `op` intact) when its queue is full.
  bool try_send(produce_op& op);
  void send_waiting();
  void complete(produce_op& op, const error_code& ec, delivery_report dr, completion_mode mode);
  void check_flush();
  void complete_flushes(const error_code& ec);
  void cancel_waiting(std::uint64_t id, boost::asio::cancellation_type type);
  void cancel_flush(std::uint64_t id, boost::asio::cancellation_type type);

  // Refuses a transaction call (posting the error) while another is in flight or after close.
  bool refuse_transaction_call(plain_handler& h);
  // Runs `call(rk)` (a blocking librdkafka transaction call returning rd_kafka_error_t*) on
  // transaction_worker_ and completes `h` with its classified error on the event loop.
  void commit_now(std::chrono::milliseconds timeout, plain_handler h);
  // Starts the commit that waited for waiting_ to empty, if any.
  void start_deferred_commit();
  // A watchdog completes `h` with error::transaction_stalled when the call has not returned
  // by `timeout` plus a grace; the producer then refuses every later transaction call.
  void run_transaction_call(std::string what, std::chrono::milliseconds timeout,
                            std::function<rd_kafka_error_t*(rd_kafka_t*)> call, plain_handler h);

  client_core core_;
  rd_kafka_t* rk_;
  rd_kafka_queue_t* main_q_;

  std::deque<produce_op> waiting_;                         // queue full: in order
  std::unordered_map<std::uint64_t, produce_op> pending_;  // in librdkafka, with a handler
  std::size_t sent_ = 0;                                   // in librdkafka, all kinds
  std::deque<flush_waiter> flushes_;
  handler_box<void(error_code)> close_handler_;
  bool closed_ = false;
  bool transaction_call_pending_ = false;
  bool transaction_stalled_ = false;  // a call outlived its timeout and grace (error::transaction_stalled)
  // A commit waiting for the records still in waiting_ to reach librdkafka.
  struct deferred_commit {
    std::chrono::milliseconds timeout;
    plain_handler handler;
  };
  std::optional<deferred_commit> commit_when_sent_;
  std::uint64_t next_id_ = 1;
  std::uint64_t delivered_ = 0;
  std::uint64_t failed_ = 0;
  // One thread for the transaction calls, made by the first; destroyed (joined) with the
  // producer, which a call in flight keeps alive: by then the worker has nothing left to run.
  std::optional<boost::asio::thread_pool> transaction_worker_;
};

}  // namespace asiokafka::detail
