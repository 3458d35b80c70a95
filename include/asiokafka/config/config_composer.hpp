// The config composer: scopes + policies -> one validated librdkafka configuration.
#pragma once

#include <asiokafka/config/client_options.hpp>
#include <asiokafka/config/composed_config.hpp>
#include <asiokafka/config/merge_policy.hpp>
#include <asiokafka/config/static_id_policy.hpp>

#include <string>
#include <vector>

namespace asiokafka {

/// One consumer to compose.
struct consumer_scope {
  /// The subscriber's name: non-empty, stable across restarts (it is part of derived
  /// group.instance.ids) and unique within an application; named in errors.
  std::string name{};
  /// The subscriber scope.
  client_options options{};
  /// Keys the subscriber's features need (e.g. at-least-once acks).
  std::vector<owned_key> owned{};
};

/// Composes librdkafka configurations from scopes (lowest to highest precedence):
/// library defaults → broker scope → subscriber scope, with `library_owned` keys fixed.
///
///  * Ordinary keys: when several scopes set a key, the `merge_policy` picks the winner
///    (default `more_specific_wins`).
///  * `group.instance.id` ignores the merge policy and follows the `static_id_policy`
///    (default `derive_from_broker_base`: a broker-scope value is a base from which every
///    subscriber derives its own id).
///  * Owned keys: a user value at any scope must equal the owned value.
///  * Every effective key and value is checked by librdkafka (`rd_kafka_conf_set` on a
///    scratch configuration); rejections become `config_error` with the key, the scope that
///    set it and librdkafka's message (secret values redacted).
///  * Keys that do not apply to the client kind are dropped from the broker scope (and are
///    an error at the client's own scope): producer-only keys for consumers, consumer-only
///    keys for producers (lists in docs/config.md).
///
/// Composition is pure apart from reading the environment for `from_environment`; a
/// composer is immutable and may be used from several threads at once.
class config_composer {
 public:
  /// Throws config_error if the broker scope gives one key different values (typed option
  /// vs raw key vs alias).
  explicit config_composer(client_options broker_scope = {},
                           merge_policy policy = more_specific_wins{},
                           static_id_policy ids = derive_from_broker_base{});

  /// The configuration of one consumer. Does not compare its group.instance.id with other
  /// consumers' (use `compose_consumers` for a whole application).
  ///
  /// Throws config_error when: the name is empty; a scope gives a key different values; the
  /// subscriber scope sets a producer-only key; an owned key conflicts with a user value or
  /// another owned key; the static-id rules are violated (see `static_id_policy`); librdkafka
  /// rejects a key or value. Throws std::logic_error if the merge policy returns an invalid
  /// index.
  composed_config compose_consumer(const consumer_scope& consumer) const;

  /// The configurations of all consumers of an application, in input order. Additionally
  /// throws config_error when two consumers share a name, or when two consumers with the
  /// same group.id would get the same group.instance.id (the error names both).
  std::vector<composed_config> compose_consumers(const std::vector<consumer_scope>& consumers) const;

  /// A producer's configuration: library defaults → broker scope → `producer_scope`
  /// (config_scope::producer) with `owned` keys fixed. Consumer-only keys set at broker
  /// scope (group.id, group.instance.id, auto.offset.reset, session.timeout.ms,
  /// max.poll.interval.ms, partition.assignment.strategy, enable.auto.commit, fetch.*, ...)
  /// are dropped and listed in `dropped()`; setting one in `producer_scope` throws
  /// config_error. Otherwise throws like `compose_consumer`.
  composed_config compose_producer(const client_options& producer_scope = {},
                                   const std::vector<owned_key>& owned = {}) const;

  const client_options& broker_scope() const noexcept { return broker_scope_; }
  const merge_policy& policy() const noexcept { return policy_; }
  const static_id_policy& static_ids() const noexcept { return ids_; }

 private:
  client_options broker_scope_;
  merge_policy policy_;
  static_id_policy ids_;
};

}  // namespace asiokafka
