// A value on its way out: serialized, with what the broker's publish path needs to write its
// wire headers (asiokafka/wire.hpp). Internal.
#pragma once

#include <asiokafka/json.hpp>
#include <asiokafka/publish.hpp>

#include <boost/core/type_name.hpp>

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asiokafka::detail {

struct outbound_record {
  record rec{};
  /// The content-type header to write (nullopt: none).
  std::optional<std::string> content_type{};
  std::optional<std::string> correlation_id{};
  std::optional<std::string> reply_to{};
  /// The value's encoder threw: its message. The publish path produces nothing and completes
  /// with error::encode_failed.
  std::optional<std::string> encode_failure{};
  /// A dead letter: `rec.headers` are the failed record's, followed by the error headers, and
  /// are written as they are (same bytes, same order, malformed ones included); the publish
  /// path adds and replaces nothing, its span still reported.
  bool verbatim_headers = false;
};

/// True when V is published as JSON (through broker_options::encoder when there is one): all
/// but strings and asiokafka::bytes.
template <class V>
inline constexpr bool published_as_json_v =
    !std::is_same_v<V, bytes> && !std::is_convertible_v<const V&, std::string_view>;

/// As FastStream writes them: application/json for JSON values, text/plain for strings, an
/// empty content-type for asiokafka::bytes.
template <class V>
std::string_view default_content_type() {
  if constexpr (std::is_same_v<V, bytes>)
    return "";
  else if constexpr (std::is_convertible_v<const V&, std::string_view>)
    return std::string_view("text/plain");
  else
    return std::string_view("application/json");
}

/// Serializes a value: bytes and strings as they are, everything else as JSON.
template <class V>
std::string serialize_value(const V& value) {
  if constexpr (std::is_same_v<V, bytes>)
    return value.data;
  else if constexpr (std::is_convertible_v<const V&, std::string_view>)
    return std::string(std::string_view(value));
  else {
    // Sized as the last value of this type encoded on this thread: one allocation, where a
    // string grown by the encoder reallocates several times on the way.
    thread_local std::size_t size_hint = 0;
    std::string out;
    out.reserve(size_hint);
    json::encode(value, out);
    size_hint = out.size();
    return out;
  }
}

/// True when the broker's encoding can publish V: strings, bytes and the JSON codec's types.
template <class V>
inline constexpr bool broker_encodable_v = !published_as_json_v<V> || json::is_json_codable_v<V>;

/// For the entry points that have only the broker's encoding: V must be one it encodes.
template <class V>
constexpr void require_broker_encodable() {
  static_assert(broker_encodable_v<V>,
                "asiokafka: the broker encodes strings, asiokafka::bytes and JSON types; publish another type "
                "through a publisher with a message_encoder");
}

/// The one place a value becomes a record to publish, for every entry point (broker::
/// async_publish and async_request, a publisher, context and batch_context publish, a
/// handler's result): by `own` (a declared publisher's encoder) when it has an encode
/// function, else by the broker's encoding - bytes and strings as they are, every other value
/// as JSON, or, with a broker-wide encoder, as that encoder writes its JSON value (a type the
/// JSON codec does not know then has no encoding). What an encoder throws becomes the record's
/// encode_failure; a content type in `options` wins over the encoder's.
template <class V>
outbound_record make_outbound(std::string topic, const V& value, publish_options options,
                              const payload_encoder& broker_encoder = {}, const message_encoder<V>* own = nullptr) {
  outbound_record out;
  std::optional<std::string> payload;
  std::string content_type;
  try {
    if (own && own->encode) {
      content_type = own->content_type;
      payload = own->encode(value);
    } else if constexpr (!broker_encodable_v<V>) {
      throw std::invalid_argument("no encoder: " + std::string(boost::core::type_name<V>()) +
                                  " is not a type asiokafka::json encodes");
    } else {
      bool encoded = false;
      if constexpr (published_as_json_v<V>) {
        if (broker_encoder) {
          content_type = broker_encoder.content_type;
          payload = broker_encoder.encode(json::to_value(value));
          encoded = true;
        }
      }
      if (!encoded) {
        content_type = default_content_type<V>();
        payload = serialize_value(value);
      }
    }
  } catch (const std::exception& e) {
    out.encode_failure = e.what();
  } catch (...) {
    out.encode_failure = "unknown exception";
  }
  out.rec = record{std::move(topic),   options.partition,          std::move(options.key),
                   std::move(payload), std::move(options.headers), {}};
  out.content_type = options.content_type ? std::move(*options.content_type) : std::move(content_type);
  out.correlation_id = std::move(options.correlation_id);
  out.reply_to = std::move(options.reply_to);
  return out;
}

}  // namespace asiokafka::detail
