// The options of one configuration scope: typed options plus raw librdkafka properties.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace asiokafka {

/// What a consumer does when its group has no committed offset for a partition
/// (librdkafka's `auto.offset.reset`).
enum class offset_reset {
  earliest,  ///< Start from the oldest retained message.
  latest,    ///< Start after the newest message.
  error,     ///< Report an error to the application.
};

/// "earliest", "latest" or "error" (librdkafka's spelling).
std::string_view to_string(offset_reset reset) noexcept;

/// The consumer group protocol (librdkafka's `group.protocol`).
enum class group_protocol {
  /// JoinGroup/SyncGroup with a client-side assignor: every member stops for a rebalance
  /// (or, with cooperative-sticky, gives up what moves). librdkafka's default.
  classic,
  /// KIP-848's protocol (Kafka 4.0 and later; librdkafka 2.12 and later): the broker assigns
  /// incrementally through heartbeats, and only the partitions that move are revoked. The
  /// session timeout, heartbeat interval and assignor are then the broker's (group configs,
  /// `group.remote.assignor`); the classic keys for them are refused.
  consumer,
};

/// "classic" or "consumer" (librdkafka's spelling).
std::string_view to_string(group_protocol protocol) noexcept;

/// How a producer picks the partition of a record that has a key and no explicit partition
/// (librdkafka's `partitioner`). Records without a key go to a random partition under the
/// `*_random` choices and to one fixed partition under the others.
enum class partitioner {
  /// CRC32 of the key; librdkafka's default, so also FastStream's and every librdkafka client's.
  consistent_random,
  /// Murmur2 of the key, as Kafka's Java client (and Kafka Streams, Spring Kafka, the console
  /// producer) places keys by default: choose it when Java services produce the same keys.
  murmur2_random,
  consistent,    ///< CRC32 of the key; key-less records all go to one partition.
  murmur2,       ///< Murmur2 of the key; key-less records all go to one partition.
  fnv1a,         ///< FNV-1a of the key, as Sarama (Go) places keys; key-less: one partition.
  fnv1a_random,  ///< FNV-1a of the key; key-less records to a random partition.
  random,        ///< A random partition for every record, the key ignored.
};

/// librdkafka's spelling: "consistent_random", "murmur2_random", "consistent", "murmur2",
/// "fnv1a", "fnv1a_random" or "random".
std::string_view to_string(partitioner choice) noexcept;

/// The options of ONE scope (broker-wide, one subscriber's, or the producer's).
///
/// Every typed option is shorthand for a librdkafka property; an unset option (`nullopt`)
/// leaves the decision to other scopes:
///
/// | option                          | librdkafka property             | value written      |
/// |---------------------------------|---------------------------------|--------------------|
/// | bootstrap_servers               | bootstrap.servers               | as given           |
/// | client_id                       | client.id                       | as given           |
/// | group_id                        | group.id                        | as given           |
/// | group_instance_id               | group.instance.id               | as given           |
/// | auto_offset_reset               | auto.offset.reset               | `to_string(reset)` |
/// | session_timeout                 | session.timeout.ms              | milliseconds       |
/// | max_poll_interval               | max.poll.interval.ms            | milliseconds       |
/// | partition_assignment_strategy   | partition.assignment.strategy   | as given           |
/// | enable_auto_commit              | enable.auto.commit              | "true" / "false"   |
/// | group_protocol                  | group.protocol                  | `to_string(p)`     |
/// | group_remote_assignor           | group.remote.assignor           | as given           |
/// | partitioner                     | partitioner                     | `to_string(p)`     |
/// | transactional_id                | transactional.id                | as given           |
///
/// `transactional_id` names the transactional producer of an exactly-once subscriber and,
/// like `group_instance_id`, follows the `static_id_policy` instead of the merge policy: at
/// broker scope it is a base each subscriber derives its own id from, at subscriber scope the
/// subscriber's id as given (see `config_composer::compose_transactional_producer`). It is
/// never passed to a consumer or to the broker's shared producer.
///
/// `raw` holds any other librdkafka property by its name, e.g. `{"group.instance.id",
/// "pod-7"}` or `{"fetch.min.bytes", "1024"}`. librdkafka's aliases are accepted and
/// reported under one canonical name (e.g. `metadata.broker.list` is `bootstrap.servers`,
/// `request.required.acks` is `acks`; full list in docs/config.md).
///
/// Every member has a default member initializer, so designated initializers such as
/// `client_options{.group_id = "orders"}` compile cleanly under -Wextra.
///
/// Within one scope a key may be given more than once (typed option, raw key, alias) only
/// with equal values (compared as strings); different values make composition throw
/// `config_error` naming the key and scope.
struct client_options {
  std::optional<std::string> bootstrap_servers{};
  std::optional<std::string> client_id{};
  std::optional<std::string> group_id{};
  std::optional<std::string> group_instance_id{};
  std::optional<offset_reset> auto_offset_reset{};
  std::optional<std::chrono::milliseconds> session_timeout{};
  std::optional<std::chrono::milliseconds> max_poll_interval{};
  /// "range", "roundrobin", "cooperative-sticky", or a comma-separated list.
  std::optional<std::string> partition_assignment_strategy{};
  std::optional<bool> enable_auto_commit{};
  /// `consumer` needs librdkafka 2.12 or later (composition fails naming the key otherwise)
  /// and refuses session.timeout.ms, heartbeat.interval.ms, partition.assignment.strategy and
  /// group.protocol.type at every scope (docs/consumer-protocol.md).
  std::optional<asiokafka::group_protocol> group_protocol{};
  /// The broker-side assignor under `group_protocol::consumer`: "uniform" or "range"; unset
  /// lets the broker choose (group.consumer.assignors' first entry).
  std::optional<std::string> group_remote_assignor{};
  /// Where keyed records go (a producer's key; consumers leave it out). At broker scope it
  /// is the broker's publishing producer's and its subscribers' transactional producers'.
  std::optional<asiokafka::partitioner> partitioner{};
  /// A base (broker scope) or an exactly-once subscriber's own id (subscriber scope).
  std::optional<std::string> transactional_id{};
  /// Other librdkafka properties, by name.
  std::map<std::string, std::string> raw{};
};

/// A librdkafka property that a library feature needs at a fixed value, e.g. at-least-once
/// acknowledgement needs `{"enable.auto.offset.store", "false", "at-least-once acks store
/// offsets after the handler finishes"}`.
///
/// The composer sets it with scope `library_owned`. A user value for the same key at any
/// scope must be equal, otherwise composition throws `config_error` naming the key, the
/// user's scope and `reason`; a user value is never silently overridden.
struct owned_key {
  std::string key{};
  std::string value{};
  /// Why the library needs this value; quoted in errors and in `explain()`.
  std::string reason{};
};

}  // namespace asiokafka
