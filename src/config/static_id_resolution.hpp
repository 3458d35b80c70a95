// Applies a static_id_policy to one consumer's broker- and subscriber-scope values.
#pragma once

#include "config/scope_values.hpp"

#include <asiokafka/config/config_scope.hpp>
#include <asiokafka/config/static_id_policy.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace asiokafka::detail {

struct static_id_inputs {
  const scope_value* broker;      ///< broker-scope group.instance.id, or nullptr
  const scope_value* subscriber;  ///< subscriber-scope group.instance.id, or nullptr
  std::string_view subscriber_name;
};

struct resolved_static_id {
  std::string value;
  config_scope scope;
  std::string note;
};

/// The consumer's group.instance.id, or nullopt for dynamic membership. Throws config_error
/// (key group.instance.id) when the policy's rules are violated.
std::optional<resolved_static_id> resolve_static_id(const static_id_policy& policy,
                                                    const static_id_inputs& in);

}  // namespace asiokafka::detail
