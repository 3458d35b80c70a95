// Turns a composed configuration into librdkafka's rd_kafka_conf_t.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <optional>

namespace asiokafka {
class composed_config;
}

namespace asiokafka::detail {

enum class client_kind;

struct rd_conf_deleter {
  void operator()(rd_kafka_conf_t* c) const noexcept { rd_kafka_conf_destroy(c); }
};
using rd_conf_ptr = std::unique_ptr<rd_kafka_conf_t, rd_conf_deleter>;

/// Sets every effective key (with `only_for`, only the keys that apply to that kind of client).
/// Throws config_error naming key and scope if librdkafka rejects one (the composer validated
/// them already, so this signals a librdkafka mismatch).
rd_conf_ptr make_rd_conf(const composed_config& config, std::optional<client_kind> only_for = std::nullopt);

/// Reads an integer property from a conf (e.g. max.poll.interval.ms); `fallback` if unset.
long long conf_int(const rd_kafka_conf_t* conf, const char* key, long long fallback);
/// Reads a boolean property ("true"/"false").
bool conf_bool(const rd_kafka_conf_t* conf, const char* key, bool fallback);

/// Owns a librdkafka partition list (conversions to and from asiokafka's: partition_list.hpp).
struct rd_list_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const noexcept { rd_kafka_topic_partition_list_destroy(l); }
};
using rd_list_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, rd_list_deleter>;

}  // namespace asiokafka::detail
