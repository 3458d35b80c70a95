// How the broker turns a typed handler into the erased form its subscribers run, and decodes
// payloads into the handler's type. Internal: included by broker.hpp.
#pragma once

#include <asiokafka/asyncapi.hpp>
#include <asiokafka/broker_options.hpp>
#include <asiokafka/detail/outbound.hpp>
#include <asiokafka/json.hpp>
#include <asiokafka/message.hpp>
#include <asiokafka/subscriber.hpp>
#include <asiokafka/wire.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace asiokafka {

namespace detail {

using erased_handler = std::function<boost::asio::awaitable<void>(message&, context&)>;

/// A record of a batch that could not be decoded: its index in the batch and why.
struct undecodable_record {
  std::size_t index;
  std::string error;
};

/// One batch, decoded: calls the handler with the values that decoded (again on a retry).
class batch_call {
 public:
  virtual ~batch_call() = default;
  /// `again`: a retry may follow, so the values are kept (the handler gets a copy).
  virtual boost::asio::awaitable<void> invoke(batch_context& ctx, bool again) = 0;
};

/// Decodes a batch: the records that fail are reported in `failed` (index order) and left out
/// of the call.
using erased_batch_handler = std::function<std::unique_ptr<batch_call>(const std::vector<const message*>& batch,
                                                                       std::vector<undecodable_record>& failed)>;

template <class>
struct awaitable_result;
template <class R, class E>
struct awaitable_result<boost::asio::awaitable<R, E>> {
  using type = R;
};

// What a handler taking `Arg` (and maybe a context&) returns from its awaitable.
template <class Handler, class Arg>
using handler_result_t =
    typename awaitable_result<typename std::conditional_t<std::is_invocable_v<Handler&, Arg, context&>,
                                                          std::invoke_result<Handler&, Arg, context&>,
                                                          std::invoke_result<Handler&, Arg>>::type>::type;

// The argument a handler of T is called with.
template <class T>
using handler_arg_t = std::conditional_t<std::is_same_v<std::remove_cvref_t<T>, message>, const message&, T>;

// The topics of a subscriber of explicit partitions, each once, in order of appearance.
inline std::vector<std::string> topics_of(const std::vector<partition_assignment>& partitions) {
  std::vector<std::string> topics;
  for (const auto& p : partitions)
    if (std::find(topics.begin(), topics.end(), p.topic) == topics.end()) topics.push_back(p.topic);
  return topics;
}

// A subscriber's operations for broker::asyncapi(): it receives T and, when its handler
// returns a value, sends that to its output topic (or to the reply_to header's topic).
template <class T, class Handler>
std::vector<operation_contract> subscriber_contracts(const std::vector<std::string>& topics,
                                                     const subscriber_options& options) {
  using R = handler_result_t<Handler, handler_arg_t<T>>;
  std::vector<operation_contract> out;
  out.push_back({operation_contract::action::receive, options.name,
                 topics.empty() ? topics_of(options.partitions) : topics, contract_of<T>(), options.description,
                 options.name});
  if constexpr (!std::is_void_v<R>) {
    std::vector<std::string> to;
    if (!options.output_topic.empty()) to.push_back(options.output_topic);
    out.push_back({operation_contract::action::send,
                   options.name + ".result",
                   std::move(to),
                   contract_of<R>(),
                   "Results of subscriber " + options.name,
                   {}});
  }
  return out;
}

/// Decodes a message into T: std::string (the payload bytes), boost::json::value or any type
/// the JSON codec supports. With a broker-wide decoder, JSON types come from its value;
/// without, the payload is read by its content-type as FastStream does (wire.hpp): absent,
/// empty, JSON and text/plain payloads are parsed as JSON; any other type is a decode failure.
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
      const auto ct = wire::content_type(msg);
      if (wire::classify_content_type(ct) == wire::content_kind::other)
        throw decode_failure("unsupported content-type \"" + std::string(*ct) + "\" for a JSON subscriber");
      json::decode_error err;
      if (!decoder_.decode(msg.payload(), out, err)) throw decode_failure(err.what());
    }
  }

 private:
  message_decoder broker_decode_;
  json::decoder decoder_;
};

/// A subscriber of std::optional<T> tells a tombstone from a value: a record with a null value
/// is std::nullopt (without calling any decoder), any other record is decoded exactly as a
/// subscriber of T decodes it (an empty value is "" for T = std::string, a decode failure for
/// a JSON type, JSON `null` included).
template <class T>
class payload_decoder<std::optional<T>> {
 public:
  explicit payload_decoder(message_decoder broker_decode) : inner_(std::move(broker_decode)) {}

