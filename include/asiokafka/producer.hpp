// asiokafka::producer - a Kafka producer that lives in an Asio event loop.
//
// Delivery reports arrive on librdkafka's main queue, which signals an eventfd watched by the
// reactor; every wake-up drains the queue. No polling thread, no sleep loop.
#pragma once

#include <asiokafka/detail/bound_initiation.hpp>
#include <asiokafka/error.hpp>
#include <asiokafka/log.hpp>
#include <asiokafka/sinks.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asiokafka {

class composed_config;

namespace detail {
class producer_impl;
}

struct header {
  std::string name{};
  std::optional<std::string> value{};  // nullopt: a header with a null value
};

/// One record to produce. Owned data: it may wait for queue space after the call returns.
struct record {
  std::string topic{};
  std::optional<std::int32_t> partition{};  // nullopt: the partitioner chooses
  std::optional<std::string> key{};         // nullopt: null key
  std::optional<std::string> value{};       // nullopt: null value (a tombstone)
  std::vector<header> headers{};
  std::optional<std::chrono::system_clock::time_point> timestamp{};  // nullopt: now
};

/// Where librdkafka stored a record.
struct delivery_report {
  std::string topic{};
  std::int32_t partition = -1;
  std::int64_t offset = -1;
};

struct producer_options {
  /// Failed deliveries of fire-and-forget produce() calls and client errors, with context
  /// ("topic[partition]"). Default: the log sink at warning level.
  error_sink on_error{};
  /// librdkafka's statistics JSON (statistics.interval.ms), on the producer's executor.
  statistics_sink on_statistics{};
  /// Default: log_to_stderr().
  log_sink log{};
};

/// A Kafka producer bound to an executor.
///
/// Thread safety: not thread-safe; use it from its executor (a strand on a multi-threaded
/// io_context). Handlers run on their associated executor (the producer's by default).
/// Destruction without async_close() purges undelivered records: their operations complete
/// with error::closed.
class producer {
 public:
  using executor_type = boost::asio::any_io_executor;

  /// Throws config_error / system_error when librdkafka rejects the configuration.
  producer(executor_type ex, const composed_config& config, producer_options options = {});
  producer(producer&&) noexcept;
  producer& operator=(producer&&) noexcept;
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;
  ~producer();

  executor_type get_executor() const noexcept;

  /// Produces one record and completes with its delivery report.
  ///
  /// Completion signature: `void(error_code, delivery_report)`; completes when librdkafka
  /// delivered the record (acks as configured) or gave up on it (message.timeout.ms,
  /// unknown topic, ...). Never completes inline.
  /// Back-pressure: when librdkafka's queue is full (queue.buffering.max.messages/kbytes) the
  /// record waits here, in order, until delivery reports free space; nothing spins or blocks.
  /// Cancellation (terminal, partial, total): only while the record waits for queue space
  /// (it is then never produced); once handed to librdkafka it cannot be recalled.
  /// Errors: librdkafka's (kafka category), error::closed after close.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, delivery_report)) CompletionToken = boost::asio::deferred_t>
  auto async_produce(record r, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, delivery_report)>(
        detail::bound_initiation{this,
                                 [](producer& self, auto handler, record rec) {
                                   self.start_produce(std::move(rec), std::move(handler));
                                 }},
        token, std::move(r));
  }

  /// Fire-and-forget: produces the record (waiting for queue space like async_produce);
  /// failures go to producer_options::on_error and are counted in failed().
  void produce(record r);

  /// Completes when no record is outstanding (delivered or failed).
  ///
  /// Completion signature: `void(error_code)`. Cancellation: terminal, partial, total (the
  /// records keep going). Never completes inline.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) CompletionToken = boost::asio::deferred_t>
  auto async_flush(CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        detail::bound_initiation{this, [](producer& self, auto handler) { self.start_flush(std::move(handler)); }},
        token);
  }

  /// Flushes, then refuses further records (they complete with error::closed).
  /// Completion signature: `void(error_code)`. Cancellation: none.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) CompletionToken = boost::asio::deferred_t>
  auto async_close(CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        detail::bound_initiation{this, [](producer& self, auto handler) { self.start_close(std::move(handler)); }},
        token);
  }

  /// Records produced but not yet reported (including those waiting for queue space).
  std::size_t in_flight() const noexcept;
  /// Records reported delivered / failed since construction.
  std::uint64_t delivered() const noexcept;
  std::uint64_t failed() const noexcept;

  /// The underlying `rd_kafka_t*` (as void*).
  void* native_handle() const noexcept;

 private:
  void start_produce(record r, boost::asio::any_completion_handler<void(error_code, delivery_report)> handler);
  void start_flush(boost::asio::any_completion_handler<void(error_code)> handler);
  void start_close(boost::asio::any_completion_handler<void(error_code)> handler);

  std::shared_ptr<detail::producer_impl> impl_{};
};

}  // namespace asiokafka
