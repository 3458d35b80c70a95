// Fault tests on a single-node cluster of their own ("fault1", started by the CTest fixture in
// CMakeLists.txt): the node is stopped and restarted with scripts/kafka while asiokafka's
// clients work. Each scenario prints produced / handled / lost / duplicated.
#define BOOST_TEST_MODULE test_broker_restart
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/producer.hpp>

#include "fault_node.hpp"
#include "fault_support.hpp"
#include "kafka_helpers.hpp"
#include "output_check.hpp"
#include "sequenced_event.hpp"
#include "test_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;

namespace {

using test::fault_bootstrap;
using test::fault_node;
using test::log_counter;
using test::node_restorer;

// The node stopped, and started again 3 s later, while the stream flows; what the handlers
// had done at each point.
struct node_restart {
  int stop_status = -1, start_status = -1;
  std::int64_t handled_at_stop = 0, handled_at_start = 0;
};

asio::awaitable<void> restart_node(node_restart& r, const std::int64_t& handled) {
  r.handled_at_stop = handled;
  r.stop_status = co_await fault_node("stop-node");
  co_await test::sleep_for(3s);
  r.handled_at_start = handled;
  r.start_status = co_await fault_node("start-node");
}

using test::report;
using test::tally;
using counts = test::delivery_counts;

}  // namespace

BOOST_AUTO_TEST_SUITE(test_fault)

// A broker subscriber consumes at-least-once while its only broker is stopped and restarted in
// the middle of the stream (the producer keeps writing across the outage): nothing is lost.
BOOST_AUTO_TEST_CASE(broker_restart_mid_stream_loses_nothing) {
  constexpr std::int64_t n = 500000;
  constexpr int partitions = 4;
  const node_restorer restorer;
  const std::string brokers = fault_bootstrap();
  const std::string topic = test::unique_name("restart");
  test::create_topic(brokers, topic, partitions);
  asio::io_context io;

  log_counter logs;
  asiokafka::broker_options options;
  options.config.bootstrap_servers = brokers;
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.graceful_timeout = 20s;
  options.log = logs.sink();
  asiokafka::broker app(io.get_executor(), options);
  asiokafka::subscriber_options s;
  s.name = "restart";
  s.config.group_id = test::unique_name("restart");
  std::vector<std::uint16_t> times(n, 0);
  std::int64_t handled_total = 0;
  const auto& stats =
      app.subscriber<test::sequenced_event>({topic}, s, [&](test::sequenced_event e) -> asio::awaitable<void> {
        if (e.seq >= 0 && e.seq < n) ++times[static_cast<std::size_t>(e.seq)];
        ++handled_total;
        co_return;
      });

  std::uint64_t produce_failed = 0;
  node_restart restart;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              auto ex = co_await asio::this_coro::executor;
              asiokafka::producer_options popts;
              popts.log = logs.sink();
              popts.on_error = [](const asiokafka::error_info& e) {
                BOOST_TEST_MESSAGE("producer error: " << e.code.message() << " " << e.describe());
              };
              asiokafka::producer p(
                  ex,
                  test::producer_config(
                      brokers, {{"linger.ms", "5"}, {"enable.idempotence", "true"}, {"message.timeout.ms", "180000"}}),
                  popts);
              // The stream is still flowing when the broker goes away and after it is back.
              bool restarted = false;
              produce_failed = co_await test::produce_paced(p, topic, partitions, n, [&](std::int64_t seq) {
                if (restarted || seq != n / 3) return;
                restarted = true;
                // Restart in the background; production goes on and queues up meanwhile.
                asio::co_spawn(ex, restart_node(restart, handled_total), asio::detached);
              });
              BOOST_CHECK(co_await test::wait_until([&] { return restart.start_status >= 0; }, 180s));
              BOOST_CHECK(co_await test::all_handled(times, 180s));
              app.stop();
            },
            asio::detached);
        co_await app.async_run(asio::use_awaitable);
      },
      420s);

  const counts c = tally(times, n);
  report("broker restart mid-stream (500k, at-least-once)", c);
  BOOST_TEST_MESSAGE("handled when the node was stopped: " << restart.handled_at_stop << ", when it was started again: "
                                                           << restart.handled_at_start << "; log lines "
                                                           << logs.total());
  BOOST_TEST(restart.stop_status == 0);
  BOOST_TEST(restart.start_status == 0);
  BOOST_TEST(produce_failed == 0u);
  BOOST_TEST(restart.handled_at_stop < n);  // the outage really was mid-stream
  BOOST_TEST(c.lost == 0);
  BOOST_TEST(stats.failed == 0u);
  BOOST_TEST(stats.decode_failed == 0u);
}

