// asiokafka::broker - FastStream's programming model on Asio coroutines.
//
//   asiokafka::broker app(io.get_executor(), {.config = {.bootstrap_servers = "127.0.0.1:9092"}});
//   app.subscriber<order>({"orders"}, {.config = {.group_id = "billing"}},
//                         [](order o) -> asio::awaitable<void> { ... co_return; });
//   co_await app.async_run(asio::use_awaitable);     // until app.stop()
#pragma once

#include <asiokafka/asyncapi.hpp>
#include <asiokafka/broker_options.hpp>
#include <asiokafka/config.hpp>
#include <asiokafka/consumer_options.hpp>
#include <asiokafka/detail/bound_initiation.hpp>
#include <asiokafka/detail/handler_adapter.hpp>
#include <asiokafka/health.hpp>
#include <asiokafka/json.hpp>
#include <asiokafka/log.hpp>
#include <asiokafka/message.hpp>
#include <asiokafka/metrics.hpp>
#include <asiokafka/oauthbearer.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/publish.hpp>
#include <asiokafka/publisher.hpp>
#include <asiokafka/subscriber.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace asiokafka {

/// The application: subscribers, publishing, lifecycle.
///
/// Each subscriber owns its consumer and runs on its own strand of the broker's executor, so
/// on a multi-threaded io_context different subscribers run in parallel while one
/// subscriber's handlers never race (unless max_concurrency > 1, which still keeps
/// per-partition order). Several brokers may share one io_context.
///
/// Thread safety: register subscribers, middlewares and hooks before async_run(); stop(),
/// async_publish() and the statistics may be used from any thread.
class broker {
 public:
  using executor_type = boost::asio::any_io_executor;

  /// Throws config_error when `options.producer_config` sets transactional.id (the broker's
  /// publisher is shared, never transactional; see processing_guarantee::exactly_once).
  broker(executor_type ex, broker_options options);
  broker(const broker&) = delete;
  broker& operator=(const broker&) = delete;
  ~broker();

  executor_type get_executor() const noexcept;

  /// Registers a subscriber for `topics` (names starting with '^' are patterns), or, with no
  /// topics, for the explicit partitions of `options.partitions` (no group membership).
  ///
  /// `handler` is a coroutine taking `T` or `(T, context&)`; `T` is a described struct (or
  /// any type asiokafka::json decodes), boost::json::value, std::string (payload bytes) or
  /// `const message&` (raw); `std::optional<U>` of any of the others tells a tombstone (a
  /// null value: std::nullopt) from a value decoded as for U. A std::string subscriber gets ""
  /// for a tombstone and for an empty value alike; JSON types fail to decode a tombstone (the
  /// error policy). If it returns `awaitable<R>` with R non-void, the result is
  /// published (JSON, or as-is for strings) to the message's reply-to header topic, else to
  /// `options.output_topic`, with the input's key.
  ///
  /// A handler taking `std::vector<T>` or `(std::vector<T>, batch_context&)` (and not a
  /// single T) makes a batch subscriber, FastStream's `batch=True`: it gets up to
  /// `options.batch.max_records` records, or what arrived within `options.batch.max_wait`,
  /// in partition order (with max_concurrency > 1, each batch is one partition's). A record
  /// that cannot be decoded follows the error policy on its own and the handler gets the
  /// others; a handler that throws applies the policy to the whole batch (nack_on_error: the
  /// batch is handled again; reject_on_error: each of its records is dead-lettered); offsets
  /// are stored once the batch is done. It returns `awaitable<void>`; statistics count
  /// records. async_run throws config_error for a batch subscriber with ack_policy::manual or
  /// processing_guarantee::exactly_once, or with max_records 0 or max_wait not positive.
  /// Middlewares do not wrap batch handlers.
  ///
  /// Returns the subscriber's statistics, valid for the broker's lifetime.
  template <class T, class Handler>
  const subscriber_stats& subscriber(std::vector<std::string> topics, subscriber_options options, Handler handler) {
    name_subscriber(options, topics);
    if constexpr (detail::is_batch_handler_v<T, Handler>) {
      auto contracts = detail::batch_subscriber_contracts<T>(topics, options);
      return add_batch_subscriber(std::move(topics), std::move(options),
                                  detail::make_batch_handler<T>(std::move(handler), broker_decoder()),
                                  std::move(contracts));
    } else {
      auto contracts = detail::subscriber_contracts<T, Handler>(topics, options);
      return add_subscriber(std::move(topics), std::move(options),
                            detail::make_handler<T>(std::move(handler), broker_decoder()), std::move(contracts));
    }
  }

