#include "broker/reply_topic.hpp"

#include "broker/explicit_partitions.hpp"

#include <librdkafka/rdkafka.h>

#include <memory>
#include <thread>
#include <vector>

namespace asiokafka::detail {

namespace {

template <class T, void (*Destroy)(T*)>
struct deleter {
  void operator()(T* p) const noexcept { Destroy(p); }
};
using queue_ptr = std::unique_ptr<rd_kafka_queue_t, deleter<rd_kafka_queue_t, rd_kafka_queue_destroy>>;
using new_topic_ptr = std::unique_ptr<rd_kafka_NewTopic_t, deleter<rd_kafka_NewTopic_t, rd_kafka_NewTopic_destroy>>;
using options_ptr =
    std::unique_ptr<rd_kafka_AdminOptions_t, deleter<rd_kafka_AdminOptions_t, rd_kafka_AdminOptions_destroy>>;
using event_ptr = std::unique_ptr<rd_kafka_event_t, deleter<rd_kafka_event_t, rd_kafka_event_destroy>>;

// CreateTopics; "already exists" is success.
reply_topic_position create_topic(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout) {
  char errstr[512] = {};
  new_topic_ptr nt(rd_kafka_NewTopic_new(topic.c_str(), 1, -1, errstr, sizeof errstr));
  if (!nt) return {make_error_code(error::invalid_config), "reply topic \"" + topic + "\": " + errstr, {}};
  rd_kafka_NewTopic_set_config(nt.get(), "retention.ms", "3600000");
  options_ptr options(rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS));
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()), nullptr, 0);
  rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()), nullptr, 0);
  queue_ptr queue(rd_kafka_queue_new(rk));
  rd_kafka_NewTopic_t* topics[] = {nt.get()};
  rd_kafka_CreateTopics(rk, topics, 1, options.get(), queue.get());
  event_ptr ev(rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 1000));
  if (!ev) return {make_kafka_error_code(RD_KAFKA_RESP_ERR__TIMED_OUT), "creating reply topic \"" + topic + "\"", {}};
  if (rd_kafka_event_error(ev.get()))
    return {make_kafka_error_code(rd_kafka_event_error(ev.get())),
            "creating reply topic \"" + topic + "\": " + rd_kafka_event_error_string(ev.get()),
            {}};
  std::size_t n = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto err = rd_kafka_topic_result_error(results[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      const char* msg = rd_kafka_topic_result_error_string(results[i]);
      return {make_kafka_error_code(err), "creating reply topic \"" + topic + "\": " + (msg ? msg : ""), {}};
    }
  }
  return {};
}

}  // namespace

reply_topic_position position_reply_topic(void* handle, const std::string& topic, std::chrono::milliseconds timeout) {
  auto* rk = static_cast<rd_kafka_t*>(handle);
  const std::vector<std::string> topics{topic};
  auto counted = lookup_partition_counts(rk, topics, timeout);
  if (!counted.error && counted.counts[topic] == 0) {
    if (auto created = create_topic(rk, topic, timeout); created.error) return created;
    // A topic that was just created may take a moment to appear in every broker's metadata.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a pool thread
      counted = lookup_partition_counts(rk, topics, timeout);
    } while ((counted.error || counted.counts[topic] == 0) && std::chrono::steady_clock::now() < deadline);
  }
  reply_topic_position out;
  const int partitions = counted.error ? 0 : counted.counts[topic];
  if (counted.error || partitions == 0) {
    out.error = counted.error ? counted.error : make_kafka_error_code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    out.what = "metadata of reply topic \"" + topic + "\"";
    return out;
  }
  for (int p = 0; p < partitions; ++p) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    const auto err =
        rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, static_cast<int>(timeout.count()));
    if (err) {
      out.error = make_kafka_error_code(err);
      out.what = "high watermark of reply topic \"" + topic + "\" [" + std::to_string(p) + "]";
      out.start.clear();
      return out;
    }
    out.start.push_back({topic, p, high, {}});
  }
  return out;
}

}  // namespace asiokafka::detail