// An exactly-once transform while its only broker is stopped and restarted mid-stream: the
// subscriber recovers by itself (aborting and redoing what the outage broke) and the
// read_committed output holds each input record once.
BOOST_AUTO_TEST_CASE(exactly_once_transform_recovers_from_a_broker_restart) {
  constexpr std::int64_t n = 50000;
  constexpr int partitions = 4;
  const node_restorer restorer;
  const std::string brokers = fault_bootstrap();
  const std::string in = test::unique_name("eos-restart-in"), out = test::unique_name("eos-restart-out");
  test::create_topic(brokers, in, partitions);
  test::create_topic(brokers, out, partitions);
  asio::io_context io;

  log_counter logs;
  asiokafka::broker_options options;
  options.config.bootstrap_servers = brokers;
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.config.transactional_id = test::unique_name("pod");
  options.graceful_timeout = 20s;
  options.log = logs.sink();
  asiokafka::broker app(io.get_executor(), options);
  asiokafka::subscriber_options s;
  s.name = "transform";
  s.config.group_id = test::unique_name("eos-restart");
  s.guarantee = asiokafka::processing_guarantee::exactly_once;
  std::vector<std::uint16_t> times(n, 0);
  std::int64_t handled_total = 0;
  const auto& stats = app.subscriber<test::sequenced_event>(
      {in}, s, [&](test::sequenced_event e, asiokafka::context& ctx) -> asio::awaitable<void> {
        asiokafka::publish_options po;
        po.partition = ctx.partition();
        const std::string value = std::to_string(e.seq);
        co_await ctx.publish(out, value, po);
        if (e.seq % 10 == 0) co_await test::sleep_for(1ms);  // the outage comes mid-stream
        if (e.seq >= 0 && e.seq < n) ++times[static_cast<std::size_t>(e.seq)];
        ++handled_total;
      });

  std::uint64_t produce_failed = 0;
  node_restart restart;
  bool handled = false;
  // Every wait is bounded within ctest's limit (600 s), so a stall fails here with the
  // clients' last log lines instead of being killed silently.
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              auto ex = co_await asio::this_coro::executor;
              asiokafka::producer_options feed_options;
              feed_options.log = logs.sink("feed");
              asiokafka::producer p(
                  ex,
                  test::producer_config(
                      brokers, {{"linger.ms", "5"}, {"enable.idempotence", "true"}, {"message.timeout.ms", "180000"}}),
                  std::move(feed_options));
              // The outage comes once the subscriber handled a tenth, while records still flow.
              asio::co_spawn(
                  ex,
                  [&]() -> asio::awaitable<void> {
                    if (co_await test::wait_until([&] { return handled_total >= n / 10; }, 120s))
                      co_await restart_node(restart, handled_total);
                  },
                  asio::detached);
              produce_failed = co_await test::produce_paced(p, in, partitions, n, [](std::int64_t) {});
              BOOST_CHECK(co_await test::wait_until([&] { return restart.start_status >= 0; }, 120s));
              handled = co_await test::all_handled(times, 180s);
              if (!handled) {
                std::fprintf(
                    stderr,
                    "the transform stalled: %lld of %lld handled, %llu received, %llu in flight, %llu transactions "
                    "committed, %llu aborted\n",
                    static_cast<long long>(handled_total), static_cast<long long>(n),
                    static_cast<unsigned long long>(stats.received), static_cast<unsigned long long>(stats.in_flight),
                    static_cast<unsigned long long>(stats.transactions_committed),
                    static_cast<unsigned long long>(stats.transactions_aborted));
                logs.print_recent();
                test::print_thread_stacks("the transform stalled");
              }
              BOOST_CHECK(handled);
              app.stop();
            },
            asio::detached);
        co_await app.async_run(asio::use_awaitable);
      },
      450s);
  BOOST_REQUIRE(handled);

  std::vector<asiokafka::message> records;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        records = co_await test::read_topic(brokers, out, partitions, "read_committed", n);
      },
      120s);
  const auto c = test::count_payload_sequences(records, n);
  test::print_report_line(
      "broker restart mid-stream (50k, exactly-once transform): %s; %llu transactions "
      "committed, %llu aborted",
      test::describe(c).c_str(), static_cast<unsigned long long>(stats.transactions_committed),
      static_cast<unsigned long long>(stats.transactions_aborted));
  BOOST_TEST_MESSAGE("handled when the node was stopped: " << restart.handled_at_stop << "; log lines "
                                                           << logs.total());
  BOOST_TEST(restart.stop_status == 0);
  BOOST_TEST(restart.start_status == 0);
  BOOST_TEST(produce_failed == 0u);
  BOOST_TEST(restart.handled_at_stop > 0);  // the outage really was mid-stream
  BOOST_TEST(restart.handled_at_start < n);
  BOOST_TEST(c.exactly_once());
  BOOST_TEST(c.distinct == static_cast<std::size_t>(n));
}