  /// The same with a custom decoder: `decode(const message&) -> T`, throwing on bad input.
  template <class T, class Handler, class Decoder>
  const subscriber_stats& subscriber(std::vector<std::string> topics, subscriber_options options, Handler handler,
                                     Decoder decode) {
    name_subscriber(options, topics);
    if constexpr (detail::is_batch_handler_v<T, Handler>) {
      auto contracts = detail::batch_subscriber_contracts<T>(topics, options);
      return add_batch_subscriber(std::move(topics), std::move(options),
                                  detail::make_batch_handler<T>(std::move(handler), std::move(decode)),
                                  std::move(contracts));
    } else {
      auto contracts = detail::subscriber_contracts<T, Handler>(topics, options);
      return add_subscriber(std::move(topics), std::move(options),
                            detail::make_handler<T>(std::move(handler), std::move(decode)), std::move(contracts));
    }
  }

  /// Declares that the application publishes T to `topic` (FastStream's
  /// `broker.publisher(topic)`): the returned publisher publishes like async_publish, and
  /// the broker's AsyncAPI document lists a send operation with T's schema. A publisher that
  /// outlives its broker completes its publishes with error::closed. Thread safety: declare
  /// before async_run(); the publisher's async_publish is as thread-safe as
  /// broker::async_publish.
  template <class T>
  asiokafka::publisher<T> publisher(std::string topic, std::string description = {}) {
    detail::require_broker_encodable<T>();
    add_publisher({detail::operation_contract::action::send,
                   "publish." + topic,
                   {topic},
                   detail::contract_of<T>(),
                   std::move(description),
                   {}});
    return asiokafka::publisher<T>(publish_link(), std::move(topic), {});
  }

  /// The same with an encoder of its own (message_encoder: T -> bytes and a content type),
  /// used for every value it publishes instead of the broker's encoding; the AsyncAPI
  /// document gives the publisher's messages the encoder's content type. An encoder without
  /// an encode function is the broker's encoding (std::invalid_argument for a T that the
  /// broker cannot encode).
  template <class T>
  asiokafka::publisher<T> publisher(std::string topic, message_encoder<T> encoder, std::string description = {}) {
    if (!detail::broker_encodable_v<T> && !encoder.encode)
      throw std::invalid_argument("asiokafka: the publisher of \"" + topic + "\" needs an encode function");
    auto contract = detail::contract_of<T>();
    if (encoder.encode) {
      contract.content_type = encoder.content_type;
      contract.json_encoded = false;
    }
    add_publisher({detail::operation_contract::action::send,
                   "publish." + topic,
                   {topic},
                   std::move(contract),
                   std::move(description),
                   {}});
    return asiokafka::publisher<T>(publish_link(), std::move(topic), std::move(encoder));
  }

  /// The AsyncAPI 3.0.0 document (JSON text) describing this application: its servers (from
  /// the bootstrap servers; protocol `kafka`, or `kafka-secure` when security.protocol uses
  /// TLS; never credentials), a channel per topic or pattern, a `receive` operation per
  /// subscriber with its Kafka group and client id, a `send` operation per declared publisher
  /// and per subscriber whose handler returns a value, and message schemas generated from the
  /// C++ types (json::schema_set). Throws config_error like async_run when a subscriber's
  /// configuration is invalid. Thread safety: like explain().
  std::string asyncapi(const asyncapi_info& info = {}) const;

  /// Adds a middleware around every handler call (outermost first).
  void use(middleware m);
  /// Coroutines run once before the subscribers start / after they all stopped, in the order
  /// registered. A startup hook that throws ends async_run with error::hook_failed before any
  /// subscriber starts (later startup hooks and the shutdown hooks do not run; what the hooks
  /// published is still flushed); a shutdown hook that throws does not keep the others from
  /// running, and async_run completes with error::hook_failed unless a subscriber failed
  /// fatally. Each failure is logged with the hook's position and exception message.
  void on_startup(std::function<boost::asio::awaitable<void>()> hook);
  void on_shutdown(std::function<boost::asio::awaitable<void>()> hook);

