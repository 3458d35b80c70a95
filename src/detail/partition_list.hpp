#pragma once

#include <asiokafka/topic_partition.hpp>

#include "detail/rd_conf.hpp"

#include <string>

namespace asiokafka::detail {

rd_list_ptr to_rd_list(const topic_partition_list& parts);
topic_partition_list from_rd_list(const rd_kafka_topic_partition_list_t* list);

/// "topic[0],topic[1]": partitions named in error contexts and log lines.
std::string describe(const topic_partition_list& parts);

}  // namespace asiokafka::detail
