// The three-node mode of scripts/kafka (`--brokers 3`): a topic with replication factor 3
// is fully replicated, and its messages survive the partition leader stopping. The
// cluster is started and stopped around these cases by the CTest fixture in
// CMakeLists.txt; stop-node/start-node come from scripts/kafka too.
#define BOOST_TEST_MODULE test_cluster
#include <boost/test/unit_test.hpp>

#include "../rdkafka/rdkafka_client.hpp"
#include "fault_support.hpp"
#include "test_support.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rdk = asiokafka::test::rdkafka;
using namespace std::chrono_literals;

namespace {

constexpr const char* cluster_name = "cluster3";

std::string cluster_bootstrap() { return asiokafka::test::cluster_bootstrap(ASIOKAFKA_CLUSTER_STATE, cluster_name); }

// Runs `scripts/kafka <command> <node> --name cluster3` on this test's cluster.
void kafka_node(const std::string& command, std::int32_t node) {
  const std::string line = std::string("ASIOKAFKA_KAFKA_DIR='") + ASIOKAFKA_CLUSTER_STATE + "' '" +
                           ASIOKAFKA_KAFKA_SCRIPT + "' " + command + " " + std::to_string(node) + " --name " +
                           cluster_name;
  BOOST_TEST_MESSAGE("running " << line);
  BOOST_REQUIRE_MESSAGE(std::system(line.c_str()) == 0, line << " failed");
}

using rdk::describe;
using rdk::partition_state;

// Waits until partition 0 of `topic` satisfies `wanted`; returns its last state.
partition_state wait_for(rd_kafka_t* rk, const std::string& topic,
                         const std::function<bool(const partition_state&)>& wanted, const char* what) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::optional<partition_state> state;
  while (std::chrono::steady_clock::now() < deadline) {
    state = describe(rk, topic);
    if (state && wanted(*state)) return *state;
    std::this_thread::sleep_for(200ms);
  }
  BOOST_FAIL(topic << "[0] never became " << what << " (last: leader " << (state ? state->leader : -1) << ", "
                   << (state ? state->replicas : 0) << " replicas, " << (state ? state->in_sync : 0) << " in sync)");
  return {};
}

bool fully_replicated(const partition_state& state) {
  return state.leader >= 0 && state.replicas == 3 && state.in_sync == 3;
}

struct replicated_topic {
  std::string bootstrap = cluster_bootstrap();
  std::string topic = asiokafka::test::unique_name("replicated");
  rdk::client producer = rdk::make_producer(bootstrap, {{"acks", "all"}});

  replicated_topic() {
    rdk::create_topic(producer.get(), topic, 1, 3);
    wait_for(producer.get(), topic, fully_replicated, "fully replicated on 3 brokers");
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(test_cluster)

BOOST_FIXTURE_TEST_CASE(topic_with_replication_factor_3_is_replicated_on_every_broker, replicated_topic) {
  const partition_state state = wait_for(producer.get(), topic, fully_replicated, "fully replicated");
  BOOST_TEST(state.replicas == 3);
  BOOST_TEST(state.in_sync == 3);
  rdk::check_round_trip(bootstrap, topic, asiokafka::test::unique_name("replicated-group"));
}

BOOST_FIXTURE_TEST_CASE(messages_survive_the_partition_leader_stopping, replicated_topic) {
  rdk::produce(producer.get(), topic, "k", "before");
  const std::int32_t old_leader = wait_for(producer.get(), topic, fully_replicated, "fully replicated").leader;

  kafka_node("stop-node", old_leader);
  const partition_state moved = wait_for(
      producer.get(), topic, [&](const partition_state& s) { return s.leader >= 0 && s.leader != old_leader; },
      "led by another broker");
  BOOST_TEST(moved.in_sync == 2);
  rdk::produce(producer.get(), topic, "k", "after");

  rdk::client consumer = rdk::make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                              {"group.id", asiokafka::test::unique_name("failover")},
                                                              {"auto.offset.reset", "earliest"}});
  rdk::subscribe(consumer.get(), topic);
  std::vector<std::string> values;
  for (int i = 0; i < 2; ++i) {
    const auto msg = rdk::consume_one(consumer.get());
    BOOST_REQUIRE_MESSAGE(msg, "message " << i << " not consumed after the leader stopped");
    values.push_back(msg->value);
  }
  BOOST_TEST(values == (std::vector<std::string>{"before", "after"}), boost::test_tools::per_element());
  BOOST_TEST(rd_kafka_consumer_close(consumer.get()) == RD_KAFKA_RESP_ERR_NO_ERROR);

  // Leave the cluster whole for whatever runs next.
  kafka_node("start-node", old_leader);
  wait_for(producer.get(), topic, fully_replicated, "fully replicated again");
}

BOOST_AUTO_TEST_SUITE_END()
