// One scope's options flattened to canonical librdkafka keys.
#pragma once

#include <asiokafka/config/client_options.hpp>
#include <asiokafka/config/config_scope.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace asiokafka::detail {

struct scope_value {
  std::string value;
  /// How the user spelled it: "client_options::group_id", or the raw key (maybe an alias).
  std::string given_as;
  bool typed;
};

/// `given_as` for messages: client_options::group_id, or raw "metadata.broker.list".
std::string describe_origin(const scope_value& v);

using scope_values = std::map<std::string, scope_value, std::less<>>;

/// Typed options and raw properties of one scope under canonical keys. Throws config_error
/// (key, `scope`, `subscriber`) if the scope gives one key different values.
scope_values flatten(const client_options& options, config_scope scope, std::string_view subscriber);

/// The scope's value for `key`, or nullptr.
const scope_value* find(const scope_values& values, std::string_view key) noexcept;

}  // namespace asiokafka::detail
