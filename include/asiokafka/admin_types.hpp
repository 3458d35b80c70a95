// What the admin client's operations take and return (asiokafka::admin, admin.hpp).
//
// Every operation on several items reports per item: one bad topic (or group, or partition)
// sets `error` and `message` of its own result, the others succeed. `message` is the broker's
// or librdkafka's text for the item's error, empty on success.
#pragma once

#include <asiokafka/call_options.hpp>
#include <asiokafka/error.hpp>
#include <asiokafka/topic_partition.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace asiokafka {

/// A config name and value, as given to create_topics or alter_configs.
using config_setting = std::pair<std::string, std::string>;

struct new_topic {
  std::string name{};
  int partitions = 1;
  /// -1: the broker's default.replication.factor.
  int replication_factor = -1;
  std::vector<config_setting> configs{};
};

/// The outcome for one named item (a topic, a group, a resource).
struct item_result {
  std::string name{};
  error_code error{};
  std::string message{};
};

struct new_partitions {
  std::string topic{};
  /// The topic's partition count afterwards (must exceed the current one).
  int total = 0;
};

enum class resource_type { topic, broker, group };

struct config_resource {
  resource_type type = resource_type::topic;
  /// A topic or group name, or a broker id ("1").
  std::string name{};
};

struct config_entry {
  std::string name{};
  /// nullopt: no value (unset, or sensitive: the broker never returns those).
  std::optional<std::string> value{};
  bool is_default = false;
  bool read_only = false;
  bool sensitive = false;
  /// Where the value comes from: "DYNAMIC_TOPIC_CONFIG", "STATIC_BROKER_CONFIG", "DEFAULT_CONFIG", ...
  std::string source{};
};

struct resource_configs {
  config_resource resource{};
  error_code error{};
  std::string message{};
  std::vector<config_entry> entries{};
};

/// A change of one resource's dynamic configuration. Built with librdkafka 2.2 or later (the
/// platform): Kafka's IncrementalAlterConfigs, each key of `set` is set and every other
/// dynamic value is left as it is; this is also how a group's configs are set (KIP-848's
/// `consumer.session.timeout.ms`, `consumer.heartbeat.interval.ms` on a `resource_type::group`).
/// Built with an older librdkafka (the floor, 2.0.2, has no incremental form): Kafka's
/// AlterConfigs, the dynamic configuration becomes exactly `set` and values not named return
/// to their defaults; brokers do not accept group resources there.
struct config_change {
  config_resource resource{};
  std::vector<config_setting> set{};
};

struct group_listing {
  std::string group_id{};
  /// "Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead" or "Unknown".
  std::string state{};
  /// A group used only for committing offsets (manual assignment), without members.
  bool simple = false;
};

struct group_list {
  std::vector<group_listing> groups{};
  /// Brokers that could not be asked: the list may be incomplete. Each names its broker.
  std::vector<item_result> errors{};
};

struct group_member {
  std::string member_id{};
  /// Static membership: the member's group.instance.id; nullopt for a dynamic member.
  std::optional<std::string> group_instance_id{};
  std::string client_id{};
  std::string host{};
  /// Offsets are not part of an assignment (offset is offsets::invalid).
  topic_partition_list assignment{};
  /// Consumer protocol (KIP-848) only: the assignment the broker is moving the member to
  /// (equal to `assignment` once it got there). Empty for a classic group, and when built
  /// with librdkafka before 2.10.
  topic_partition_list target_assignment{};
};

struct broker_node {
  std::int32_t id = -1;
  std::string host{};
  std::uint16_t port = 0;
};

struct group_description {
  std::string group_id{};
  error_code error{};
  std::string message{};
  std::string state{};
  /// The group protocol: "classic", "consumer" (KIP-848) or "unknown"; "" when built with
  /// librdkafka before 2.10, which cannot tell.
  std::string type{};
  /// The partition assignor: the one the members agreed on ("range", "cooperative-sticky",
  /// ...), empty while no generation is stable; for a consumer-protocol group the broker's
  /// ("uniform", "range").
  std::string assignor{};
  bool simple = false;
  broker_node coordinator{};
  std::vector<group_member> members{};
};

/// A group's committed offsets (list_group_offsets) or the outcome of changing them
/// (alter_group_offsets, delete_group_offsets): each partition carries its own error.
struct group_offsets {
  std::string group_id{};
  error_code error{};
  std::string message{};
  topic_partition_list partitions{};
};

/// A group's position on one partition against the partition's end.
struct partition_lag {
  std::string topic{};
  std::int32_t partition = 0;
  /// The group's committed offset (the next record it will read).
  std::int64_t committed = offsets::invalid;
  /// The partition's high watermark (the offset the next produced record gets).
  std::int64_t high_watermark = offsets::invalid;
  /// high_watermark - committed; -1 when either is unknown (see `error`).
  std::int64_t lag = -1;
  error_code error{};
};

std::string_view to_string(resource_type t) noexcept;

}  // namespace asiokafka
