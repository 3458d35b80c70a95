// A broker subscriber consumes at-least-once from a topic replicated on the three nodes of
// the cluster3 fixture (CMakeLists.txt) while the node leading partition 0 is stopped in the
// middle of the stream; the producer (acks=all, idempotent) keeps writing across the
// failover. Nothing is lost, consumption goes on with two nodes, and the case reports the
// duplicates and how long partition 0 stalled.
#define BOOST_TEST_MODULE test_leader_failover
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/producer.hpp>

#include "../rdkafka/rdkafka_client.hpp"
#include "fault_support.hpp"
#include "kafka_helpers.hpp"
#include "sequenced_event.hpp"
#include "test_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace rdk = asiokafka::test::rdkafka;
using namespace std::chrono_literals;
namespace test = asiokafka::test;

namespace {

constexpr const char* cluster_name = "cluster3";

asio::awaitable<int> kafka_node(const std::string& command, int node) {
  return test::kafka_node(ASIOKAFKA_KAFKA_SCRIPT, ASIOKAFKA_CLUSTER_STATE, cluster_name, command, node);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_cluster)

BOOST_AUTO_TEST_CASE(subscriber_survives_the_partition_leader_stopping) {
  constexpr std::int64_t n = 300000;
  constexpr int partitions = 3;
  const std::string brokers = test::cluster_bootstrap(ASIOKAFKA_CLUSTER_STATE, cluster_name);
  const std::string topic = test::unique_name("failover");
  test::create_topic(brokers, topic, partitions, 3);
  std::int32_t leader = -1;
  {
    const rdk::client admin = rdk::make_producer(brokers);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto state = rdk::describe(admin.get(), topic, 0);
      if (state && state->leader >= 0 && state->in_sync == 3) {
        leader = state->leader;
        break;
      }
      std::this_thread::sleep_for(200ms);
    }
  }
  BOOST_REQUIRE_MESSAGE(leader >= 0, topic << "[0] never became fully replicated");

  asio::io_context io;
  asiokafka::broker_options options;
  options.config.bootstrap_servers = brokers;
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.graceful_timeout = 20s;
  int log_lines = 0;
  options.log = [&](asiokafka::log_level, std::string_view, std::string_view) { ++log_lines; };
  asiokafka::broker app(io.get_executor(), options);
  asiokafka::subscriber_options s;
  s.name = "failover";
  s.config.group_id = test::unique_name("failover");
  std::vector<std::uint16_t> times(n, 0);
  std::int64_t handled_total = 0;
  using clock = std::chrono::steady_clock;
  clock::time_point last_p0{};
  clock::duration longest_p0_gap{};
  const auto& stats = app.subscriber<test::sequenced_event>(
      {topic}, s, [&](test::sequenced_event e, asiokafka::context& ctx) -> asio::awaitable<void> {
        if (e.seq >= 0 && e.seq < n) ++times[static_cast<std::size_t>(e.seq)];
        ++handled_total;
        if (ctx.partition() == 0) {
          const auto now = clock::now();
          if (last_p0 != clock::time_point{}) longest_p0_gap = std::max(longest_p0_gap, now - last_p0);
          last_p0 = now;
        }
        co_return;
      });

  std::uint64_t produce_failed = 0;
  int stop_status = -1, start_status = -1;
  std::int64_t handled_at_stop = -1, handled_when_stopped = -1;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              auto ex = co_await asio::this_coro::executor;
              asiokafka::producer_options popts;
              popts.log = options.log;
              asiokafka::producer p(ex,
                                    test::producer_config(brokers, {{"acks", "all"},
                                                                    {"enable.idempotence", "true"},
                                                                    {"linger.ms", "5"},
                                                                    {"message.timeout.ms", "120000"}}),
                                    popts);
              // Records are produced and consumed across the failover.
              produce_failed = co_await test::produce_paced(p, topic, partitions, n, [&](std::int64_t seq) {
                if (seq != n / 3) return;
                asio::co_spawn(
                    ex,
                    [&]() -> asio::awaitable<void> {
                      handled_at_stop = handled_total;
                      stop_status = co_await kafka_node("stop-node", leader);
                      handled_when_stopped = handled_total;
                    },
                    asio::detached);
              });
              BOOST_CHECK(co_await test::wait_until([&] { return stop_status >= 0; }, 180s));
              BOOST_CHECK(co_await test::all_handled(times, 180s));
              app.stop();
            },
            asio::detached);
        co_await app.async_run(asio::use_awaitable);
        // Leave the cluster whole for whatever runs next.
        start_status = co_await kafka_node("start-node", leader);
      },
      600s);

  const test::delivery_counts c = test::tally(times, n);
  test::report("3 nodes, partition leader stopped mid-stream (300k, acks=all, at-least-once)", c);
  const auto gap_ms = std::chrono::duration_cast<std::chrono::milliseconds>(longest_p0_gap).count();
  BOOST_TEST_MESSAGE("node " << leader << " stopped with " << handled_at_stop << " handled (" << handled_when_stopped
                             << " once it was down); longest pause of partition 0: " << gap_ms << " ms; log lines "
                             << log_lines);
  test::print_report_line("  longest pause of partition 0 during the failover: %lld ms",
                          static_cast<long long>(gap_ms));
  BOOST_TEST(stop_status == 0);
  BOOST_TEST(start_status == 0);
  BOOST_TEST(produce_failed == 0u);
  BOOST_TEST(handled_at_stop < n);  // the leader stopped mid-stream
  BOOST_TEST(handled_when_stopped < n);
  BOOST_TEST(c.lost == 0);
  BOOST_TEST(stats.failed == 0u);
  BOOST_TEST(stats.decode_failed == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
