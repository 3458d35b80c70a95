// The producer above the client core: records waiting for queue space, records in librdkafka
// awaiting their delivery report, flush and close waiters.
#pragma once

#include <asiokafka/producer.hpp>

#include "detail/client_core.hpp"
#include "detail/handler_box.hpp"
#include "detail/pending_ops.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <librdkafka/rdkafka.h>

#include <deque>
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
  void start_produce(record r, report_handler h);  // h may be empty: fire-and-forget
  void start_flush(plain_handler h);
  void start_close(plain_handler h);

  std::size_t in_flight() const noexcept { return waiting_.size() + sent_; }
  std::uint64_t delivered() const noexcept { return delivered_; }
  std::uint64_t failed() const noexcept { return failed_; }

 private:
  struct produce_op {
    std::uint64_t id = 0;
    record rec;
    handler_box<void(error_code, delivery_report)> handler;
    boost::asio::cancellation_slot slot;
  };
  struct flush_waiter {
    std::uint64_t id = 0;
    handler_box<void(error_code)> handler;
    boost::asio::cancellation_slot slot;
  };

  void drain();
  void handle_delivery(rd_kafka_event_t* ev);
  // Hands the record to librdkafka; returns false (leaving `op` intact) when its queue is full.
  bool try_send(produce_op& op);
  void send_waiting();
  void complete(produce_op& op, const error_code& ec, delivery_report dr, completion_mode mode);
  void check_flush();
  void complete_flushes(const error_code& ec);
  void cancel_waiting(std::uint64_t id, boost::asio::cancellation_type type);
  void cancel_flush(std::uint64_t id, boost::asio::cancellation_type type);

  client_core core_;
  rd_kafka_t* rk_;
  rd_kafka_queue_t* main_q_;

  std::deque<produce_op> waiting_;                        // queue full: in order
  std::unordered_map<std::uint64_t, produce_op> pending_; // in librdkafka, with a handler
  std::size_t sent_ = 0;                                  // in librdkafka, all kinds
  std::deque<flush_waiter> flushes_;
  handler_box<void(error_code)> close_handler_;
  bool closed_ = false;
  std::uint64_t next_id_ = 1;
  std::uint64_t delivered_ = 0;
  std::uint64_t failed_ = 0;
};

}  // namespace asiokafka::detail
