// librdkafka's in-process mock cluster, for unit tests that steer brokers and coordinators
// (rd_kafka_mock_*: errors pushed on requests, brokers set down and up, coordinators moved).
#pragma once

#include <boost/test/unit_test.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <string>

namespace asiokafka::test {

/// A mock cluster of `brokers` brokers, owned by a handle of its own, with a topic "orders"
/// of `partitions` partitions.
struct mock_cluster {
  rd_kafka_t* rk = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;

  explicit mock_cluster(int brokers = 1, int partitions = 2) {
    char errstr[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    BOOST_REQUIRE_MESSAGE(rk, errstr);
    cluster = rd_kafka_mock_cluster_new(rk, brokers);
    BOOST_REQUIRE(cluster);
    rd_kafka_mock_topic_create(cluster, "orders", partitions, 1);
  }
  mock_cluster(const mock_cluster&) = delete;
  mock_cluster& operator=(const mock_cluster&) = delete;
  ~mock_cluster() {
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
  }
  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster); }
};

}  // namespace asiokafka::test
