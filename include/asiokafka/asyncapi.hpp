// What broker::asyncapi() documents: the AsyncAPI 3.0 description of a broker's subscribers
// and publishers, with message schemas generated from the C++ types (json_schema.hpp).
#pragma once

#include <asiokafka/json_schema.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace asiokafka {

class message;

/// The document's `info` object.
struct asyncapi_info {
  std::string title = "asiokafka application";
  std::string version = "1.0.0";
  std::string description{};
};

namespace detail {

/// A message type as the document describes it.
struct message_contract {
  std::string name;          // the schema name of the type ("raw", "string", "json" for those)
  std::string content_type;  // what the codec reads or writes
  std::function<boost::json::value(json::schema_set&)> payload;
  /// A JSON type: sent as broker_options::encoder writes it when the broker has one.
  bool json_encoded = false;
};

/// A type's message contract: JSON types with their schema, strings as text; a type the JSON
/// codec does not know (one read by a custom decoder) as bytes named after the type.
template <class T>
message_contract contract_of() {
  using U = std::remove_cvref_t<T>;
  if constexpr (json::detail::is_optional<U>::value) {
    return contract_of<typename U::value_type>();  // nullopt is a tombstone: no payload at all
  } else if constexpr (std::is_same_v<U, message>) {
    return {"raw", "application/octet-stream",
            [](json::schema_set&) { return boost::json::value(boost::json::object{}); }};
  } else if constexpr (std::is_convertible_v<const U&, std::string_view>) {
    return {"string", "text/plain", [](json::schema_set&) {
              return boost::json::value(boost::json::object{{"type", "string"}});
            }};
  } else if constexpr (std::is_same_v<U, boost::json::value>) {
    return {"json", "application/json", [](json::schema_set& s) { return s.schema_of<U>(); }, true};
  } else if constexpr (json::detail::is_codable<U>::value) {
    return {json::schema_name<U>(), "application/json", [](json::schema_set& s) { return s.schema_of<U>(); }, true};
  } else {
    return {json::schema_name<U>(), "application/octet-stream", [](json::schema_set&) {
              return boost::json::value(boost::json::object{{"type", "string"}, {"format", "binary"}});
            }};
  }
}

/// One receive (subscriber) or send (publisher, or a subscriber's results) operation.
struct operation_contract {
  enum class action { receive, send };
  action kind = action::receive;
  std::string id;                   // unique operation id
  std::vector<std::string> topics;  // '^' starts a pattern; empty: the reply_to header's topic
  message_contract message;
  std::string description;
  std::string subscriber;  // receive: the subscriber, whose group and client id are bound
};

}  // namespace detail
}  // namespace asiokafka
