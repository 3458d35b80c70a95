#include "admin/admin_results.hpp"

#include "admin/alter_configs.hpp"
#include "detail/partition_list.hpp"

#include <algorithm>

namespace asiokafka::detail {

namespace {

std::string text_of(const char* s) { return s ? s : ""; }

item_result from_rd_error(std::string name, const rd_kafka_error_t* e) {
  if (!e) return {std::move(name), {}, {}};
  return {std::move(name), make_kafka_error_code(rd_kafka_error_code(e)), text_of(rd_kafka_error_string(e))};
}

std::vector<item_result> from_topic_results(const rd_kafka_topic_result_t** results, std::size_t n) {
  std::vector<item_result> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto err = rd_kafka_topic_result_error(results[i]);
    out.push_back({text_of(rd_kafka_topic_result_name(results[i])), make_kafka_error_code(err),
                   err ? text_of(rd_kafka_topic_result_error_string(results[i])) : std::string()});
  }
  return out;
}

resource_type from_rd_resource_type(rd_kafka_ResourceType_t t) noexcept {
  switch (t) {
    case RD_KAFKA_RESOURCE_BROKER:
      return resource_type::broker;
    case RD_KAFKA_RESOURCE_GROUP:
      return resource_type::group;
    default:
      return resource_type::topic;
  }
}

std::string group_state_name(rd_kafka_consumer_group_state_t s) {
  return text_of(rd_kafka_consumer_group_state_name(s));
}

}  // namespace

std::vector<item_result> in_input_order(const std::vector<std::string>& names, std::vector<item_result> answered,
                                        const std::vector<item_result>& refused) {
  std::vector<item_result> out;
  out.reserve(names.size());
  for (const auto& name : names) {
    auto match = [&](const item_result& r) { return r.name == name; };
    if (auto it = std::find_if(answered.begin(), answered.end(), match); it != answered.end()) {
      out.push_back(std::move(*it));
      answered.erase(it);
    } else if (auto r = std::find_if(refused.begin(), refused.end(), match); r != refused.end()) {
      out.push_back(*r);
    } else {
      out.push_back({name, make_kafka_error_code(RD_KAFKA_RESP_ERR__FAIL), "the broker's answer did not name it"});
    }
  }
  return out;
}

std::vector<item_result> topic_results(rd_kafka_event_t* ev) {
  std::size_t n = 0;
  switch (rd_kafka_event_type(ev)) {
    case RD_KAFKA_EVENT_CREATETOPICS_RESULT: {
      auto** r = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
      return from_topic_results(r, n);
    }
    case RD_KAFKA_EVENT_DELETETOPICS_RESULT: {
      auto** r = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
      return from_topic_results(r, n);
    }
    case RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT: {
      auto** r = rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
      return from_topic_results(r, n);
    }
    default:
      return {};
  }
}

std::vector<item_result> group_results(rd_kafka_event_t* ev) {
  std::size_t n = 0;
  auto** r = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &n);
  std::vector<item_result> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(from_rd_error(text_of(rd_kafka_group_result_name(r[i])), rd_kafka_group_result_error(r[i])));
  return out;
}

std::vector<resource_configs> config_results(rd_kafka_event_t* ev) {
  std::size_t n = 0;
  const rd_kafka_ConfigResource_t** r =
      rd_kafka_event_type(ev) == RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT
          ? rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n)
          : altered_resources(ev, &n);
  std::vector<resource_configs> out;
  for (std::size_t i = 0; i < n; ++i) {
    resource_configs rc;
    rc.resource = {from_rd_resource_type(rd_kafka_ConfigResource_type(r[i])),
                   text_of(rd_kafka_ConfigResource_name(r[i]))};
    if (const auto err = rd_kafka_ConfigResource_error(r[i])) {
      rc.error = make_kafka_error_code(err);
      rc.message = text_of(rd_kafka_ConfigResource_error_string(r[i]));
    }
    std::size_t m = 0;
    auto** entries = rd_kafka_ConfigResource_configs(r[i], &m);
    for (std::size_t j = 0; j < m; ++j) {
      config_entry e;
      e.name = text_of(rd_kafka_ConfigEntry_name(entries[j]));
      e.sensitive = rd_kafka_ConfigEntry_is_sensitive(entries[j]);
      if (const char* v = rd_kafka_ConfigEntry_value(entries[j]); v && !e.sensitive) e.value = v;
      e.is_default = rd_kafka_ConfigEntry_is_default(entries[j]);
      e.read_only = rd_kafka_ConfigEntry_is_read_only(entries[j]);
      e.source = text_of(rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(entries[j])));
      rc.entries.push_back(std::move(e));
    }
    out.push_back(std::move(rc));
  }
  return out;
}

topic_partition_list delete_records_result(rd_kafka_event_t* ev) {
  return from_rd_list(rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev)));
}

