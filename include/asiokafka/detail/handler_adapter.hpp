// How the broker turns a typed handler into the erased form its subscribers run, and decodes
// payloads into the handler's type. Internal: included by broker.hpp.
#pragma once

#include <asiokafka/asyncapi.hpp>
#include <asiokafka/detail/outbound.hpp>
#include <asiokafka/json.hpp>
#include <asiokafka/message.hpp>
#include <asiokafka/subscriber.hpp>
#include <asiokafka/wire.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace asiokafka {

/// A broker-wide decoder (broker_options::decoder): a message to the JSON value its typed
/// subscribers convert.
using message_decoder = std::function<boost::json::value(const message&)>;

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
    out.push_back({operation_contract::action::send, options.name + ".result", std::move(to), contract_of<R>(),
                   "Results of subscriber " + options.name, {}});
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

/// A handler of T decoded by the content-type rules (payload_decoder), or of the raw message.
template <class T, class Handler>
erased_handler make_handler(Handler handler, const message_decoder& broker_decode) {
  if constexpr (std::is_same_v<std::remove_cvref_t<T>, message>) {
    return [handler = std::move(handler)](message& msg, context& ctx) -> boost::asio::awaitable<void> {
      co_await invoke_handler(handler, std::as_const(msg), ctx);
    };
  } else {
    auto decoder = std::make_shared<payload_decoder<T>>(broker_decode);
    return [handler = std::move(handler), decoder](message& msg, context& ctx) -> boost::asio::awaitable<void> {
      T value{};
      decoder->decode(msg, value);
      co_await invoke_handler(handler, std::move(value), ctx);
    };
  }
}

}  // namespace detail
}  // namespace asiokafka
