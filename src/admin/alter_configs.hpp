// Which of Kafka's two ways of altering configs this build uses: IncrementalAlterConfigs (SET
// of the named keys, others unchanged) with librdkafka 2.2 and later, the platform; the
// whole-config AlterConfigs with older librdkafka (the floor, 2.0.2, has no incremental form).
// Group resources (KIP-848's consumer.session.timeout.ms, ...) need the incremental form.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <string>

namespace asiokafka::detail {

#if RD_KAFKA_VERSION >= 0x020200ff
inline constexpr rd_kafka_admin_op_t alter_configs_op = RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS;
inline constexpr rd_kafka_event_type_t alter_configs_result_event = RD_KAFKA_EVENT_INCREMENTALALTERCONFIGS_RESULT;
#else
inline constexpr rd_kafka_admin_op_t alter_configs_op = RD_KAFKA_ADMIN_OP_ALTERCONFIGS;
inline constexpr rd_kafka_event_type_t alter_configs_result_event = RD_KAFKA_EVENT_ALTERCONFIGS_RESULT;
#endif

/// Adds `key` = `value` to `resource` as this build alters configs; false if librdkafka refuses.
bool add_config_setting(rd_kafka_ConfigResource_t* resource, const std::string& key, const std::string& value);

/// Starts the alter request for `n` resources.
void alter_configs(rd_kafka_t* rk, rd_kafka_ConfigResource_t** resources, std::size_t n,
                   const rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue);

/// The resources of an alter result event (alter_configs_result_event).
const rd_kafka_ConfigResource_t** altered_resources(rd_kafka_event_t* ev, std::size_t* n);

}  // namespace asiokafka::detail
