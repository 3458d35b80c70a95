// asiokafka::broker - FastStream's programming model on Asio coroutines.
//
//   asiokafka::broker app(io.get_executor(), {.config = {.bootstrap_servers = "127.0.0.1:9092"}});
//   app.subscriber<order>({"orders"}, {.config = {.group_id = "billing"}},
//                         [](order o) -> asio::awaitable<void> { ... co_return; });
//   co_await app.async_run(asio::use_awaitable);     // until app.stop()
#pragma once

#include <asiokafka/asyncapi.hpp>
#include <asiokafka/config.hpp>
#include <asiokafka/consumer_options.hpp>
#include <asiokafka/detail/bound_initiation.hpp>
#include <asiokafka/health.hpp>
#include <asiokafka/json.hpp>
#include <asiokafka/log.hpp>
#include <asiokafka/message.hpp>
#include <asiokafka/metrics.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/subscriber.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace asiokafka {

template <class T>
class publisher;

/// A broker-wide decoder (broker_options::decoder): a message to the JSON value its typed
/// subscribers convert.
using message_decoder = std::function<boost::json::value(const message&)>;

/// Broker-wide (executor-wide) options: the broker scope of the config composer and the
/// behaviour shared by all subscribers.
struct broker_options {
  client_options config{};
  merge_policy policy = more_specific_wins{};
  static_id_policy static_ids = derive_from_broker_base{};
  /// How long a graceful stop waits for in-flight handlers before closing.
  std::chrono::milliseconds graceful_timeout{30000};
  /// Producer-only options for publishing (acks, linger.ms, ...): the producer's own scope.
  client_options producer_config{};
  /// Default: log_to_stderr().
  log_sink log{};
  /// When > 0, subscribers' consumers report librdkafka statistics this often
  /// (`statistics.interval.ms` as a broker-scope default: a value the user sets at broker or
  /// subscriber scope wins) and the broker keeps the latest report of each, for metrics()
  /// and metrics_text().
  std::chrono::milliseconds statistics_interval{0};
  /// Broker-wide decoder for payloads that are not plain JSON (an envelope, another encoding):
  /// turns a message into a JSON value, which each typed subscriber without a decoder of its
  /// own converts to its T by the asiokafka::json rules (a mismatch names the field). Throw
  /// to reject a payload: a decode failure, handled by the subscriber's error policy. Not used
  /// for subscribers of std::string or of the raw message. Empty (the default): payloads are
  /// JSON, checked against their content-type header. Called on the subscribers' strands,
  /// possibly concurrently: it must be thread-safe.
  message_decoder decoder;
};

namespace detail {

using erased_handler = std::function<boost::asio::awaitable<void>(message&, context&)>;

template <class>
struct awaitable_result;
template <class R, class E>
struct awaitable_result<boost::asio::awaitable<R, E>> {
  using type = R;
};

// What a handler taking `Arg` (and maybe a context&) returns from its awaitable.
template <class Handler, class Arg>
using handler_result_t = typename awaitable_result<
    typename std::conditional_t<std::is_invocable_v<Handler&, Arg, context&>, std::invoke_result<Handler&, Arg, context&>,
                                std::invoke_result<Handler&, Arg>>::type>::type;

// A subscriber's operations for broker::asyncapi(): it receives T and, when its handler
// returns a value, sends that to its output topic (or to the reply-to header's topic).
template <class T, class Handler>
std::vector<operation_contract> subscriber_contracts(const std::vector<std::string>& topics,
                                                     const subscriber_options& options) {
  using arg = std::conditional_t<std::is_same_v<std::remove_cvref_t<T>, message>, const message&, T>;
  using R = handler_result_t<Handler, arg>;
  std::vector<operation_contract> out;
  out.push_back({operation_contract::action::receive, options.name, topics, contract_of<T>(), options.description,
                 options.name});
  if constexpr (!std::is_void_v<R>) {
    std::vector<std::string> to;
    if (!options.output_topic.empty()) to.push_back(options.output_topic);
    out.push_back({operation_contract::action::send, options.name + ".result", std::move(to), contract_of<R>(),
                   "Results of subscriber " + options.name, {}});
  }
  return out;
}

/// Serializes a handler result or publish value: strings as they are, everything else JSON.
template <class V>
std::string serialize_value(const V& value) {
  if constexpr (std::is_convertible_v<const V&, std::string_view>)
    return std::string(std::string_view(value));
  else
    return json::encode(value);
}

template <class V>
constexpr std::string_view content_type_of() {
  return std::is_convertible_v<const V&, std::string_view> ? "text/plain" : "application/json";
}

/// Decodes a message into T: std::string (the payload bytes), boost::json::value or any type
/// the JSON codec supports. With a broker-wide decoder, JSON types come from its value;
/// without, the payload is JSON and a content-type header other than application/json (or a
/// +json type) is a decode failure.
template <class T>
class payload_decoder {
 public:
  explicit payload_decoder(message_decoder broker_decode) : broker_decode_(std::move(broker_decode)) {}

