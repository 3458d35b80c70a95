// Health of a broker's subscribers, for liveness/readiness endpoints.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace asiokafka {

/// A rebalance event of one subscriber's consumer.
struct rebalance_event {
  std::chrono::system_clock::time_point at{};
  /// "assigned", "revoked" or "lost".
  std::string kind{};
  /// The partitions that changed hands in this event.
  std::size_t partitions = 0;
  /// Partitions assigned after it.
  std::size_t assigned_after = 0;
};

/// One subscriber as broker::health() sees it.
struct subscriber_health {
  std::string name{};
  /// Between the start of its consumer and the end of its graceful stop.
  bool running = false;
  /// Partitions currently assigned by the consumer group.
  std::size_t assigned_partitions = 0;
  /// When the subscriber last received messages (nullopt: never).
  std::optional<std::chrono::system_clock::time_point> last_receive{};
  /// The fatal error that stopped the subscriber ("" when none), with librdkafka's reason.
  std::string fatal_error{};
  /// Rebalance events so far (subscriber_stats::rebalances) and the latest one.
  std::uint64_t rebalances = 0;
  std::optional<rebalance_event> last_rebalance{};
  /// From the consumer's latest statistics report (statistics.interval.ms; empty / nullopt
  /// without one): librdkafka's reason for the group's last rebalance and its age then.
  std::string last_rebalance_reason{};
  std::optional<std::chrono::milliseconds> last_rebalance_age{};
};

struct broker_health {
  std::vector<subscriber_health> subscribers{};

  /// Every subscriber is running and none has a fatal error.
  bool healthy() const noexcept;
};

/// JSON rendering:
/// `{"healthy":true,"subscribers":[{"name":"billing","running":true,"assigned_partitions":3,
///   "last_receive_ms":1700000000000,"fatal_error":null,"rebalances":1,"last_rebalance":
///   {"at_ms":1700000000000,"kind":"assigned","partitions":3,"assigned_after":3},
///   "last_rebalance_reason":"group rejoin","last_rebalance_age_ms":5000}]}`
/// (`*_ms` times: milliseconds since the Unix epoch; null when there is none).
std::string to_json(const broker_health& health);

}  // namespace asiokafka