// A producer loses its only broker for 10 s: records produced meanwhile queue up, are
// delivered after the broker is back, and every one of them gets exactly one delivery report.
BOOST_AUTO_TEST_CASE(producer_outage_queues_and_delivers_every_report) {
  const node_restorer restorer;
  const std::string brokers = fault_bootstrap();
  const std::string topic = test::unique_name("outage");
  test::create_topic(brokers, topic, 1);
  asio::io_context io;
  log_counter logs;

  std::int64_t produced = 0, reports = 0, report_errors = 0, produced_during_outage = 0;
  std::map<std::int64_t, int> reports_per_seq;
  std::string first_error;
  int stop_status = -1, start_status = -1;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asiokafka::producer_options popts;
        popts.log = logs.sink("producer");
        test::raw_config raw{{"enable.idempotence", "true"}, {"message.timeout.ms", "120000"}, {"linger.ms", "5"}};
        if (!test::fault_debug().empty()) raw["debug"] = test::fault_debug();
        asiokafka::producer p(ex, test::producer_config(brokers, raw), popts);
        std::atomic<bool> outage = false;
        bool node_done = false;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
              co_await test::sleep_for(2s);
              stop_status = co_await fault_node("stop-node");
              outage = true;
              co_await test::sleep_for(10s);
              outage = false;
              start_status = co_await fault_node("start-node");
              co_await test::sleep_for(2s);
              node_done = true;
            },
            asio::detached);

        asio::steady_timer pace(ex);
        auto produce_one = [&](std::int64_t seq) {
          p.async_produce(asiokafka::record{topic, 0, std::to_string(seq), "outage-" + std::to_string(seq), {}, {}},
                          [&, seq](asiokafka::error_code ec, asiokafka::delivery_report) {
                            ++reports;
                            ++reports_per_seq[seq];
                            if (ec) {
                              ++report_errors;
                              if (first_error.empty()) first_error = ec.message();
                            }
                          });
        };
        // 100 records every 50 ms until the broker has been back for 2 s.
        while (!node_done) {
          for (int i = 0; i < 100; ++i) {
            produce_one(produced++);
            if (outage) ++produced_during_outage;
          }
          pace.expires_after(50ms);
          co_await pace.async_wait(asio::use_awaitable);
        }
        co_await p.async_flush(asio::use_awaitable);
        BOOST_CHECK(co_await test::wait_until([&] { return reports == produced; }, 150s));
        if (report_errors > 0) logs.print_recent();

        // Read the topic back: each record once.
        asiokafka::consumer reader(ex, test::consumer_config(brokers, test::unique_name("outage-reader")));
        reader.assign({{topic, 0, asiokafka::offsets::beginning}});
        std::vector<std::uint16_t> times(static_cast<std::size_t>(produced), 0);
        const auto wm = co_await reader.async_watermarks(topic, 0, {10s}, asio::use_awaitable);
        for (std::int64_t i = 0; i < wm.high; ++i) {
          asiokafka::message m = co_await reader.async_receive(asio::use_awaitable);
          const auto seq = std::stoll(std::string(m.key().value_or("-1")));
          if (seq >= 0 && seq < produced) ++times[static_cast<std::size_t>(seq)];
        }
        co_await reader.async_close(asio::use_awaitable);
        const counts c = tally(times, produced);
        report("producer loses the broker for 10 s", c);
        BOOST_TEST(c.lost == 0);
        BOOST_TEST(c.duplicated == 0);  // idempotent producer
      },
      300s);

  int twice = 0;
  for (const auto& [seq, n] : reports_per_seq) twice += n != 1;
  BOOST_TEST_MESSAGE("records produced during the outage "
                     << produced_during_outage << ", delivery reports " << reports << ", failed " << report_errors
                     << (first_error.empty() ? "" : " (first: " + first_error + ")") << ", log lines " << logs.total());
  BOOST_TEST(stop_status == 0);
  BOOST_TEST(start_status == 0);
  BOOST_TEST(produced_during_outage > 0);
  BOOST_TEST(reports == produced);
  BOOST_TEST(static_cast<std::int64_t>(reports_per_seq.size()) == produced);
  BOOST_TEST(twice == 0);
  BOOST_TEST(report_errors == 0);
}

BOOST_AUTO_TEST_SUITE_END()
