// Thin RAII helpers over librdkafka's C API for the tests that check the environment
// below asiokafka: that librdkafka, the mock cluster and the real Apache Kafka broker(s)
// started by scripts/kafka work together (test_smoke, test_cluster). asiokafka itself is
// deliberately not used here, so a failure in these tests points at the environment.
#pragma once

#include <librdkafka/rdkafka.h>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace asiokafka::test::rdkafka {

struct client_deleter {
  void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
};
using client = std::unique_ptr<rd_kafka_t, client_deleter>;

using properties = std::map<std::string, std::string>;

/// Creates a producer or consumer from `props`; `customize` may install callbacks on the
/// conf before the handle is created. A consumer's main queue is redirected to its
/// consumer queue so rd_kafka_consumer_poll serves rebalances and errors too.
inline client make_client(rd_kafka_type_t type, const properties& props,
                          const std::function<void(rd_kafka_conf_t*)>& customize = {}) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      BOOST_FAIL("rd_kafka_conf_set(" << key << "=" << value << "): " << errstr);
    }
  }
  if (customize) customize(conf);
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    BOOST_FAIL("rd_kafka_new: " << errstr);
  }
  if (type == RD_KAFKA_CONSUMER) rd_kafka_poll_set_consumer(rk);
  return client(rk);
}

/// A producer whose delivery reports record their result in the message opaque
/// (see produce()).
inline client make_producer(const std::string& bootstrap, properties props = {}) {
  props.emplace("bootstrap.servers", bootstrap);
  return make_client(RD_KAFKA_PRODUCER, props, [](rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* msg, void*) {
      *static_cast<rd_kafka_resp_err_t*>(msg->_private) = msg->err;
    });
  });
}

/// Produces one message to `partition` (RD_KAFKA_PARTITION_UA: the partitioner picks),
/// waits for its delivery report and checks it succeeded.
inline void produce(rd_kafka_t* producer, const std::string& topic, const std::string& key, const std::string& value,
                    std::int32_t partition = RD_KAFKA_PARTITION_UA,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  // Written by the delivery report callback during rd_kafka_flush.
  auto delivery = RD_KAFKA_RESP_ERR__IN_PROGRESS;
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
      RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&delivery), RD_KAFKA_V_END);
  BOOST_REQUIRE_MESSAGE(err == RD_KAFKA_RESP_ERR_NO_ERROR,
                        "rd_kafka_producev to " << topic << ": " << rd_kafka_err2str(err));
  const rd_kafka_resp_err_t flushed = rd_kafka_flush(producer, static_cast<int>(timeout.count()));
  BOOST_REQUIRE_MESSAGE(flushed == RD_KAFKA_RESP_ERR_NO_ERROR, "rd_kafka_flush: " << rd_kafka_err2str(flushed));
  BOOST_REQUIRE_MESSAGE(delivery == RD_KAFKA_RESP_ERR_NO_ERROR,
                        "delivery to " << topic << " failed: " << rd_kafka_err2str(delivery));
}

inline const char* error_string(const char* s) noexcept { return s ? s : ""; }

/// Creates `topic` through the admin API and checks the broker accepted it.
inline void create_topic(rd_kafka_t* rk, const std::string& topic, int partitions, int replication_factor,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  char errstr[512];
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, replication_factor, errstr, sizeof errstr);
  BOOST_REQUIRE_MESSAGE(new_topic, "rd_kafka_NewTopic_new(" << topic << "): " << errstr);
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, static_cast<int>(timeout.count()), errstr, sizeof errstr);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &new_topic, 1, options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 5000);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy(new_topic);
  rd_kafka_queue_destroy(queue);
  BOOST_REQUIRE_MESSAGE(event, "CreateTopics(" << topic << ") got no result");
  std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> guard(event, &rd_kafka_event_destroy);
  BOOST_REQUIRE_MESSAGE(rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR_NO_ERROR,
                        "CreateTopics(" << topic << "): " << rd_kafka_event_error_string(event));
  std::size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
  BOOST_REQUIRE_EQUAL(count, 1u);
  BOOST_REQUIRE_MESSAGE(rd_kafka_topic_result_error(results[0]) == RD_KAFKA_RESP_ERR_NO_ERROR,
                        "CreateTopics(" << topic << "): " << rd_kafka_err2str(rd_kafka_topic_result_error(results[0]))
                                        << ": " << error_string(rd_kafka_topic_result_error_string(results[0])));
}

struct partition_state {
  std::int32_t leader = -1;
  int replicas = 0;
  int in_sync = 0;
};

