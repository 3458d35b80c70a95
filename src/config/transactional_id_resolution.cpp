#include "config/transactional_id_resolution.hpp"

#include <string>
#include <variant>

namespace asiokafka::detail {
namespace {

// Named in every note, so explain() says which rule chose the id.
std::string rule_name(const static_id_policy& policy) {
  if (std::holds_alternative<dynamic_membership>(policy.rule()))
    return "dynamic_membership: transactional ids as derive_from_broker_base";
  return std::string(policy.name());
}

}  // namespace

resolved_id resolve_transactional_id(const static_id_policy& policy, const id_inputs& in) {
  const std::string name = rule_name(policy);
  const id_rules rules(in, name);
  rules.reject_empty(
      "a transactional id must be non-empty (set a base at broker scope or an id "
      "at subscriber scope)");
  if (const auto* env = std::get_if<from_environment>(&policy.rule())) return rules.from_variable(*env);
  if (in.subscriber) return rules.as_given();
  if (in.broker) return rules.derived_from_broker_base();
  rules.fail(config_scope::subscriber,
             "an exactly-once subscriber needs a transactional id: set transactional_id at broker "
             "scope (a base) or subscriber scope");
}

}  // namespace asiokafka::detail
