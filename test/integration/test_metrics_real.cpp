// Consumer lag as librdkafka 2.0.2 reports it, against a real broker.
#define BOOST_TEST_MODULE test_metrics_real
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/metrics.hpp>
#include <asiokafka/producer.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <mutex>
#include <optional>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;

BOOST_AUTO_TEST_SUITE(test_metrics_real_broker)

BOOST_AUTO_TEST_CASE(statistics_report_lag_against_committed_and_stored_offsets) {
  asio::io_context io;
  const std::string brokers = test::real_brokers();
  const std::string topic = test::unique_name("lag");
  test::create_topic(brokers, topic, 1);

  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asiokafka::producer p(ex, test::producer_config(brokers, {{"linger.ms", "5"}}));
        for (int i = 0; i < 1000; ++i)
          p.produce(asiokafka::record{topic, 0, std::nullopt, "m" + std::to_string(i), {}, {}});
        co_await p.async_flush(asio::use_awaitable);

        std::optional<asiokafka::client_metrics> latest;
        asiokafka::consumer_options opts;
        opts.on_statistics = [&](std::string_view json) { latest = asiokafka::parse_statistics(json); };
        asiokafka::consumer c(ex,
                              test::consumer_config(brokers, test::unique_name("g"),
                                                    {{"statistics.interval.ms", "500"},
                                                     {"enable.auto.commit", "false"},
                                                     {"enable.auto.offset.store", "false"}}),
                              opts);
        c.subscribe({topic});
        // 400 handled and committed, then 100 more handled and stored but not committed.
        int received = 0;
        while (received < 500) {
          auto batch = co_await c.async_receive_batch(static_cast<std::size_t>(500 - received), asio::use_awaitable);
          for (const auto& m : batch) {
            BOOST_TEST_REQUIRE(m.offset() == received);
            BOOST_TEST_REQUIRE(!c.store_offset(m));
            if (++received == 400) co_await c.async_commit(asio::use_awaitable);
          }
        }

        const asiokafka::partition_metrics* p0 = nullptr;
        const bool reported = co_await test::wait_until(
            [&] {
              p0 = latest ? latest->find(topic, 0) : nullptr;
              return p0 && p0->committed_offset == 400 && p0->stored_offset == 500 && p0->high_watermark == 1000;
            },
            20s);
        BOOST_TEST_REQUIRE(reported, "no statistics with committed 400, stored 500, high watermark 1000");
        BOOST_TEST_MESSAGE("consumer_lag " << p0->lag << ", consumer_lag_stored " << p0->lag_stored);
        // librdkafka 2.0.2 computes consumer_lag = hi_offset - committed_offset (what the group
        // would re-read after a restart) and consumer_lag_stored = hi_offset - stored_offset; the
        // application position (app_offset, 500 here) enters neither.
        BOOST_TEST(p0->lag == 600);
        BOOST_TEST(p0->lag_stored == 500);
        BOOST_TEST(latest->type == "consumer");
        BOOST_TEST(latest->consumed_messages >= 500);
        BOOST_TEST(latest->rebalances >= 1);
        BOOST_TEST(latest->assigned_partitions == 1);
        BOOST_TEST(!latest->brokers.empty());
        co_await c.async_close(asio::use_awaitable);
      },
      90s);
}

// A subscriber alone on two partitions; a second member joins, then leaves. With the eager
// default assignor each change revokes everything and assigns anew: 5 events in all.
BOOST_AUTO_TEST_CASE(rebalance_counters_health_and_log_follow_a_member_joining_and_leaving) {
  asio::io_context io;
  const std::string brokers = test::real_brokers();
  const std::string topic = test::unique_name("rebalances");
  const std::string group = test::unique_name("g");
  test::create_topic(brokers, topic, 2);

  std::mutex log_mutex;
  std::vector<std::string> rebalance_lines;
  asiokafka::broker_options o;
  o.config.bootstrap_servers = brokers;
  o.statistics_interval = 200ms;
  o.graceful_timeout = 5s;
  o.log = [&](asiokafka::log_level, std::string_view facility, std::string_view line) {
    std::lock_guard lock(log_mutex);
    if (facility == "REBALANCE") rebalance_lines.emplace_back(line);
  };
  asiokafka::broker app(io.get_executor(), o);
  asiokafka::subscriber_options s;
  s.name = "watched";
  s.config.group_id = group;
  const auto& stats = app.subscriber<std::string>({topic}, s, [](std::string) -> asio::awaitable<void> { co_return; });

  auto health = [&] { return app.health().subscribers.at(0); };
  test::run_app(io, app, [&]() -> asio::awaitable<void> {
    BOOST_REQUIRE(co_await test::wait_until([&] { return health().assigned_partitions == 2; }, 60s));
    {
      asiokafka::consumer other(co_await asio::this_coro::executor, test::consumer_config(brokers, group));
      other.subscribe({topic});
      // The other member polls (its receive keeps it in the group) until the split.
      auto receiving = other.async_receive(asio::as_tuple(asio::use_awaitable));
      (void)receiving;
      BOOST_REQUIRE(
          co_await test::wait_until([&] { return health().assigned_partitions == 1 && stats.rebalances == 3; }, 60s));
      co_await other.async_close(asio::use_awaitable);
    }
    BOOST_REQUIRE(
        co_await test::wait_until([&] { return health().assigned_partitions == 2 && stats.rebalances == 5; }, 60s));
    // A statistics report after the last rebalance carries its reason and age.
    BOOST_REQUIRE(co_await test::wait_until(
        [&] {
          const auto h = health();
          return !h.last_rebalance_reason.empty() && h.last_rebalance_age && *h.last_rebalance_age < 10s;
        },
        20s));
    const auto h = health();
    BOOST_TEST_MESSAGE("rebalances " << stats.rebalances << ", assigned " << stats.partitions_assigned << ", revoked "
                                     << stats.partitions_revoked << ", lost " << stats.partitions_lost
                                     << "; last reason \"" << h.last_rebalance_reason << "\" "
                                     << h.last_rebalance_age->count() << " ms ago");
    BOOST_TEST(h.rebalances == 5u);
    BOOST_REQUIRE(h.last_rebalance.has_value());
    BOOST_TEST(h.last_rebalance->kind == "assigned");
    BOOST_TEST(h.last_rebalance->partitions == 2u);
    BOOST_TEST(h.last_rebalance->assigned_after == 2u);
    const auto text = app.metrics_text();
    BOOST_TEST(text.find("asiokafka_subscriber_rebalances_total{subscriber=\"watched\"} 5") != std::string::npos);
    BOOST_TEST(text.find("asiokafka_last_rebalance_age_milliseconds{subscriber=\"watched\"") != std::string::npos);
  });
  // The graceful stop revokes the last assignment: a sixth event.
  BOOST_TEST(stats.rebalances == 6u);
  BOOST_TEST(stats.partitions_assigned == 5u);  // 2, then 1, then 2
  BOOST_TEST(stats.partitions_revoked == 5u);   // 2, then 1, then 2 at the stop
  BOOST_TEST(stats.partitions_lost == 0u);
  std::lock_guard lock(log_mutex);
  for (const auto& l : rebalance_lines) BOOST_TEST_MESSAGE("log: " << l);
  BOOST_TEST(rebalance_lines.size() == 6u);
  BOOST_TEST(rebalance_lines.at(0).find("rebalance event #1: 2 partition(s), 2 assigned after it") !=
             std::string::npos);
  BOOST_TEST(rebalance_lines.at(0).starts_with("subscriber \"watched\": assigned "));
}

BOOST_AUTO_TEST_SUITE_END()
