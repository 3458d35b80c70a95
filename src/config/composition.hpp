// One composition: the scopes, policies, feature defaults and owned keys of one client ->
// its effective librdkafka entries. config_composer's public functions are built on it.
#pragma once

#include "config/scope_values.hpp"

#include <asiokafka/config/client_options.hpp>
#include <asiokafka/config/composed_config.hpp>
#include <asiokafka/config/merge_policy.hpp>
#include <asiokafka/config/static_id_policy.hpp>

#include <span>
#include <string_view>
#include <vector>

namespace asiokafka::detail {

enum class composition_kind {
  /// A subscriber's consumer: group.instance.id follows the static-id rule; a subscriber-scope
  /// transactional.id belongs to the subscriber's transactional producer and is dropped.
  consumer,
  /// The broker's shared publisher, not transactional: a broker-scope transactional.id (a
  /// base for subscribers) is dropped, one in the producer scope is an error.
  producer,
  /// An exactly-once subscriber's producer: transactional.id follows the static-id rule and
  /// needs idempotence.
  transactional_producer,
};

/// One user scope's values.
struct user_scope {
  config_scope scope;
  const scope_values& values;
  /// Keys that do not apply to the client: dropped and listed (true) or an error (false).
  bool drops_inapplicable;
};

struct composition_input {
  composition_kind kind;
  /// The subscriber; "" for the shared producer.
  std::string_view name;
  /// Lowest precedence first, the broker scope first.
  std::span<const user_scope> scopes;
  /// Features' defaults: at library_default scope, above asiokafka's own defaults.
  std::span<const owned_key> defaults;
  std::span<const owned_key> owned;
  const merge_policy& policy;
  const static_id_policy& ids;
  /// consumer_scope::group_membership: without it group.instance.id is not chosen (dropped at
  /// broker scope, an error at subscriber scope).
  bool group_membership = true;
};

struct composition_output {
  std::vector<composed_config::entry> entries;  ///< sorted by key
  std::vector<composed_config::entry> dropped;  ///< sorted by key
};

/// Checks everything, merges, resolves the kind's id and validates with librdkafka. Throws
/// config_error, or std::logic_error when the merge policy returns an invalid index.
composition_output compose(const composition_input& in);

}  // namespace asiokafka::detail
