// Configuration scopes: where a librdkafka property's effective value came from.
#pragma once

#include <string_view>

namespace asiokafka {

/// The scope a configuration value comes from. Enumerators are listed lowest precedence
/// first (`subscriber` and `producer` are the same level, each the client's own scope); how
/// competing values of one key are resolved is decided by a `merge_policy` (library_default,
/// broker, subscriber or producer), by the `static_id_policy` (group.instance.id,
/// transactional.id), or is fixed (library_owned). A subscriber's transactional producer has
/// both: its producer scope, then the subscriber's scope above it.
enum class config_scope {
  /// asiokafka's documented defaults (see docs/config.md), e.g. `client.id=asiokafka`, and the
  /// defaults of a subscriber's features (`consumer_scope::defaults`).
  library_default,
  /// Broker-wide (executor-wide) options shared by every subscriber and publisher.
  broker,
  /// A subscriber's own options (`compose_consumer`; also the top user scope of its
  /// transactional producer, `compose_transactional_producer`).
  subscriber,
  /// The producer's own options (`compose_producer`, broker_options::producer_config, the
  /// `producer_scope` of `compose_transactional_producer`).
  producer,
  /// A value a library feature requires (`owned_key`); users may not change it.
  library_owned,
};

/// "library_default", "broker", "subscriber", "producer" or "library_owned".
std::string_view to_string(config_scope scope) noexcept;

}  // namespace asiokafka
