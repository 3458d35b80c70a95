// The environment below asiokafka: Debian's librdkafka (2.0.2) against the Apache Kafka
// broker that scripts/kafka runs. Produce, consume in a classic-protocol consumer group,
// commit, and static membership: what asiokafka's real-broker tests rely on. Kafka 4.0
// removed old protocol versions (KIP-896), so a broker upgrade that breaks this client
// fails here first, in plain librdkafka terms.
#define BOOST_TEST_MODULE test_smoke_real_broker
#include <boost/test/unit_test.hpp>

#include "../rdkafka/rdkafka_client.hpp"
#include "test_support.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rdk = asiokafka::test::rdkafka;
using namespace std::chrono_literals;

namespace {

// What a consumer's rebalance callback saw.
struct membership {
  int assignments = 0;
  int revocations = 0;
  std::vector<std::int32_t> assigned;
};

void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto& seen = *static_cast<membership*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    ++seen.assignments;
    seen.assigned.clear();
    for (int i = 0; i < partitions->cnt; ++i) seen.assigned.push_back(partitions->elems[i].partition);
    rd_kafka_assign(rk, partitions);
  } else {
    ++seen.revocations;
    seen.assigned.clear();
    rd_kafka_assign(rk, nullptr);
  }
}

// A static member of `group` subscribed to `topic`, with a short heartbeat so it hears of
// any rebalance quickly.
rdk::client static_member(const std::string& bootstrap, const std::string& group, const std::string& instance,
                          const std::string& topic, membership& seen) {
  rdk::client consumer = rdk::make_client(RD_KAFKA_CONSUMER,
                                          {{"bootstrap.servers", bootstrap},
                                           {"group.id", group},
                                           {"group.instance.id", instance},
                                           {"session.timeout.ms", "30000"},
                                           {"heartbeat.interval.ms", "300"},
                                           {"auto.offset.reset", "earliest"}},
                                          [&](rd_kafka_conf_t* conf) {
                                            rd_kafka_conf_set_opaque(conf, &seen);
                                            rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
                                          });
  rdk::subscribe(consumer.get(), topic);
  return consumer;
}

// Serves every consumer (discarding messages) until `done` holds or `timeout` passes;
// returns whether `done` held.
bool serve_until(const std::vector<rd_kafka_t*>& consumers, const std::function<bool()>& done,
                 std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    for (rd_kafka_t* consumer : consumers) {
      if (rd_kafka_message_t* msg = rd_kafka_consumer_poll(consumer, 20)) rd_kafka_message_destroy(msg);
    }
  }
  return true;
}

void serve_for(const std::vector<rd_kafka_t*>& consumers, std::chrono::milliseconds duration) {
  serve_until(
      consumers, [] { return false; }, duration);
}

struct two_partition_topic {
  std::string bootstrap = asiokafka::test::real_brokers();
  std::string topic = asiokafka::test::unique_name("smoke-static");
  std::string group = asiokafka::test::unique_name("smoke-static-group");

  two_partition_topic() {
    rdk::client admin = rdk::make_producer(bootstrap);
    rdk::create_topic(admin.get(), topic, 2, 1);
  }
};

rd_kafka_resp_err_t fatal_error_code(rd_kafka_t* rk) {
  char errstr[512];
  return rd_kafka_fatal_error(rk, errstr, sizeof errstr);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_smoke_real_broker)

BOOST_AUTO_TEST_CASE(produce_consume_one_message_with_consumer_group) {
  const std::string bootstrap = asiokafka::test::real_brokers();
  const std::string topic = asiokafka::test::unique_name("smoke");
  {
    rdk::client admin = rdk::make_producer(bootstrap);
    rdk::create_topic(admin.get(), topic, 1, 1);
  }
  rdk::check_round_trip(bootstrap, topic, asiokafka::test::unique_name("smoke-group"));
}

BOOST_FIXTURE_TEST_CASE(static_member_restart_keeps_assignment_without_rebalance, two_partition_topic) {
  membership a_seen, b_seen;
  rdk::client a = static_member(bootstrap, group, "member-a", topic, a_seen);
  rdk::client b = static_member(bootstrap, group, "member-b", topic, b_seen);
  BOOST_REQUIRE_MESSAGE(
      serve_until(
          {a.get(), b.get()}, [&] { return a_seen.assigned.size() == 1 && b_seen.assigned.size() == 1; }, 60s),
      "the two static members did not split the two partitions");
  const std::vector<std::int32_t> a_partitions = a_seen.assigned;
  const int b_assignments = b_seen.assignments;
  const int b_revocations = b_seen.revocations;

  // A static member leaves without LeaveGroup; rejoining within session.timeout.ms with
  // the same group.instance.id gets its partition back and the group does not rebalance.
  BOOST_TEST(rd_kafka_consumer_close(a.get()) == RD_KAFKA_RESP_ERR_NO_ERROR);
  a.reset();
  membership restarted_seen;
  rdk::client restarted = static_member(bootstrap, group, "member-a", topic, restarted_seen);
  BOOST_REQUIRE_MESSAGE(serve_until(
                            {restarted.get(), b.get()}, [&] { return !restarted_seen.assigned.empty(); }, 30s),
                        "the restarted static member got no assignment");
  serve_for({restarted.get(), b.get()}, 2s);  // several heartbeats: b would hear of a rebalance

  BOOST_TEST(restarted_seen.assigned == a_partitions, boost::test_tools::per_element());
  BOOST_TEST(b_seen.assignments == b_assignments);
  BOOST_TEST(b_seen.revocations == b_revocations);
  BOOST_TEST(b_seen.assigned.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(duplicate_static_member_fences_the_older_one, two_partition_topic) {
  membership first_seen, second_seen;
  rdk::client first = static_member(bootstrap, group, "member-x", topic, first_seen);
  BOOST_REQUIRE(serve_until(
      {first.get()}, [&] { return !first_seen.assigned.empty(); }, 60s));

  rdk::client second = static_member(bootstrap, group, "member-x", topic, second_seen);
  BOOST_REQUIRE_MESSAGE(serve_until(
                            {first.get(), second.get()},
                            [&] { return fatal_error_code(first.get()) != RD_KAFKA_RESP_ERR_NO_ERROR; }, 30s),
                        "the older member with the same group.instance.id was not fenced");
  BOOST_TEST(fatal_error_code(first.get()) == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID);
  BOOST_TEST(fatal_error_code(second.get()) == RD_KAFKA_RESP_ERR_NO_ERROR);
}

BOOST_AUTO_TEST_SUITE_END()
