// The broker's one way out: every record the broker layer writes (broker::async_publish,
// publishers, a handler's ctx.publish, return-value replies, dead letters, requests) goes
// through publish_path, which writes the wire headers (wire.hpp) in one place, reports spans
// and produces on the broker's producer.
#pragma once

#include <asiokafka/config/composed_config.hpp>
#include <asiokafka/detail/outbound.hpp>
#include <asiokafka/log.hpp>
#include <asiokafka/metrics.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/publish.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

namespace asiokafka::detail {

/// What a publish inherits from the message being handled: its correlation id and the
/// handler's span. Default: nothing (a publish outside any handler).
struct publish_origin {
  std::optional<std::string_view> correlation_id{};
  const trace_context* span = nullptr;
};

/// Writes the wire headers into `out.rec.headers`, in one place for every publish: the
/// content-type, correlation_id (given, else the origin's, else new), reply_to, and the
/// traceparent/tracestate of `span` (the publish span). A content-type, correlation_id or
/// reply_to the caller already put in the record wins (a hyphenated one is written again in
/// FastStream's spelling); a traceparent is replaced by the span's. A record with
/// `verbatim_headers` (a dead letter) is left as it is. Pure: no I/O.
void write_wire_headers(outbound_record& out, const publish_origin& origin, const trace_context& span);

/// A span event stamped now with what every span has; the caller adds the rest (subscriber,
/// partition, offset, error). Views must outlive the sink call.
span_event make_span_event(span_event::kind kind, span_event::phase phase, std::string_view name,
                           const trace_context& context, std::optional<trace_context::span_id_type> parent,
                           std::string_view topic, std::string_view correlation_id);

/// The correlation id `write_wire_headers` wrote (or found) in `r`.
std::string_view written_correlation_id(const record& r) noexcept;

class publish_path : public std::enable_shared_from_this<publish_path> {
 public:
  using handler_type = boost::asio::any_completion_handler<void(error_code, delivery_report)>;

  /// `make_config` composes the producer's configuration when the first record is published;
  /// `token_provider` (may be empty) makes its OAUTHBEARER tokens.
  publish_path(boost::asio::any_io_executor ex, std::function<composed_config()> make_config, log_sink log,
               oauthbearer_token_provider token_provider, span_sink on_span);
  /// When a publish completes: when its delivery report arrives, or, in a transaction, once
  /// the producer accepted the record (the commit flushes it and fails if it failed; the
  /// report then has the partition asked for, or -1, and offset offsets::invalid).
  enum class completion { delivered, accepted };

  /// The same on an existing strand: an exactly-once subscriber's path, whose transactional
  /// producer lives on the subscriber's strand and reports its errors, fatal ones included, to
  /// `on_error` (empty: the log).
  publish_path(boost::asio::strand<boost::asio::any_io_executor> strand, std::function<composed_config()> make_config,
               log_sink log, oauthbearer_token_provider token_provider, span_sink on_span, completion c,
               error_sink on_error = {});

  /// On strand(): the producer, made now if there is none.
  producer& producer_here();
  /// completion::accepted: the first failure of a record since the last call (refused or not
  /// delivered), if any. Read after a flush, it tells whether a transaction lost a record.
  error_code take_failure() noexcept { return std::exchange(failure_, error_code{}); }

  /// Any thread. Writes the headers at once (`origin` is read during the call only), then
  /// produces on the broker's strand. Completes like producer::async_produce: on the
  /// handler's associated executor, cancellable while waiting for queue space. A record whose
  /// encoder failed (encode_failure) is logged and not produced: it completes with
  /// error::encode_failed, its span's error text the encoder's message.
  void start(outbound_record r, const publish_origin& origin, handler_type handler);

  /// The same as a coroutine; throws boost::system::system_error naming the topic (and the
  /// encoder's message) on failure.
  boost::asio::awaitable<delivery_report> publish(outbound_record r, const publish_origin& origin);

  /// On the broker's strand: flushes and closes the producer (if one was made); later
  /// publishes make a new one.
  boost::asio::awaitable<error_code> close();
  /// On strand(): destroys the producer without waiting for what it still holds (purged; a
  /// producer that failed fatally may not report its records for minutes).
  void discard() noexcept { producer_.reset(); }

  const boost::asio::strand<boost::asio::any_io_executor>& strand() const noexcept { return strand_; }
  const span_sink& on_span() const noexcept { return on_span_; }
  const log_sink& log() const noexcept { return log_; }
  /// The broker's token provider, for every client the broker makes (may be empty).
  const oauthbearer_token_provider& token_provider() const noexcept { return token_provider_; }
  /// The producer's latest librdkafka statistics, if any. Thread-safe.
  std::optional<client_metrics> statistics() const;

 private:
  template <class Handler>
  void produce(record rec, Handler&& h);
  // Completes a publish whose value could not be encoded with error::encode_failed.
  template <class Handler>
  void refuse(std::string topic, Handler&& h);

  completion completion_ = completion::delivered;
  error_code failure_{};  // completion::accepted, on strand_
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::function<composed_config()> make_config_;
  log_sink log_;
  oauthbearer_token_provider token_provider_;
  span_sink on_span_;
  error_sink on_error_;
  std::unique_ptr<producer> producer_;  // on strand_
  mutable std::mutex statistics_mutex_;
  std::optional<client_metrics> statistics_;
};

}  // namespace asiokafka::detail
