#include "detail/partition_list.hpp"

namespace asiokafka::detail {

rd_list_ptr to_rd_list(const topic_partition_list& parts) {
  rd_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())));
  for (const auto& p : parts)
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition)->offset = p.offset;
  return list;
}

topic_partition_list from_rd_list(const rd_kafka_topic_partition_list_t* list) {
  topic_partition_list out;
  if (!list) return out;
  out.reserve(static_cast<std::size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    out.push_back({e.topic, e.partition, e.offset, make_kafka_error_code(e.err)});
  }
  return out;
}

std::string describe(const topic_partition_list& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p.topic + "[" + std::to_string(p.partition) + "]";
  return out;
}

}  // namespace asiokafka::detail
