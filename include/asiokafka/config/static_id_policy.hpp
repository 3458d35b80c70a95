// Static ids: how each subscriber's group.instance.id and transactional.id are chosen.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace asiokafka {

/// Kafka's limit on the length of a group.instance.id; asiokafka holds transactional ids to it
/// too.
inline constexpr std::size_t max_static_id_length = 249;

/// The id a subscriber derives from a base: `<base>-<subscriber_name>`, where every
/// character outside [A-Za-z0-9._-] (in base or name, byte by byte) is replaced by '_'.
/// Deterministic: the same base and name give the same id on every restart, so a
/// restarted consumer rejoins its group as the same static member.
///
///     derive_static_id("pod-7", "orders")     == "pod-7-orders"
///     derive_static_id("pod-7", "orders/v2")  == "pod-7-orders_v2"
std::string derive_static_id(std::string_view base, std::string_view subscriber_name);

/// Default static-id rule. A broker-scope `group.instance.id` is a BASE: each subscriber
/// gets `derive_static_id(base, subscriber name)`. A subscriber-scope value is used as
/// given. No value at either scope: dynamic membership.
struct derive_from_broker_base {};

/// The base comes from an environment variable, typically the Kubernetes pod name
/// (`from_environment{"POD_NAME"}` with the downward API), read at compose time. Each
/// subscriber derives `derive_static_id(<value>, subscriber name)`, or, with
/// `use_as_is`, uses the value itself (only sensible for one subscriber per group; two
/// would be duplicates, which is an error). A subscriber-scope value is used as given.
/// A broker-scope value is an error (it would compete with the environment). If a
/// subscriber needs the variable and it is unset or empty, composition throws
/// `config_error` naming the variable.
struct from_environment {
  std::string variable{};
  bool use_as_is = false;
};

/// Static membership disallowed: any scope setting `group.instance.id` is an error.
/// Transactional ids are not about group membership: under this rule they are chosen as under
/// `derive_from_broker_base`.
struct dynamic_membership {};

/// How `group.instance.id` is chosen. It must be unique per consumer within a group
/// (consumers sharing one fence each other) and stable across restarts, so it never
/// follows the merge policy. Whatever the rule:
///  * an empty value at any scope is an error (omit the key for dynamic membership);
///  * an id given as is must consist of [A-Za-z0-9._-] and be at most
///    `max_static_id_length` characters (derived ids are sanitized, only length is checked);
///  * a static id needs a `group.id`;
///  * `config_composer::compose_consumers` rejects two consumers of one group.id with the
///    same id, naming both subscribers.
///
/// The same policy chooses the `transactional.id` of an exactly-once subscriber's
/// transactional producer (`config_composer::compose_transactional_producer`): unique per
/// subscriber and stable across restarts, for the same reasons (producers sharing one fence
/// each other). It follows the rules above with three differences: a transactional producer
/// needs an id, so none from any scope is an error; `dynamic_membership` chooses it as
/// `derive_from_broker_base` does; duplicates are rejected across all subscribers
/// (`compose_transactional_producers`), not per group.
class static_id_policy {
 public:
  using rule_type = std::variant<derive_from_broker_base, from_environment, dynamic_membership>;

  static_id_policy() noexcept = default;
  static_id_policy(derive_from_broker_base rule) noexcept : rule_(rule) {}  // NOLINT
  /// Throws std::invalid_argument if `rule.variable` is empty.
  static_id_policy(from_environment rule);                             // NOLINT
  static_id_policy(dynamic_membership rule) noexcept : rule_(rule) {}  // NOLINT

  /// "derive_from_broker_base", "from_environment" or "dynamic_membership".
  std::string_view name() const noexcept;
  const rule_type& rule() const noexcept { return rule_; }

 private:
  rule_type rule_;
};

}  // namespace asiokafka