  void decode(const message& msg, T& out) {
    if constexpr (std::is_same_v<T, std::string>) {
      out.assign(msg.payload());
    } else if (broker_decode_) {
      boost::json::value v;
      try {
        v = broker_decode_(msg);
      } catch (const std::exception& e) {
        throw decode_failure(std::string("broker decoder: ") + e.what());
      }
      json::decode_error err;
      if (!json::from_value(v, out, err)) throw decode_failure(err.what());
    } else {
      if (auto ct = msg.header("content-type"); ct && ct->has_value() && !is_json_content_type(**ct))
        throw decode_failure("unsupported content-type \"" + std::string(**ct) + "\" for a JSON subscriber");
      json::decode_error err;
      if (!decoder_.decode(msg.payload(), out, err)) throw decode_failure(err.what());
    }
  }

 private:
  static bool is_json_content_type(std::string_view ct) {
    const auto semi = ct.find(';');
    ct = ct.substr(0, semi);
    return ct == "application/json" || (ct.size() > 5 && ct.substr(ct.size() - 5) == "+json");
  }
  message_decoder broker_decode_;
  json::decoder decoder_;
};

}  // namespace detail

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

  broker(executor_type ex, broker_options options);
  broker(const broker&) = delete;
  broker& operator=(const broker&) = delete;
  ~broker();

  executor_type get_executor() const noexcept;

  /// Registers a subscriber for `topics` (names starting with '^' are patterns).
  ///
  /// `handler` is a coroutine taking `T` or `(T, context&)`; `T` is a described struct (or
  /// any type asiokafka::json decodes), boost::json::value, std::string (payload bytes) or
  /// `const message&` (raw). If it returns `awaitable<R>` with R non-void, the result is
  /// published (JSON, or as-is for strings) to the message's reply-to header topic, else to
  /// `options.output_topic`, with the input's key.
  /// Returns the subscriber's statistics, valid for the broker's lifetime.
  template <class T, class Handler>
  const subscriber_stats& subscriber(std::vector<std::string> topics, subscriber_options options, Handler handler) {
    name_subscriber(options, topics);
    auto contracts = detail::subscriber_contracts<T, Handler>(topics, options);
    return add_subscriber(std::move(topics), std::move(options), make_handler<T>(std::move(handler)),
                          std::move(contracts));
  }

  /// The same with a custom decoder: `decode(const message&) -> T`, throwing on bad input.
  template <class T, class Handler, class Decoder>
  const subscriber_stats& subscriber(std::vector<std::string> topics, subscriber_options options, Handler handler,
                                     Decoder decode) {
    name_subscriber(options, topics);
    auto contracts = detail::subscriber_contracts<T, Handler>(topics, options);
    return add_subscriber(std::move(topics), std::move(options),
                          make_handler<T>(std::move(handler), std::move(decode)), std::move(contracts));
  }

  /// Declares that the application publishes T to `topic` (FastStream's
  /// `broker.publisher(topic)`): the returned publisher publishes like async_publish, and
  /// the broker's AsyncAPI document lists a send operation with T's schema. The publisher
  /// refers to this broker and must not outlive it. Thread safety: declare before
  /// async_run(); the publisher's async_publish is as thread-safe as broker::async_publish.
  template <class T>
  asiokafka::publisher<T> publisher(std::string topic, std::string description = {}) {
    add_publisher({detail::operation_contract::action::send, "publish." + topic, {topic}, detail::contract_of<T>(),
                   std::move(description), {}});
    return asiokafka::publisher<T>(*this, std::move(topic));
  }

  /// The AsyncAPI 3.0.0 document (JSON text) describing this application: its servers (from
  /// the bootstrap servers; protocol `kafka`, or `kafka-secure` when security.protocol uses
  /// TLS; never credentials), a channel per topic or pattern, a `receive` operation per
  /// subscriber with its Kafka group and client id, a `send` operation per declared publisher
  /// and per subscriber whose handler returns a value, and message schemas generated from the
  /// C++ types (json::schema_set). Throws config_error like async_run when a subscriber's
  /// configuration is invalid. Thread safety: like explain().
  std::string asyncapi(const asyncapi_info& info = {});

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
  /// error::hook_failed when a startup or shutdown hook threw (see on_startup).
  /// Throws config_error from the initiating function when a subscriber's configuration is
  /// invalid (unknown key, bad value, conflicting scopes, duplicate static ids), before
  /// anything connects. Cancellation: terminal, partial and total, all meaning stop().
  template <class CompletionToken = boost::asio::deferred_t>
  auto async_run(CompletionToken&& token = {}) {
    prepare();
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        detail::bound_initiation{this, [](broker& self, auto handler) { self.start_run(std::move(handler)); }},
        token);
  }

  /// Graceful stop: stop fetching, let in-flight handlers finish within graceful_timeout,
  /// commit, close (static members without LeaveGroup), run shutdown hooks, flush publishes.
  void stop();

  /// Publishes `value` (JSON for structs and json values, as-is for strings) with a
  /// content-type header.
  ///
  /// Completion signature: `void(error_code, delivery_report)`. Executor: the handler's
  /// associated executor. Cancellation: as producer::async_produce.
  template <class V, class CompletionToken = boost::asio::deferred_t>
  auto async_publish(std::string topic, const V& value, publish_options options = {},
                     CompletionToken&& token = {}) {
    record r{std::move(topic), options.partition, std::move(options.key), detail::serialize_value(value),
             std::move(options.headers), {}};
    r.headers.push_back({"content-type", std::string(detail::content_type_of<V>())});
    return boost::asio::async_initiate<CompletionToken, void(error_code, delivery_report)>(
        detail::bound_initiation{this,
                                 [](broker& self, auto handler, record rec) {
                                   self.start_publish(std::move(rec), std::move(handler));
                                 }},
        token, std::move(r));
  }

  /// Every subscriber's effective configuration, key by key with the scope that set it
  /// (secrets redacted). Throws config_error like async_run.
  std::string explain();

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

  template <class T, class Handler, class Decode>
  static detail::erased_handler make_handler(Handler handler, Decode decode) {
    return [handler = std::move(handler), decode = std::move(decode)](message& msg,
                                                                      context& ctx) -> boost::asio::awaitable<void> {
      T value;
      try {
        value = decode(msg);
      } catch (const decode_failure&) {
        throw;
      } catch (const std::exception& e) {
        throw decode_failure(e.what());
      }
      co_await invoke_handler<T>(handler, std::move(value), ctx);
    };
  }

  template <class T, class Handler>
  detail::erased_handler make_handler(Handler handler) {
    if constexpr (std::is_same_v<std::remove_cvref_t<T>, message>) {
      return [handler = std::move(handler)](message& msg, context& ctx) -> boost::asio::awaitable<void> {
        co_await invoke_handler<const message&>(handler, msg, ctx);
      };
    } else {
      auto decoder = std::make_shared<detail::payload_decoder<T>>(broker_decoder());
      return [handler = std::move(handler), decoder](message& msg, context& ctx) -> boost::asio::awaitable<void> {
        T value{};
        decoder->decode(msg, value);
        co_await invoke_handler<T>(handler, std::move(value), ctx);
      };
    }
  }

  template <class T, class Handler, class Arg>
  static boost::asio::awaitable<void> invoke_handler(Handler& handler, Arg&& value, context& ctx) {
    if constexpr (std::is_invocable_v<Handler&, Arg, context&>) {
      using R = typename detail::awaitable_result<std::invoke_result_t<Handler&, Arg, context&>>::type;
      if constexpr (std::is_void_v<R>) {
        co_await handler(std::forward<Arg>(value), ctx);
      } else {
        R result = co_await handler(std::forward<Arg>(value), ctx);
        std::string serialized = detail::serialize_value(result);
        co_await publish_result(ctx, std::move(serialized), detail::content_type_of<R>());
      }
    } else {
      static_assert(std::is_invocable_v<Handler&, Arg>,
                    "handler must be callable as awaitable<R>(T) or awaitable<R>(T, asiokafka::context&)");
      using R = typename detail::awaitable_result<std::invoke_result_t<Handler&, Arg>>::type;
      if constexpr (std::is_void_v<R>) {
        co_await handler(std::forward<Arg>(value));
      } else {
        R result = co_await handler(std::forward<Arg>(value));
        std::string serialized = detail::serialize_value(result);
        co_await publish_result(ctx, std::move(serialized), detail::content_type_of<R>());
      }
    }
  }

  static boost::asio::awaitable<void> publish_result(context& ctx, std::string value, std::string_view content_type);

  static void name_subscriber(subscriber_options& options, const std::vector<std::string>& topics);
  const subscriber_stats& add_subscriber(std::vector<std::string> topics, subscriber_options options,
                                         detail::erased_handler handler,
                                         std::vector<detail::operation_contract> contracts);
  void add_publisher(detail::operation_contract contract);
  void prepare();
  void start_run(boost::asio::any_completion_handler<void(error_code)> handler);
  void start_publish(record r, boost::asio::any_completion_handler<void(error_code, delivery_report)> handler);

  struct state;
  std::shared_ptr<state> state_{};
};

/// A declared publisher of T on one topic (broker::publisher<T>()).
template <class T>
class publisher {
 public:
  const std::string& topic() const noexcept { return topic_; }

  /// Publishes `value` to topic(): broker::async_publish(topic(), value, options, token), with
  /// the same completion signature `void(error_code, delivery_report)`, executor,
  /// cancellation and errors.
  template <class CompletionToken = boost::asio::deferred_t>
  auto async_publish(const T& value, publish_options options = {}, CompletionToken&& token = {}) {
    return broker_->async_publish(topic_, value, std::move(options), std::forward<CompletionToken>(token));
  }

 private:
  friend class broker;
  publisher(broker& b, std::string topic) : broker_(&b), topic_(std::move(topic)) {}

  broker* broker_;
  std::string topic_;
};

}  // namespace asiokafka
