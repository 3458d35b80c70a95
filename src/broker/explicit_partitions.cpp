#include "broker/explicit_partitions.hpp"

#include <asiokafka/config/config_error.hpp>
#include <asiokafka/config/static_id_policy.hpp>

#include <librdkafka/rdkafka.h>

#include <memory>
#include <set>
#include <utility>

namespace asiokafka::detail {
namespace {

std::string describe(const partition_assignment& p) { return p.topic + "[" + std::to_string(p.partition) + "]"; }

[[noreturn]] void fail(const subscriber_options& o, const std::string& key, const std::string& detail) {
  throw config_error(key, config_scope::subscriber, o.name, detail);
}

}  // namespace

std::string unjoined_group_id(const std::string& subscriber_name) {
  return derive_static_id("asiokafka-partitions", subscriber_name);
}

bool has_user_group(const composed_config& config) {
  const auto* group = config.find("group.id");
  return group != nullptr && group->scope != config_scope::library_default;
}

void check_subscription(const std::vector<std::string>& topics, const subscriber_options& o) {
  if (!topics.empty() && !o.partitions.empty())
    fail(o, "partitions",
         "a subscriber reads either topics (group membership) or explicit partitions, not both: pass no topics "
         "or no partitions");
  if (topics.empty() && o.partitions.empty()) fail(o, "partitions", "a subscriber needs topics or explicit partitions");
  if (o.partitions.empty()) return;
  if (o.guarantee == processing_guarantee::exactly_once)
    fail(o, "partitions",
         "processing_guarantee::exactly_once is not available for explicit partitions (its transactions commit "
         "the offsets of a group member)");
  std::set<std::pair<std::string, std::int32_t>> seen;
  for (const auto& p : o.partitions) {
    if (p.topic.empty()) fail(o, "partitions", "a partition has an empty topic name");
    if (p.partition < 0) fail(o, "partitions", describe(p) + ": a partition number cannot be negative");
    if (!seen.emplace(p.topic, p.partition).second) fail(o, "partitions", describe(p) + " is named twice");
    if (p.start.from == partition_start::kind::offset && p.start.value < 0)
      fail(o, "partitions",
           describe(p) + " starts at offset " + std::to_string(p.start.value) +
               "; use partition_start::earliest(), latest() or committed() rather than a negative offset");
  }
}

void check_committed_starts(const subscriber_options& o, bool user_group) {
  if (user_group) return;
  for (const auto& p : o.partitions)
    if (p.start.from == partition_start::kind::committed)
      fail(o, "group.id",
           describe(p) +
               " starts at its committed offset, which needs a group.id (at broker or subscriber scope) "
               "to read it from");
}

topic_partition_list time_queries(const std::vector<partition_assignment>& partitions) {
  topic_partition_list q;
  for (const auto& p : partitions)
    if (p.start.from == partition_start::kind::timestamp) q.push_back({p.topic, p.partition, p.start.value});
  return q;
}

std::string missing_partition(const std::vector<partition_assignment>& partitions,
                              const std::map<std::string, int>& counts) {
  for (const auto& p : partitions) {
    const auto it = counts.find(p.topic);
    const int count = it == counts.end() ? 0 : it->second;
    if (count == 0) return "topic \"" + p.topic + "\" does not exist: " + describe(p) + " does not exist";
    if (p.partition >= count)
      return "topic \"" + p.topic + "\" has " + std::to_string(count) + " partition" + (count == 1 ? "" : "s") + ": " +
             describe(p) + " does not exist";
  }
  return {};
}

resolved_starts resolve_starts(const std::vector<partition_assignment>& partitions, const topic_partition_list& found) {
  resolved_starts out;
  std::size_t next_found = 0;
  for (const auto& p : partitions) {
    std::int64_t offset = offsets::beginning;
    switch (p.start.from) {
      case partition_start::kind::earliest:
        offset = offsets::beginning;
        break;
      case partition_start::kind::latest:
        offset = offsets::end;
        break;
      case partition_start::kind::committed:
        offset = offsets::stored;
        break;
      case partition_start::kind::offset:
        offset = p.start.value;
        break;
      case partition_start::kind::timestamp: {
        if (next_found >= found.size()) {
          out.error = make_error_code(error::not_assigned);
          out.what = "no offset was found for the time of " + describe(p);
          out.assignment.clear();
          return out;
        }
        const topic_partition& f = found[next_found++];
        if (f.error) {
          out.error = f.error;
          out.what = "looking up the offset for time " + std::to_string(p.start.value) + " ms of " + describe(p);
          out.assignment.clear();
          return out;
        }
        // librdkafka answers "no record that recent" with -1: the end.
        offset = f.offset < 0 ? offsets::end : f.offset;
        break;
      }
    }
    out.assignment.push_back({p.topic, p.partition, offset});
  }
  return out;
}

partition_counts lookup_partition_counts(void* handle, const std::vector<std::string>& topics,
                                         std::chrono::milliseconds timeout) {
  auto* rk = static_cast<rd_kafka_t*>(handle);
  partition_counts out;
  for (const auto& topic : topics) {
    std::unique_ptr<rd_kafka_topic_t, void (*)(rd_kafka_topic_t*)> rkt(rd_kafka_topic_new(rk, topic.c_str(), nullptr),
                                                                       &rd_kafka_topic_destroy);
    const rd_kafka_metadata_t* md = nullptr;
    auto err = rd_kafka_metadata(rk, 0, rkt.get(), &md, static_cast<int>(timeout.count()));
    int count = 0;
    if (!err && md->topic_cnt == 1) {
      err = md->topics[0].err;
      count = md->topics[0].partition_cnt;
    }
    if (md) rd_kafka_metadata_destroy(md);
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) err = RD_KAFKA_RESP_ERR_NO_ERROR;  // count 0: missing
    if (err) {
      out.error = make_kafka_error_code(err);
      out.what = "metadata of topic \"" + topic + "\"";
      return out;
    }
    out.counts[topic] = count;
  }
  return out;
}

}  // namespace asiokafka::detail