// Partition `partition` of `topic` as the cluster's metadata describes it now; nullopt when the
// metadata request fails or the partition reports an error.
inline std::optional<partition_state> describe(rd_kafka_t* rk, const std::string& topic, std::int32_t partition = 0) {
  std::unique_ptr<rd_kafka_topic_t, decltype(&rd_kafka_topic_destroy)> handle(
      rd_kafka_topic_new(rk, topic.c_str(), nullptr), &rd_kafka_topic_destroy);
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(rk, 0, handle.get(), &metadata, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> guard(metadata,
                                                                                         &rd_kafka_metadata_destroy);
  if (metadata->topic_cnt != 1 || metadata->topics[0].err || metadata->topics[0].partition_cnt <= partition)
    return std::nullopt;
  for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) {
    const rd_kafka_metadata_partition_t& p = metadata->topics[0].partitions[i];
    if (p.id != partition) continue;
    if (p.err) return std::nullopt;
    return partition_state{p.leader, p.replica_cnt, p.isr_cnt};
  }
  return std::nullopt;
}

inline void subscribe(rd_kafka_t* consumer, const std::string& topic) {
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  BOOST_REQUIRE_MESSAGE(err == RD_KAFKA_RESP_ERR_NO_ERROR,
                        "rd_kafka_subscribe(" << topic << "): " << rd_kafka_err2str(err));
}

struct received_message {
  std::string topic;
  std::int32_t partition;
  std::int64_t offset;
  std::string key;
  std::string value;
};

/// Serves `consumer` for up to `timeout` and returns the first message it delivers.
/// Consumer error events are reported as test messages (they are often transient, e.g. a
/// topic whose leader is not elected yet); a fatal error fails the test.
inline std::optional<received_message> consume_one(rd_kafka_t* consumer,
                                                   std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<rd_kafka_message_t, decltype(&rd_kafka_message_destroy)> msg(rd_kafka_consumer_poll(consumer, 100),
                                                                                 &rd_kafka_message_destroy);
    if (!msg) continue;
    if (msg->err) {
      BOOST_REQUIRE_MESSAGE(msg->err != RD_KAFKA_RESP_ERR__FATAL,
                            "fatal consumer error: " << rd_kafka_message_errstr(msg.get()));
      BOOST_TEST_MESSAGE("consumer event: " << rd_kafka_err2name(msg->err) << ": "
                                            << rd_kafka_message_errstr(msg.get()));
      continue;
    }
    return received_message{rd_kafka_topic_name(msg->rkt), msg->partition, msg->offset,
                            std::string(static_cast<const char*>(msg->key), msg->key_len),
                            std::string(static_cast<const char*>(msg->payload), msg->len)};
  }
  return std::nullopt;
}

/// The offset the consumer's group has committed for topic/partition (RD_KAFKA_OFFSET_INVALID if none).
inline std::int64_t committed_offset(rd_kafka_t* consumer, const std::string& topic, std::int32_t partition) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), partition);
  const rd_kafka_resp_err_t err = rd_kafka_committed(consumer, list, 30000);
  const std::int64_t offset = list->elems[0].offset;
  const rd_kafka_resp_err_t partition_err = list->elems[0].err;
  rd_kafka_topic_partition_list_destroy(list);
  BOOST_REQUIRE_MESSAGE(err == RD_KAFKA_RESP_ERR_NO_ERROR, "rd_kafka_committed: " << rd_kafka_err2str(err));
  BOOST_REQUIRE_MESSAGE(partition_err == RD_KAFKA_RESP_ERR_NO_ERROR, "rd_kafka_committed("
                                                                         << topic << "[" << partition
                                                                         << "]): " << rd_kafka_err2str(partition_err));
  return offset;
}

/// Produces one message to `topic` (existing, single partition, empty) and consumes it
/// back in the fresh consumer group `group`, committing its offset: the round trip every
/// Kafka deployment the tests use must support.
inline void check_round_trip(const std::string& bootstrap, const std::string& topic, const std::string& group) {
  const std::string key = "key-" + topic;
  const std::string value = "value-" + topic;
  {
    client producer = make_producer(bootstrap);
    produce(producer.get(), topic, key, value);
  }

  client consumer = make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                    {"group.id", group},
                                                    {"auto.offset.reset", "earliest"},
                                                    {"enable.auto.commit", "false"}});
  subscribe(consumer.get(), topic);
  const std::optional<received_message> msg = consume_one(consumer.get());
  BOOST_REQUIRE_MESSAGE(msg, "no message from " << topic << " within the timeout");
  BOOST_TEST(msg->topic == topic);
  BOOST_TEST(msg->partition == 0);
  BOOST_TEST(msg->offset == 0);
  BOOST_TEST(msg->key == key);
  BOOST_TEST(msg->value == value);

  const rd_kafka_resp_err_t commit = rd_kafka_commit(consumer.get(), nullptr, 0);
  BOOST_REQUIRE_MESSAGE(commit == RD_KAFKA_RESP_ERR_NO_ERROR, "rd_kafka_commit: " << rd_kafka_err2str(commit));
  BOOST_TEST(committed_offset(consumer.get(), topic, 0) == 1);

  const rd_kafka_resp_err_t closed = rd_kafka_consumer_close(consumer.get());
  BOOST_TEST(closed == RD_KAFKA_RESP_ERR_NO_ERROR, "rd_kafka_consumer_close: " << rd_kafka_err2str(closed));
}

}  // namespace asiokafka::test::rdkafka
