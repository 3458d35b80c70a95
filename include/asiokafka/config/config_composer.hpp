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
  /// group.instance.ids and transactional.ids) and unique within an application; named in
  /// errors.
  std::string name{};
  /// The subscriber scope.
  client_options options{};
  /// Keys the subscriber's features need (e.g. at-least-once acks). They apply to the
  /// subscriber's consumer, not to its transactional producer (which takes its own).
  std::vector<owned_key> owned{};
  /// Values the subscriber's features default to, e.g. exactly-once's `{"isolation.level",
  /// "read_committed", "exactly-once reads only committed records"}`: above asiokafka's library
  /// defaults, below every user scope. They take part in the merge as `library_default`
  /// candidates, so with the built-in merge policies a user value at any scope wins;
  /// `explain()` shows a default that applies as a library default with `reason`. They apply to
  /// the subscriber's consumer only. Composition throws config_error (scope library_default)
  /// for a default of group.instance.id or transactional.id or of a producer-only key, for two
  /// different defaults of one key, and for a default that differs from an owned value.
  std::vector<owned_key> defaults{};
  /// False for a consumer that is assigned its partitions instead of joining its group
  /// (a subscriber of explicit partitions): static membership does not apply, so no
  /// group.instance.id is chosen. A broker-scope group.instance.id (a base for the other
  /// subscribers) is dropped and listed in `dropped()`; one at subscriber scope is a
  /// config_error.
  bool group_membership = true;
};

/// Composes librdkafka configurations from scopes (lowest to highest precedence):
/// library defaults (asiokafka's, then the features' `consumer_scope::defaults`) → broker
/// scope → the client's own scope, with `library_owned` keys fixed.
///
///  * Ordinary keys: when several scopes set a key, the `merge_policy` picks the winner
///    (default `more_specific_wins`).
///  * `group.instance.id` and `transactional.id` ignore the merge policy and follow the
///    `static_id_policy` (default `derive_from_broker_base`: a broker-scope value is a base
///    from which every subscriber derives its own id).
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
  explicit config_composer(client_options broker_scope = {}, merge_policy policy = more_specific_wins{},
                           static_id_policy ids = derive_from_broker_base{});

  /// The configuration of one consumer. Does not compare its group.instance.id with other
  /// consumers' (use `compose_consumers` for a whole application).
  ///
  /// A `transactional.id` (typed or raw) at subscriber scope is allowed: it belongs to the
  /// subscriber's transactional producer and is listed in `dropped()`, never in `entries()`.
  /// At broker scope it is dropped like every producer-only key.
  ///
  /// Throws config_error when: the name is empty; a scope gives a key different values; the
  /// subscriber scope sets another producer-only key; an owned key conflicts with a user value
  /// or another owned key; a feature default is invalid (see `consumer_scope::defaults`); the
  /// static-id rules are violated (see `static_id_policy`); librdkafka rejects a key or value.
  /// Throws std::logic_error if the merge policy returns an invalid index.
  composed_config compose_consumer(const consumer_scope& consumer) const;

  /// The configurations of all consumers of an application, in input order. Additionally
  /// throws config_error when two consumers share a name, or when two consumers with the
  /// same group.id would get the same group.instance.id (the error names both).
  std::vector<composed_config> compose_consumers(const std::vector<consumer_scope>& consumers) const;

  /// The broker's shared, non-transactional producer: library defaults → broker scope →
  /// `producer_scope` (config_scope::producer) with `owned` keys fixed. Consumer-only keys set
  /// at broker scope (group.id, group.instance.id, auto.offset.reset, session.timeout.ms,
  /// max.poll.interval.ms, partition.assignment.strategy, enable.auto.commit, fetch.*, ...)
  /// are dropped and listed in `dropped()`; setting one in `producer_scope` throws
  /// config_error. A broker-scope `transactional.id` is a base for exactly-once subscribers:
  /// dropped and listed in `dropped()` with that reason. A `transactional.id` in `producer_scope`
  /// makes a standalone transactional producer (producer::async_init_transactions and the
  /// rest, without the broker layer): used as given, checked like a subscriber-scope id, and
  /// `enable.idempotence` may not be false. Otherwise throws like `compose_consumer`.
  composed_config compose_producer(const client_options& producer_scope = {},
                                   const std::vector<owned_key>& owned = {}) const;

  /// The transactional producer of one exactly-once subscriber: library defaults → broker
  /// scope → `producer_scope` (config_scope::producer) → the subscriber's scope
  /// (`consumer.options`, config_scope::subscriber), with `owned` keys fixed. Consumer-only
  /// keys of the broker and subscriber scopes are dropped and listed in `dropped()`; one in
  /// `producer_scope` throws config_error. `consumer.owned` and `consumer.defaults` belong to
  /// the subscriber's consumer and are not used here. `name()` is the subscriber's name.
  ///
  /// `transactional.id` follows the `static_id_policy`, never the merge policy:
  ///  * `derive_from_broker_base`, and `dynamic_membership` (which is about group membership
  ///    only): a subscriber-scope value is used as given; otherwise a broker-scope value is a
  ///    base and the id is `derive_static_id(base, consumer.name)`;
  ///  * `from_environment{var}`: a subscriber-scope value is used as given; otherwise the id
  ///    derives from the variable's value (or is the value, with `use_as_is`); a broker-scope
  ///    value is an error, and so is an unset or empty variable (naming it).
  /// A given id must consist of [A-Za-z0-9._-] and be at most `max_static_id_length`
  /// characters; `entry::note` says where the id came from.
  ///
  /// Throws config_error naming the key and scope when: the name is empty; no scope gives a
  /// transactional id ("an exactly-once subscriber needs a transactional id: set
  /// transactional_id at broker scope (a base) or subscriber scope"); a value is empty or
  /// invalid; `producer_scope` sets `transactional.id` (a base belongs at broker scope, a
  /// fixed id at subscriber scope); `enable.idempotence` is false at any scope or in `owned`
  /// (librdkafka requires idempotence for transactions); otherwise like `compose_producer`.
  composed_config compose_transactional_producer(const consumer_scope& consumer,
                                                 const client_options& producer_scope = {},
                                                 const std::vector<owned_key>& owned = {}) const;

  /// The transactional producers of all exactly-once subscribers of an application, in input
  /// order. Additionally throws config_error when two consumers share a name, or when two
  /// would get the same transactional.id (the error names both).
  std::vector<composed_config> compose_transactional_producers(const std::vector<consumer_scope>& consumers,
                                                               const client_options& producer_scope = {}) const;

  const client_options& broker_scope() const noexcept { return broker_scope_; }
  const merge_policy& policy() const noexcept { return policy_; }
  const static_id_policy& static_ids() const noexcept { return ids_; }

 private:
  client_options broker_scope_;
  merge_policy policy_;
  static_id_policy ids_;
};

}  // namespace asiokafka
