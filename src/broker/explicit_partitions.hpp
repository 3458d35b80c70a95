// Subscribers of explicit partitions (subscriber_options::partitions): the checks of their
// options and the decisions of their start, apart from I/O (unit-tested without Kafka), and
// the one metadata lookup the start needs.
#pragma once

#include <asiokafka/config/composed_config.hpp>
#include <asiokafka/error.hpp>
#include <asiokafka/subscriber.hpp>
#include <asiokafka/topic_partition.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace asiokafka::detail {

/// The group.id librdkafka's consumer needs when the user gives none: never joined (the
/// subscriber is assigned), never committed to.
std::string unjoined_group_id(const std::string& subscriber_name);

/// True when the group.id of a composed subscriber configuration is the user's (set at broker
/// or subscriber scope), not unjoined_group_id's library default: offsets are committed.
bool has_user_group(const composed_config& config);

/// Throws config_error naming the subscriber when its options mix topics and partitions,
/// name neither, name a partition twice or with an empty topic or negative number, start at
/// a negative offset, or ask for exactly-once with explicit partitions.
void check_subscription(const std::vector<std::string>& topics, const subscriber_options& options);

/// Throws config_error when a partition starts at its committed offset but the subscriber
/// has no group.id of its own (`user_group` false): there is nowhere to read it from.
void check_committed_starts(const subscriber_options& options, bool user_group);

/// The partitions that start at a time, with the time (ms since the epoch) in `offset`: the
/// query of consumer::async_offsets_for_times.
topic_partition_list time_queries(const std::vector<partition_assignment>& partitions);

/// A partition of `partitions` that the cluster does not have, described for an error
/// ("topic \"t\" has 3 partitions: t[7] does not exist"); "" when all exist. `counts` gives
/// each topic's partition count, 0 for a topic that does not exist.
std::string missing_partition(const std::vector<partition_assignment>& partitions,
                              const std::map<std::string, int>& counts);

struct resolved_starts {
  error_code error{};
  std::string what{};  // the partition whose lookup failed, for the error
  topic_partition_list assignment{};
};

/// The assignment: every partition at the offset its start means (asiokafka::offsets for
/// earliest, latest and committed). `found` is the answer to time_queries(partitions), in its
/// order; a time with no record at or after it starts at the end. A partition error in
/// `found` is returned, naming the partition.
resolved_starts resolve_starts(const std::vector<partition_assignment>& partitions, const topic_partition_list& found);

struct partition_counts {
  error_code error{};
  std::string what{};
  std::map<std::string, int> counts{};  // 0: the topic does not exist
};

/// Each topic's partition count from the cluster's metadata. `rk` is a `rd_kafka_t*`.
/// Blocks (up to `timeout` per topic): run it on the blocking pool.
partition_counts lookup_partition_counts(void* rk, const std::vector<std::string>& topics,
                                         std::chrono::milliseconds timeout);

}  // namespace asiokafka::detail