  /// Runs all subscribers until stop().
  ///
  /// Completion signature: `void(error_code)`: success after a graceful stop; the first
  /// fatal consumer error otherwise (the other subscribers are stopped gracefully then);
  /// error::hook_failed when a startup or shutdown hook threw (see on_startup);
  /// error::invalid_config when a subscriber's configuration is invalid (unknown key, bad
  /// value, conflicting scopes, duplicate static ids), before anything connects: the
  /// config_error naming key, scope and subscriber is logged (explain() throws it, to check a
  /// configuration before running); error::already_pending when the broker is running.
  /// Executor: the handler's associated executor, else the broker's; never inline.
  /// Cancellation: terminal, partial and total, all meaning stop(). Thread safety: any
  /// thread, once the subscribers are registered; the run's state lives on the broker's strand.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) CompletionToken = boost::asio::deferred_t>
  auto async_run(CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        detail::bound_initiation{this, [](broker& self, auto handler) { self.start_run(std::move(handler)); }}, token);
  }

  /// Graceful stop: stop fetching, let in-flight handlers finish within graceful_timeout,
  /// commit, close (static members without LeaveGroup), run shutdown hooks, flush publishes.
  void stop();

  /// Publishes `value`: described structs and JSON values as JSON (content-type
  /// application/json; with broker_options::encoder, as it writes them), strings as they are
  /// (text/plain), asiokafka::bytes as they are (an empty content-type), with a correlation_id
  /// (options.correlation_id, else a new UUID) and a traceparent starting a trace (wire.hpp).
  /// Inside a handler, use context::publish, which propagates the handled message's
  /// correlation id and trace.
  ///
  /// Completion signature: `void(error_code, delivery_report)`. Executor: the handler's
  /// associated executor, else the broker's. Errors: the delivery's (kafka category);
  /// error::encode_failed when the value cannot be encoded (an encoder threw, or JSON refused
  /// it): nothing is produced and the reason is logged and is the publish span's error text.
  /// Cancellation: as producer::async_produce. Thread-safe.
  template <class V, BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, delivery_report))
                         CompletionToken = boost::asio::deferred_t>
  auto async_publish(std::string topic, const V& value, publish_options options = {}, CompletionToken&& token = {}) {
    detail::require_broker_encodable<V>();
    return publish_outbound(detail::make_outbound(std::move(topic), value, std::move(options), broker_encoder()),
                            std::forward<CompletionToken>(token));
  }

  /// Request/reply over Kafka: publishes `request` to `topic` (as async_publish) with
  /// `reply_to` = this broker's reply topic (broker_options::reply_topic) and a correlation
  /// id (options.correlation_id, else a new UUID), and completes with the reply carrying that
  /// correlation id, decoded into `Reply` like a subscriber's message (a described struct or
  /// JSON value by the content-type rules, std::string as the payload, or the raw `message`).
  /// Any responder that answers to the reply_to topic with the request's correlation id
  /// works: an asiokafka subscriber returning a value, a FastStream subscriber returning one.
  ///
  /// The broker's reply consumer starts with the first request: it creates the reply topic if
  /// missing and is assigned to it (no consumer group, no rebalance) at its end before that
  /// request is sent, so no reply can be missed. One consumer serves every request of the
  /// broker; any number may be in flight. async_run is not needed; stop() (or the end of
  /// async_run) closes the reply consumer and fails what is pending with error::closed.
  ///
  /// Completion signature: `void(error_code, Reply)`. Executor: the handler's associated
  /// executor, else the broker's. Errors: error::timeout when no reply arrived within
  /// options.timeout; error::decode_failed when the reply cannot be decoded (logged);
  /// the publish's error (kafka category, or error::encode_failed as for async_publish) when
  /// the request cannot be produced; the reply
  /// topic's creation or positioning error; error::already_pending for a correlation id that
  /// is already in flight; error::closed when the broker stops first.
  /// Cancellation: terminal, partial and total, all meaning the same: the request completes
  /// with operation_aborted at once; a reply that arrives later is counted
  /// (request_stats::late_replies) and dropped. The request record itself may still be
  /// delivered. Thread-safe.
  template <class Reply, class V,
            BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, Reply)) CompletionToken = boost::asio::deferred_t>
  auto async_request(std::string topic, const V& request, request_options options = {}, CompletionToken&& token = {}) {
    detail::require_broker_encodable<V>();
    const auto timeout = options.timeout;
    publish_options po{std::move(options.key), std::move(options.headers),
                       options.partition,      std::move(options.correlation_id),
                       std::nullopt,           std::move(options.content_type)};
    return boost::asio::async_compose<CompletionToken, void(error_code, Reply)>(
        request_op<Reply>{this, detail::make_outbound(std::move(topic), request, std::move(po), broker_encoder()),
                          timeout},
        token, get_executor());
  }

  /// Counters of async_request. Thread-safe.
  const request_stats& requests() const noexcept;

  /// Every subscriber's effective configuration, key by key with the scope that set it
  /// (secrets redacted). Throws config_error like async_run.
  std::string explain() const;

  /// Statistics of the subscriber named `name` (nullptr if none).
  const subscriber_stats* stats(std::string_view name) const;

  /// Each subscriber's counters and its consumer's latest librdkafka statistics (present once
  /// a report arrived; see broker_options::statistics_interval). A copy; thread-safe.
  std::vector<subscriber_metrics> metrics() const;
  /// metrics() in the Prometheus text exposition format, for a /metrics endpoint. Thread-safe.
  std::string metrics_text() const;
  /// Each subscriber's state: running, assigned partitions, last receive, fatal error. A copy;
  /// thread-safe.
  broker_health health() const;

 private:
  // broker_options::decoder.
  const message_decoder& broker_decoder() const noexcept;
  // broker_options::encoder.
  const payload_encoder& broker_encoder() const noexcept;

  // async_publish of a record already encoded.
  template <class CompletionToken>
  auto publish_outbound(detail::outbound_record rec, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, delivery_report)>(
        detail::bound_initiation{this,
                                 [](broker& self, auto handler, detail::outbound_record r) {
                                   self.start_publish(std::move(r), std::move(handler));
                                 }},
        token, std::move(rec));
  }

  template <class Reply>
  struct request_op {
    broker* self;
    detail::outbound_record rec;
    std::chrono::milliseconds timeout;

    template <class Self>
    void operator()(Self& op) {
      op.reset_cancellation_state(boost::asio::enable_total_cancellation());
      // Out of *this first: moving `op` into the handler moves *this with it.
      broker* b = self;
      detail::outbound_record r = std::move(rec);
      const auto t = timeout;
      b->start_request(std::move(r), t, std::move(op));
    }

    template <class Self>
    void operator()(Self& op, error_code ec, message reply) {
      if constexpr (std::is_same_v<Reply, message>) {
        op.complete(ec, std::move(reply));
      } else {
        Reply value{};
        if (!ec) {
          try {
            detail::payload_decoder<Reply>(self->broker_decoder()).decode(reply, value);
          } catch (const std::exception& e) {
            ec = self->undecodable_reply(reply, e.what());
          }
        }
        op.complete(ec, std::move(value));
      }
    }
  };

  static void name_subscriber(subscriber_options& options, const std::vector<std::string>& topics);
  const subscriber_stats& add_subscriber(std::vector<std::string> topics, subscriber_options options,
                                         detail::erased_handler handler,
                                         std::vector<detail::operation_contract> contracts);
  const subscriber_stats& add_batch_subscriber(std::vector<std::string> topics, subscriber_options options,
                                               detail::erased_batch_handler handler,
                                               std::vector<detail::operation_contract> contracts);
  void add_publisher(detail::operation_contract contract);
  // What a declared publisher publishes through.
  detail::publish_link publish_link() const;
  void start_run(boost::asio::any_completion_handler<void(error_code)> handler);
  void start_publish(detail::outbound_record r,
                     boost::asio::any_completion_handler<void(error_code, delivery_report)> handler);
  void start_request(detail::outbound_record r, std::chrono::milliseconds timeout,
                     boost::asio::any_completion_handler<void(error_code, message)> handler);
  // Logs and counts a reply that could not be decoded; returns error::decode_failed.
  error_code undecodable_reply(const message& reply, const std::string& what);

  struct state;
  std::shared_ptr<state> state_{};
};

}  // namespace asiokafka
