// Metrics: librdkafka's statistics (statistics.interval.ms) as typed values, asiokafka's
// subscriber counters, and both in the Prometheus text exposition format.
//
//   consumer_options opts;
//   opts.on_statistics = [&](std::string_view json) { latest = asiokafka::parse_statistics(json); };
//   ...
//   for (const auto& p : latest.partitions) std::cout << p.topic << "[" << p.partition << "] lag " << p.lag;
//
// A broker does this for its subscribers when broker_options::statistics_interval is set;
// broker::metrics_text() renders everything for a /metrics endpoint.
#pragma once

#include <asiokafka/subscriber.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace asiokafka {

/// One partition of a client, from `topics.TOPIC.partitions.PARTITION` of the statistics.
/// Offsets and lags librdkafka does not know (yet) are -1.
struct partition_metrics {
  std::string topic{};
  std::int32_t partition = 0;
  /// librdkafka's `consumer_lag`: high watermark (last stable offset under read_committed)
  /// minus the committed offset; -1 until both are known.
  std::int64_t lag = -1;
  /// librdkafka's `consumer_lag_stored`: the same against the stored (not yet committed)
  /// offset, i.e. what the lag will be after the next commit.
  std::int64_t lag_stored = -1;
  std::int64_t committed_offset = -1;
  std::int64_t stored_offset = -1;
  /// `hi_offset`: the partition's high watermark as last fetched.
  std::int64_t high_watermark = -1;
  /// Messages and bytes consumed (`rxmsgs`, `rxbytes`) or produced (`txmsgs`, `txbytes`).
  std::int64_t consumed_messages = 0;
  std::int64_t consumed_bytes = 0;
  std::int64_t produced_messages = 0;
  std::int64_t produced_bytes = 0;
};

/// One broker connection of a client, from `brokers.NAME` of the statistics.
struct broker_connection_metrics {
  /// librdkafka's name, e.g. "127.0.0.1:9092/1".
  std::string name{};
  std::int32_t node_id = -1;
  /// "UP", "DOWN", "CONNECT", ...
  std::string state{};
  /// Average round-trip time over the last statistics interval, microseconds (`rtt.avg`).
  std::int64_t rtt_avg_us = 0;
  std::int64_t requests_sent = 0;       // tx
  std::int64_t responses_received = 0;  // rx
  std::int64_t request_errors = 0;      // txerrs
  std::int64_t response_errors = 0;     // rxerrs
  std::int64_t disconnects = 0;
};

/// One statistics report of one librdkafka client. Fields missing from the JSON keep their
/// defaults.
struct client_metrics {
  /// librdkafka's instance name, e.g. "asiokafka#consumer-1".
  std::string name{};
  std::string client_id{};
  /// "consumer" or "producer".
  std::string type{};
  /// librdkafka's monotonic clock at the report, microseconds (`ts`).
  std::int64_t timestamp_us = 0;
  /// Messages and bytes received from / sent to the brokers (`rxmsgs`, `rxmsg_bytes`,
  /// `txmsgs`, `txmsg_bytes`).
  std::int64_t consumed_messages = 0;
  std::int64_t consumed_bytes = 0;
  std::int64_t produced_messages = 0;
  std::int64_t produced_bytes = 0;
  /// Messages in the producer queue (`msg_cnt`).
  std::int64_t queue_messages = 0;
  /// Consumer group: rebalances so far (`cgrp.rebalance_cnt`), the group state
  /// (`cgrp.state`, e.g. "up") and the size of the assignment (`cgrp.assignment_size`).
  std::int64_t rebalances = 0;
  std::string group_state{};
  std::int64_t assigned_partitions = 0;
  /// The last rebalance: librdkafka's reason (`cgrp.rebalance_reason`, e.g. "group is
  /// rebalancing") and how long ago it started (`cgrp.rebalance_age`, -1: none yet).
  std::string last_rebalance_reason{};
  std::int64_t last_rebalance_age_ms = -1;
  /// Sorted by topic, then partition. librdkafka's internal unassigned partition (-1) is left
  /// out.
  std::vector<partition_metrics> partitions{};
  std::vector<broker_connection_metrics> brokers{};

  /// The partition `topic`/`partition`, or nullptr.
  const partition_metrics* find(std::string_view topic, std::int32_t partition) const noexcept;
};

/// Parses one statistics JSON document as librdkafka emits it. Tolerant: missing or
/// differently typed fields keep their defaults, unknown fields are ignored. Throws
/// std::invalid_argument when `json` is not a JSON object.
client_metrics parse_statistics(std::string_view json);

/// A copy of a subscriber's counters (see subscriber_stats) with its name.
struct subscriber_counters {
  std::string subscriber{};
  std::uint64_t received = 0;
  std::uint64_t handled = 0;
  std::uint64_t failed = 0;
  std::uint64_t decode_failed = 0;
  std::uint64_t retried = 0;
  std::uint64_t dead_lettered = 0;
  std::uint64_t dead_letter_failed = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t replies_unroutable = 0;
  std::uint64_t replies_failed = 0;
  std::uint64_t invalid_trace_context = 0;
  std::uint64_t transactions_committed = 0;
  std::uint64_t transactions_aborted = 0;
  std::uint64_t rebalances = 0;
  std::uint64_t partitions_assigned = 0;
  std::uint64_t partitions_revoked = 0;
  std::uint64_t partitions_lost = 0;

  static subscriber_counters snapshot(std::string name, const subscriber_stats& stats) noexcept;
};

/// A copy of a broker's request counters (see request_stats).
struct request_counters {
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t cancelled = 0;
  std::uint64_t failed = 0;
  std::uint64_t late_replies = 0;
  std::uint64_t unmatched_replies = 0;

  static request_counters snapshot(const request_stats& stats) noexcept;
};

/// What one subscriber exposes: its counters and, when statistics are enabled and at least
/// one report arrived, its consumer's latest statistics.
struct subscriber_metrics {
  subscriber_counters counters{};
  std::optional<client_metrics> client{};
};

/// Renders metrics in the Prometheus text exposition format (version 0.0.4): one `# HELP`
/// and `# TYPE` line per metric family, then its samples. Names start with `asiokafka_`;
/// counters end in `_total`. Labels: `subscriber`, `client` (librdkafka's instance name),
/// `topic`, `partition`, `broker`, their values escaped as the format requires (backslash,
/// double quote and newline). `clients` are
/// clients that belong to no subscriber (they get no `subscriber` label). Values librdkafka
/// does not know yet (lag -1, ...) are left out rather than exported as -1. `requests`: a
/// broker's request counters (`asiokafka_requests_*_total`), when given.
std::string to_prometheus(std::span<const subscriber_metrics> subscribers, std::span<const client_metrics> clients = {},
                          const request_counters* requests = nullptr);

}  // namespace asiokafka
