// Topic/partition/offset triples used by assignment, commit, seek and position APIs.
#pragma once

#include <asiokafka/error.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace asiokafka {

/// Special offsets, same values as librdkafka's RD_KAFKA_OFFSET_*.
namespace offsets {
inline constexpr std::int64_t beginning = -2;
inline constexpr std::int64_t end = -1;
inline constexpr std::int64_t stored = -1000;
inline constexpr std::int64_t invalid = -1001;
}  // namespace offsets

struct topic_partition {
  std::string topic{};
  std::int32_t partition = 0;
  /// Meaning depends on the call: next offset to consume (position, commit, seek) or
  /// one of asiokafka::offsets.
  std::int64_t offset = offsets::invalid;
  /// Per-partition result of an operation (commit, committed, ...); empty on success.
  error_code error = {};

  friend bool operator==(const topic_partition& a, const topic_partition& b) noexcept {
    return a.topic == b.topic && a.partition == b.partition && a.offset == b.offset;
  }
};

using topic_partition_list = std::vector<topic_partition>;

/// Low and high watermark of a partition: the first offset still in the log and the offset
/// the next produced message will get.
struct watermarks {
  std::int64_t low = offsets::invalid;
  std::int64_t high = offsets::invalid;
};

}  // namespace asiokafka