  void decode(const message& msg, std::optional<T>& out) {
    if (!msg.has_payload()) {
      out.reset();
      return;
    }
    if (!out) out.emplace();
    inner_.decode(msg, *out);
  }

 private:
  payload_decoder<T> inner_;
};

/// Publishes a handler's result: to the reply_to topic of the message being handled, else
/// to the subscriber's output_topic, with the message's key and correlation id. A result with
/// nowhere to go is logged and counted (subscriber_stats::replies_unroutable), not a failure.
boost::asio::awaitable<void> publish_result(context& ctx, outbound_record result);

// Calls the handler with or without the context.
template <class Handler, class Arg>
auto call_handler(Handler& handler, Arg&& value, context& ctx) {
  if constexpr (std::is_invocable_v<Handler&, Arg, context&>) {
    return handler(std::forward<Arg>(value), ctx);
  } else {
    static_assert(std::is_invocable_v<Handler&, Arg>,
                  "handler must be callable as awaitable<R>(T) or awaitable<R>(T, asiokafka::context&)");
    return handler(std::forward<Arg>(value));
  }
}

// Awaits a handler's result and publishes it (publish_result).
template <class R>
boost::asio::awaitable<void> publish_handler_result(boost::asio::awaitable<R> call, context& ctx) {
  require_broker_encodable<R>();
  R result = co_await std::move(call);
  // A local, not a temporary, across co_await: GCC 12 mis-destroys such temporaries.
  outbound_record out = make_outbound(std::string(), result, publish_options{}, broker_encoder_of(ctx));
  co_await publish_result(ctx, std::move(out));
}

// The handler's call as the awaitable the subscriber runs. Not a coroutine itself: a handler
// without a result costs no coroutine frame beyond its own (one frame fewer per record).
template <class Handler, class Arg>
boost::asio::awaitable<void> invoke_handler(Handler& handler, Arg&& value, context& ctx) {
  using R = typename awaitable_result<decltype(call_handler(handler, std::forward<Arg>(value), ctx))>::type;
  if constexpr (std::is_void_v<R>)
    return call_handler(handler, std::forward<Arg>(value), ctx);
  else
    return publish_handler_result<R>(call_handler(handler, std::forward<Arg>(value), ctx), ctx);
}

/// A handler that takes `std::vector<T>` (or `(std::vector<T>, batch_context&)`) and not a
/// single T: the subscriber hands it batches (subscriber_options::batch).
template <class T, class Handler>
inline constexpr bool is_batch_handler_v =
    !std::is_invocable_v<Handler&, handler_arg_t<T>> && !std::is_invocable_v<Handler&, handler_arg_t<T>, context&> &&
    (std::is_invocable_v<Handler&, std::vector<T>> || std::is_invocable_v<Handler&, std::vector<T>, batch_context&>);

// A batch subscriber's operation for broker::asyncapi(): it receives T, documented as an
// array of T (FastStream's batch subscribers are documented so).
template <class T>
std::vector<operation_contract> batch_subscriber_contracts(const std::vector<std::string>& topics,
                                                           const subscriber_options& options) {
  message_contract item = contract_of<T>();
  message_contract batch{item.name + "_batch", item.content_type,
                         [payload = std::move(item.payload)](json::schema_set& s) {
                           return boost::json::value(boost::json::object{{"type", "array"}, {"items", payload(s)}});
                         }};
  return {
      {operation_contract::action::receive, options.name, topics, std::move(batch), options.description, options.name}};
}

template <class Handler, class Values>
auto call_batch_handler(Handler& handler, Values&& values, batch_context& ctx) {
  if constexpr (std::is_invocable_v<Handler&, Values, batch_context&>)
    return handler(std::forward<Values>(values), ctx);
  else
    return handler(std::forward<Values>(values));
}

template <class T, class Handler>
class typed_batch_call final : public batch_call {
 public:
  typed_batch_call(Handler& handler, std::vector<T> values) : handler_(handler), values_(std::move(values)) {}

  boost::asio::awaitable<void> invoke(batch_context& ctx, bool again) override {
    if (again) {
      std::vector<T> copy = values_;
      co_await call_batch_handler(handler_, std::move(copy), ctx);
    } else {
      co_await call_batch_handler(handler_, std::move(values_), ctx);
    }
  }

 private:
  Handler& handler_;
  std::vector<T> values_;
};

