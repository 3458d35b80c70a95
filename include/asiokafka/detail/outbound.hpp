// A value on its way out: serialized, with what the broker's publish path needs to write its
// wire headers (asiokafka/wire.hpp). Internal.
#pragma once

#include <asiokafka/json.hpp>
#include <asiokafka/publish.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace asiokafka::detail {

struct outbound_record {
  record rec{};
  /// The content-type header to write (nullopt: none, e.g. a dead letter keeps the
  /// original's headers as they were).
  std::optional<std::string> content_type{};
  std::optional<std::string> correlation_id{};
  std::optional<std::string> reply_to{};
};

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
  else
    return json::encode(value);
}

template <class V>
outbound_record make_outbound(std::string topic, const V& value, publish_options options) {
  outbound_record out;
  out.rec = record{std::move(topic), options.partition, std::move(options.key), serialize_value(value),
                   std::move(options.headers), {}};
  out.content_type = options.content_type ? std::move(*options.content_type) : std::string(default_content_type<V>());
  out.correlation_id = std::move(options.correlation_id);
  out.reply_to = std::move(options.reply_to);
  return out;
}

}  // namespace asiokafka::detail
