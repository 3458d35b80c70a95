// The reply topic of a broker's requests: created when missing, and the offsets where its
// reply consumer starts (each partition's high watermark, so a reply to a request sent
// afterwards cannot be missed). Blocking librdkafka calls: run on the blocking pool.
#pragma once

#include <asiokafka/error.hpp>
#include <asiokafka/topic_partition.hpp>

#include <chrono>
#include <string>

namespace asiokafka::detail {

struct reply_topic_position {
  error_code error{};
  std::string what{};  // context for the error
  topic_partition_list start{};
};

/// Creates `topic` (1 partition, the broker's replication factor, `retention.ms` of an hour)
/// unless it exists, then returns every partition at its high watermark. `rk` is a
/// `rd_kafka_t*`. Blocks for up to about three times `timeout`.
reply_topic_position position_reply_topic(void* rk, const std::string& topic, std::chrono::milliseconds timeout);

}  // namespace asiokafka::detail
