// The admin client's plumbing: one client core whose main queue carries both the client's own
// events (errors, logs, statistics) and every admin result, matched to its pending operation
// by the opaque id each request carries.
#pragma once

#include <asiokafka/admin.hpp>

#include "detail/client_core.hpp"
#include "detail/handler_box.hpp"
#include "detail/pending_ops.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/steady_timer.hpp>

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace asiokafka::detail {

/// Owns librdkafka admin options; `with_options` makes them for one request.
struct admin_options_deleter {
  void operator()(rd_kafka_AdminOptions_t* o) const noexcept { rd_kafka_AdminOptions_destroy(o); }
};
using admin_options_ptr = std::unique_ptr<rd_kafka_AdminOptions_t, admin_options_deleter>;

class admin_impl : public std::enable_shared_from_this<admin_impl> {
 public:
  admin_impl(boost::asio::any_io_executor ex, const composed_config& config, admin_options options);

  void start();
  /// Completes every pending operation with error::closed; later results are dropped.
  void shutdown();

  const boost::asio::any_io_executor& executor() const noexcept { return core_.executor(); }
  rd_kafka_t* rk() const noexcept { return core_.rk(); }
  const std::shared_ptr<rd_handle>& handle() const noexcept { return core_.handle(); }

  /// Completes `h` now (posted) without a request: nothing was left to ask the broker.
  template <class R>
  void complete_now(boost::asio::any_completion_handler<void(error_code, R)> h, error_code ec, R result) {
    core_.complete(completion_mode::post, std::move(h), ec, std::move(result));
  }

  /// Sends one request: `send(rk, options, queue)` calls the librdkafka admin function with
  /// options carrying this operation's id and timeouts; the result event is turned into R by
  /// `parse` (called only for an event without a request-level error) and completes `h`.
  template <class R, class Send>
  void request(rd_kafka_admin_op_t kind, call_options call, std::function<R(rd_kafka_event_t*)> parse,
               boost::asio::any_completion_handler<void(error_code, R)> h, Send&& send) {
    auto op = std::make_unique<typed_op<R>>(std::move(h), std::move(parse));
    const std::uint64_t id = next_id_++;
    error_code ec = closed_ ? make_error_code(error::closed) : error_code{};
    admin_options_ptr options;
    if (!ec) options = make_options(kind, call, id, ec);
    if (ec) {
      op->finish(*this, ec, nullptr, completion_mode::post);
      return;
    }
    enlist(id, std::move(op), deadline_for(kind, call));
    send(rk(), options.get(), main_q_);
  }

 private:
  struct op_base {
    virtual ~op_base() = default;
    /// `ev` null: complete with `ec` (closed, cancelled) and an empty result.
    virtual void finish(admin_impl& self, error_code ec, rd_kafka_event_t* ev, completion_mode mode) = 0;
    virtual boost::asio::cancellation_slot slot() const noexcept = 0;
  };

  template <class R>
  struct typed_op final : op_base {
    typed_op(boost::asio::any_completion_handler<void(error_code, R)> h, std::function<R(rd_kafka_event_t*)> p)
        : handler(std::move(h)), parse(std::move(p)) {}
    void finish(admin_impl& self, error_code ec, rd_kafka_event_t* ev, completion_mode mode) override {
      R result{};
      if (ev) {
        ec = self.request_error(ev);
        if (!ec) result = parse(ev);
      }
      self.core_.complete(mode, handler.take(), ec, std::move(result));
    }
    boost::asio::cancellation_slot slot() const noexcept override { return handler.slot(); }

    handler_box<void(error_code, R)> handler;
    std::function<R(rd_kafka_event_t*)> parse;
  };

  struct pending_op {
    std::uint64_t id = 0;
    boost::asio::cancellation_slot slot{};
    std::unique_ptr<op_base> op{};
    /// A request to a group coordinator: asiokafka's own timeout (see deadline_for).
    std::unique_ptr<boost::asio::steady_timer> deadline{};
  };

  /// librdkafka (2.0.2 to at least 2.14.2) must never time out a request to a group
  /// coordinator while it waits for that coordinator: when the coordinator comes back, it
  /// releases the timed-out request twice and the process aborts ("eonce->refcnt > 0"). Such
  /// requests (group offsets, describe and delete groups) get librdkafka's longest timeout, and
  /// asiokafka completes them after `call.timeout` itself, with _TIMED_OUT; the request stays
  /// with librdkafka until the coordinator answers, and that answer is discarded. Returns the
  /// timeout to keep, or none (not a coordinator request, or no timeout).
  static std::optional<std::chrono::milliseconds> deadline_for(rd_kafka_admin_op_t kind, call_options call);

  /// Sets `ec` (_INVALID_ARG, logged with librdkafka's reason) when it refuses the timeout.
  admin_options_ptr make_options(rd_kafka_admin_op_t kind, call_options call, std::uint64_t id, error_code& ec);
  /// Registers the operation, connects its cancellation slot and starts its deadline, if any.
  void enlist(std::uint64_t id, std::unique_ptr<op_base> op, std::optional<std::chrono::milliseconds> deadline);
  /// The deadline of a coordinator request passed: it completes with _TIMED_OUT.
  void expire(std::uint64_t id);
  void cancel(std::uint64_t id, boost::asio::cancellation_type type);
  void drain();
  void handle_result(rd_kafka_event_t* ev);
  /// The request-level error of a result event (logged with librdkafka's text), or none.
  error_code request_error(rd_kafka_event_t* ev);

  client_core core_;
  rd_kafka_queue_t* main_q_;
  std::vector<pending_op> pending_;
  std::uint64_t next_id_ = 1;
  bool closed_ = false;
};

}  // namespace asiokafka::detail
