// librdkafka's admin result events turned into asiokafka's result types (admin_types.hpp).
// Each reads an event the caller still owns; nothing here does I/O.
#pragma once

#include <asiokafka/admin_types.hpp>

#include <librdkafka/rdkafka.h>

#include <string>
#include <vector>

namespace asiokafka::detail {

/// One result per name of `names`, in that order: the answered result of that name, else the
/// request's local refusal of it (`refused`), else an error saying the broker did not answer.
std::vector<item_result> in_input_order(const std::vector<std::string>& names, std::vector<item_result> answered,
                                        const std::vector<item_result>& refused);

std::vector<item_result> topic_results(rd_kafka_event_t* ev);
std::vector<item_result> group_results(rd_kafka_event_t* ev);
std::vector<resource_configs> config_results(rd_kafka_event_t* ev);
topic_partition_list delete_records_result(rd_kafka_event_t* ev);
group_list list_groups_result(rd_kafka_event_t* ev);
std::vector<group_description> describe_groups_result(rd_kafka_event_t* ev);
/// The first (only) group of a list / alter / delete group offsets result.
group_offsets group_offsets_result(rd_kafka_event_t* ev);

rd_kafka_ResourceType_t to_rd_resource_type(resource_type t) noexcept;

}  // namespace asiokafka::detail
