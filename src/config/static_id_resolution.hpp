// The static-id rule applied to one subscriber's ids: group.instance.id (its consumer) and
// transactional.id (its transactional producer) are both unique per subscriber, stable across
// restarts and chosen by the static_id_policy rather than the merge policy.
#pragma once

#include "config/scope_values.hpp"

#include <asiokafka/config/config_scope.hpp>
#include <asiokafka/config/static_id_policy.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace asiokafka::detail {

inline constexpr std::string_view static_id_key = "group.instance.id";
inline constexpr std::string_view transactional_id_key = "transactional.id";

/// One id property of one subscriber, as its scopes give it.
struct id_inputs {
  std::string_view key;           ///< static_id_key or transactional_id_key
  const scope_value* broker;      ///< the broker-scope value, or nullptr
  const scope_value* subscriber;  ///< the subscriber-scope value, or nullptr
  std::string_view subscriber_name;
};

struct resolved_id {
  std::string value;
  /// The scope of the value or of its base (broker for a derived or environment id).
  config_scope scope;
  std::string note;
};

/// The steps the static-id rule is made of, shared by both id keys. Every error is a
/// config_error naming `in.key`, the scope at fault and the subscriber; every note ends with
/// `(<rule_name>)`.
class id_rules {
 public:
  id_rules(const id_inputs& in, std::string_view rule_name) noexcept : in_(in), rule_name_(rule_name) {}

  /// Throws if the broker- or subscriber-scope value is empty; `hint` says what to do instead.
  void reject_empty(std::string_view hint) const;
  /// The subscriber-scope value (which must be set), checked: [A-Za-z0-9._-], not "." or
  /// "..", at most max_static_id_length characters.
  resolved_id as_given() const;
  /// `v`, set at `scope`, checked as as_given() checks (and non-empty): a standalone
  /// transactional producer's id.
  resolved_id given_at(const scope_value& v, config_scope scope) const;
  /// `derive_static_id(<broker-scope base>, subscriber name)`; the broker value must be set.
  resolved_id derived_from_broker_base() const;
  /// The from_environment rule: a broker-scope value is an error, a subscriber-scope value is
  /// used as given, otherwise the variable's value is the base (or, with use_as_is, the id);
  /// an unset or empty variable is an error naming it.
  resolved_id from_variable(const from_environment& rule) const;

  [[noreturn]] void fail(config_scope scope, const std::string& detail) const;

 private:
  void check_as_given(const std::string& id, config_scope scope, const std::string& source) const;
  void check_length(const std::string& id, config_scope scope) const;
  resolved_id derived(const std::string& base, config_scope scope, std::string origin) const;

  const id_inputs& in_;
  std::string_view rule_name_;
};

/// The consumer's group.instance.id, or nullopt for dynamic membership. Throws config_error
/// (key group.instance.id) when the policy's rules are violated.
std::optional<resolved_id> resolve_static_id(const static_id_policy& policy, const id_inputs& in);

}  // namespace asiokafka::detail