group_list list_groups_result(rd_kafka_event_t* ev) {
  const auto* result = rd_kafka_event_ListConsumerGroups_result(ev);
  group_list out;
  std::size_t n = 0;
  auto** valid = rd_kafka_ListConsumerGroups_result_valid(result, &n);
  for (std::size_t i = 0; i < n; ++i)
    out.groups.push_back({text_of(rd_kafka_ConsumerGroupListing_group_id(valid[i])),
                          group_state_name(rd_kafka_ConsumerGroupListing_state(valid[i])),
                          rd_kafka_ConsumerGroupListing_is_simple_consumer_group(valid[i]) != 0});
  auto** errors = rd_kafka_ListConsumerGroups_result_errors(result, &n);
  for (std::size_t i = 0; i < n; ++i) out.errors.push_back(from_rd_error("", errors[i]));
  std::sort(out.groups.begin(), out.groups.end(),
            [](const group_listing& a, const group_listing& b) { return a.group_id < b.group_id; });
  return out;
}

std::vector<group_description> describe_groups_result(rd_kafka_event_t* ev) {
  std::size_t n = 0;
  auto** groups = rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
  std::vector<group_description> out;
  for (std::size_t i = 0; i < n; ++i) {
    const auto* g = groups[i];
    group_description d;
    d.group_id = text_of(rd_kafka_ConsumerGroupDescription_group_id(g));
    if (const auto* e = rd_kafka_ConsumerGroupDescription_error(g)) {
      auto r = from_rd_error(d.group_id, e);
      d.error = r.error;
      d.message = std::move(r.message);
    }
    d.state = group_state_name(rd_kafka_ConsumerGroupDescription_state(g));
    d.assignor = text_of(rd_kafka_ConsumerGroupDescription_partition_assignor(g));
#if RD_KAFKA_VERSION >= 0x020a00ff  // the group type and target assignment came with 2.10
    switch (rd_kafka_ConsumerGroupDescription_type(g)) {
      case RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC:
        d.type = "classic";
        break;
      case RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER:
        d.type = "consumer";
        break;
      default:
        d.type = "unknown";
        break;
    }
#endif
    d.simple = rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(g) != 0;
    if (const auto* node = rd_kafka_ConsumerGroupDescription_coordinator(g))
      d.coordinator = {rd_kafka_Node_id(node), text_of(rd_kafka_Node_host(node)), rd_kafka_Node_port(node)};
    const std::size_t members = rd_kafka_ConsumerGroupDescription_member_count(g);
    for (std::size_t j = 0; j < members; ++j) {
      const auto* m = rd_kafka_ConsumerGroupDescription_member(g, j);
      group_member gm;
      gm.member_id = text_of(rd_kafka_MemberDescription_consumer_id(m));
      if (const char* id = rd_kafka_MemberDescription_group_instance_id(m); id && *id) gm.group_instance_id = id;
      gm.client_id = text_of(rd_kafka_MemberDescription_client_id(m));
      gm.host = text_of(rd_kafka_MemberDescription_host(m));
      if (const auto* a = rd_kafka_MemberDescription_assignment(m))
        if (const auto* parts = rd_kafka_MemberAssignment_partitions(a)) gm.assignment = from_rd_list(parts);
#if RD_KAFKA_VERSION >= 0x020a00ff
      if (const auto* a = rd_kafka_MemberDescription_target_assignment(m))
        if (const auto* parts = rd_kafka_MemberAssignment_partitions(a)) gm.target_assignment = from_rd_list(parts);
#endif
      for (auto& tp : gm.assignment) tp.offset = offsets::invalid;
      for (auto& tp : gm.target_assignment) tp.offset = offsets::invalid;
      d.members.push_back(std::move(gm));
    }
    out.push_back(std::move(d));
  }
  return out;
}

group_offsets group_offsets_result(rd_kafka_event_t* ev) {
  std::size_t n = 0;
  const rd_kafka_group_result_t** r = nullptr;
  switch (rd_kafka_event_type(ev)) {
    case RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT:
      r = rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
      break;
    case RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT:
      r = rd_kafka_AlterConsumerGroupOffsets_result_groups(rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
      break;
    case RD_KAFKA_EVENT_DELETECONSUMERGROUPOFFSETS_RESULT:
      r = rd_kafka_DeleteConsumerGroupOffsets_result_groups(rd_kafka_event_DeleteConsumerGroupOffsets_result(ev), &n);
      break;
    default:
      break;
  }
  group_offsets out;
  if (n == 0) return out;
  auto result = from_rd_error(text_of(rd_kafka_group_result_name(r[0])), rd_kafka_group_result_error(r[0]));
  out.group_id = std::move(result.name);
  out.error = result.error;
  out.message = std::move(result.message);
  if (const auto* parts = rd_kafka_group_result_partitions(r[0])) out.partitions = from_rd_list(parts);
  return out;
}

rd_kafka_ResourceType_t to_rd_resource_type(resource_type t) noexcept {
  switch (t) {
    case resource_type::broker:
      return RD_KAFKA_RESOURCE_BROKER;
    case resource_type::group:
      return RD_KAFKA_RESOURCE_GROUP;
    case resource_type::topic:
      break;
  }
  return RD_KAFKA_RESOURCE_TOPIC;
}

}  // namespace asiokafka::detail
