#include "broker/reply_topic.hpp"

#include <librdkafka/rdkafka.h>

#include <memory>
#include <tuple>
#include <utility>
#include <thread>

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
            "creating reply topic \"" + topic + "\": " + rd_kafka_event_error_string(ev.get()), {}};
  std::size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
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

namespace {

// The topic's partition count from metadata; 0 with UNKNOWN_TOPIC_OR_PART when it does not exist.
std::pair<rd_kafka_resp_err_t, int> partition_count(rd_kafka_t* rk, rd_kafka_topic_t* rkt, std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(rk, 0, rkt, &md, static_cast<int>(timeout.count()));
  int partitions = 0;
  if (!err && md->topic_cnt == 1) {
    err = md->topics[0].err;
    partitions = md->topics[0].partition_cnt;
  }
  if (md) rd_kafka_metadata_destroy(md);
  if (!err && partitions == 0) err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  return {err, partitions};
}

}  // namespace

reply_topic_position position_reply_topic(void* handle, const std::string& topic, std::chrono::milliseconds timeout) {
  auto* rk = static_cast<rd_kafka_t*>(handle);
  std::unique_ptr<rd_kafka_topic_t, deleter<rd_kafka_topic_t, rd_kafka_topic_destroy>> rkt(
      rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  auto [err, partitions] = partition_count(rk, rkt.get(), timeout);
  if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    if (auto created = create_topic(rk, topic, timeout); created.error) return created;
    // A topic that was just created may take a moment to appear in every broker's metadata.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a pool thread
      std::tie(err, partitions) = partition_count(rk, rkt.get(), timeout);
    } while (err && std::chrono::steady_clock::now() < deadline);
  }
  reply_topic_position out;
  if (err) {
    out.error = make_kafka_error_code(err);
    out.what = "metadata of reply topic \"" + topic + "\"";
    return out;
  }
  for (int p = 0; p < partitions; ++p) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, static_cast<int>(timeout.count()));
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