/// A batch handler of T, each record decoded by `decode(const message&) -> T`.
template <class T, class Handler, class Decode>
erased_batch_handler make_batch_handler(Handler handler, Decode decode) {
  static_assert(!std::is_same_v<std::remove_cvref_t<T>, message>,
                "batch handlers take decoded values; use batch_context::raw(i) for the records");
  using R = typename awaitable_result<decltype(call_batch_handler(handler, std::declval<std::vector<T>>(),
                                                                  std::declval<batch_context&>()))>::type;
  static_assert(std::is_void_v<R>, "a batch handler returns awaitable<void> (publish with batch_context::publish)");
  auto shared = std::make_shared<Handler>(std::move(handler));
  return [shared, decode = std::move(decode)](const std::vector<const message*>& batch,
                                              std::vector<undecodable_record>& failed) -> std::unique_ptr<batch_call> {
    std::vector<T> values;
    values.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        values.push_back(decode(*batch[i]));
      } catch (const std::exception& e) {
        failed.push_back({i, e.what()});
      }
    }
    return std::make_unique<typed_batch_call<T, Handler>>(*shared, std::move(values));
  };
}

/// The same with the content-type rules (payload_decoder).
template <class T, class Handler>
erased_batch_handler make_batch_handler(Handler handler, const message_decoder& broker_decode) {
  auto decoder = std::make_shared<payload_decoder<T>>(broker_decode);
  return make_batch_handler<T>(std::move(handler), [decoder](const message& msg) {
    T value{};
    decoder->decode(msg, value);
    return value;
  });
}

/// A handler of T decoded by `decode(const message&) -> T`.
template <class T, class Handler, class Decode>
erased_handler make_handler(Handler handler, Decode decode) {
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
    co_await invoke_handler(handler, std::move(value), ctx);
  };
}

// The type of a handler's first parameter, when it has exactly one call operator (a lambda or
// function object that is not generic) or is a function pointer; void when unknown.
template <class M>
struct first_parameter {
  using type = void;
};
template <class C, class R, class A, class... Rest>
struct first_parameter<R (C::*)(A, Rest...)> {
  using type = A;
};
template <class C, class R, class A, class... Rest>
struct first_parameter<R (C::*)(A, Rest...) const> {
  using type = A;
};
template <class C, class R, class A, class... Rest>
struct first_parameter<R (C::*)(A, Rest...) noexcept> {
  using type = A;
};
template <class C, class R, class A, class... Rest>
struct first_parameter<R (C::*)(A, Rest...) const noexcept> {
  using type = A;
};
template <class R, class A, class... Rest>
struct first_parameter<R (*)(A, Rest...)> {
  using type = A;
};
template <class H, class = void>
struct handler_first_parameter {
  using type = typename first_parameter<std::decay_t<H>>::type;
};
template <class H>
struct handler_first_parameter<H, std::void_t<decltype(&H::operator())>> {
  using type = typename first_parameter<decltype(&H::operator())>::type;
};

/// True when the handler takes its T by value: its coroutine frame then owns the value, and
/// the decoded T need not outlive the call (no frame of the adapter's own per record). A
/// handler taking a reference, or one whose parameter is unknown (generic), gets the frame.
template <class Handler, class T>
inline constexpr bool takes_value_v = std::is_same_v<typename handler_first_parameter<Handler>::type, T>;

/// A handler of T decoded by the content-type rules (payload_decoder), or of the raw message.
template <class T, class Handler>
erased_handler make_handler(Handler handler, const message_decoder& broker_decode) {
  if constexpr (std::is_same_v<std::remove_cvref_t<T>, message>) {
    return [handler = std::move(handler)](message& msg, context& ctx) -> boost::asio::awaitable<void> {
      co_await invoke_handler(handler, std::as_const(msg), ctx);
    };
  } else {
    auto decoder = std::make_shared<payload_decoder<T>>(broker_decode);
    if constexpr (takes_value_v<Handler, T>) {
      // Not a coroutine: decodes at once (a decode_failure is thrown by the call) and returns
      // the handler's own awaitable, whose frame took the value.
      return [handler = std::move(handler), decoder](message& msg, context& ctx) -> boost::asio::awaitable<void> {
        T value{};
        decoder->decode(msg, value);
        return invoke_handler(handler, std::move(value), ctx);
      };
    } else {
      return [handler = std::move(handler), decoder](message& msg, context& ctx) -> boost::asio::awaitable<void> {
        T value{};
        decoder->decode(msg, value);
        co_await invoke_handler(handler, std::move(value), ctx);
      };
    }
  }
}

}  // namespace detail
}  // namespace asiokafka
