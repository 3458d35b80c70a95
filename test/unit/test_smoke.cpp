// The environment below asiokafka: librdkafka's in-process mock cluster (what
// asiokafka::testing builds on) carries a message from a producer to a consumer group.
#define BOOST_TEST_MODULE test_smoke
#include <boost/test/unit_test.hpp>

#include "../rdkafka/rdkafka_client.hpp"
#include "test_support.hpp"

#include <librdkafka/rdkafka_mock.h>  // after rdkafka.h, which it requires

#include <memory>
#include <string>

namespace rdk = asiokafka::test::rdkafka;

BOOST_AUTO_TEST_SUITE(test_smoke)

BOOST_AUTO_TEST_CASE(produce_consume_one_message_on_mock_cluster) {
  // The mock cluster lives on a handle of its own; it must be destroyed before that handle.
  rdk::client mock_owner = rdk::make_client(RD_KAFKA_PRODUCER, {});
  std::unique_ptr<rd_kafka_mock_cluster_t, decltype(&rd_kafka_mock_cluster_destroy)> cluster(
      rd_kafka_mock_cluster_new(mock_owner.get(), 1), &rd_kafka_mock_cluster_destroy);
  BOOST_REQUIRE(cluster);
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster.get());
  BOOST_TEST_MESSAGE("mock cluster at " << bootstrap);

  const std::string topic = asiokafka::test::unique_name("smoke");
  const rd_kafka_resp_err_t created = rd_kafka_mock_topic_create(cluster.get(), topic.c_str(), 1, 1);
  BOOST_REQUIRE_MESSAGE(created == RD_KAFKA_RESP_ERR_NO_ERROR,
                        "rd_kafka_mock_topic_create: " << rd_kafka_err2str(created));

  rdk::check_round_trip(bootstrap, topic, asiokafka::test::unique_name("smoke-group"));
}

BOOST_AUTO_TEST_SUITE_END()
