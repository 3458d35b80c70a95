// Health of a broker's subscribers, for liveness/readiness endpoints.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace asiokafka {

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
};

struct broker_health {
  std::vector<subscriber_health> subscribers{};

  /// Every subscriber is running and none has a fatal error.
  bool healthy() const noexcept;
};

/// JSON rendering:
/// `{"healthy":true,"subscribers":[{"name":"billing","running":true,"assigned_partitions":3,
///   "last_receive_ms":1700000000000,"fatal_error":null}]}` (`last_receive_ms`: milliseconds
/// since the Unix epoch, null when nothing was received yet).
std::string to_json(const broker_health& health);

}  // namespace asiokafka
