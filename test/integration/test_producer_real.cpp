#define BOOST_TEST_MODULE test_producer_real
#include <boost/test/unit_test.hpp>

#include <asiokafka/consumer.hpp>
#include <asiokafka/producer.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <set>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::delivery_report;
using asiokafka::error_code;
namespace test = asiokafka::test;

BOOST_AUTO_TEST_SUITE(test_producer_real_broker)

BOOST_AUTO_TEST_CASE(idempotent_acks_all_delivers_each_report_once) {
  constexpr int n = 100000;
  const auto brokers = test::real_brokers();
  const auto topic = test::unique_name("idem");
  test::create_topic(brokers, topic, 4);
  asio::io_context io;
  std::vector<int> reports(n, 0);
  std::set<std::pair<std::int32_t, std::int64_t>> positions;
  int failures = 0;
  std::size_t consumed = 0;
  test::run(io, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::producer p(ex, test::producer_config(brokers, {{"acks", "all"}, {"enable.idempotence", "true"}}));
    for (int i = 0; i < n; ++i) {
      p.async_produce(asiokafka::record{topic, {}, std::to_string(i), "value-" + std::to_string(i), {}, {}},
                      [&, i](error_code ec, delivery_report dr) {
                        ++reports[i];
                        if (ec) {
                          ++failures;
                          return;
                        }
                        positions.insert({dr.partition, dr.offset});
                      });
    }
    co_await p.async_flush(asio::use_awaitable);
    co_await p.async_close(asio::use_awaitable);

    asiokafka::consumer c(ex, test::consumer_config(brokers, test::unique_name("idem-reader")));
    c.subscribe({topic});
    while (consumed < static_cast<std::size_t>(n)) {
      auto batch = co_await c.async_receive_batch(1000, asio::use_awaitable);
      consumed += batch.size();
    }
    co_await test::sleep_for(1s);
    consumed += c.buffered();  // nothing beyond n may arrive
    co_await c.async_close(asio::use_awaitable);
  }, 180s);
  int not_once = 0;
  for (int r : reports) not_once += (r != 1);
  BOOST_TEST_MESSAGE("produced " << n << ", reports " << positions.size() << ", failures " << failures
                                 << ", consumed " << consumed);
  BOOST_TEST(not_once == 0);
  BOOST_TEST(failures == 0);
  BOOST_TEST(positions.size() == static_cast<std::size_t>(n));
  BOOST_TEST(consumed == static_cast<std::size_t>(n));
}

BOOST_AUTO_TEST_CASE(unknown_topic_fails_when_auto_create_is_off) {
  const auto brokers = test::real_brokers();
  asio::io_context io;
  error_code got;
  std::uint64_t failed = 0;
  test::run(io, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::producer p(ex, test::producer_config(brokers, {{"allow.auto.create.topics", "false"},
                                                               {"topic.metadata.propagation.max.ms", "500"},
                                                               {"message.timeout.ms", "10000"}}));
    asiokafka::record r{test::unique_name("missing"), {}, {}, "v", {}, {}};
    auto [ec, dr] = co_await p.async_produce(std::move(r), asio::as_tuple(asio::use_awaitable));
    got = ec;
    failed = p.failed();
  }, 60s);
  BOOST_TEST_MESSAGE("unknown topic: " << got.message() << " (" << got.value() << ")");
  BOOST_TEST((got.category() == asiokafka::kafka_category()));
  BOOST_TEST((got.value() == -188 || got.value() == 3));  // __UNKNOWN_TOPIC or UNKNOWN_TOPIC_OR_PART
  BOOST_TEST(failed == 1u);
}

BOOST_AUTO_TEST_CASE(waiting_for_queue_space_keeps_partition_order) {
  constexpr int n = 20000;
  constexpr int partitions = 8;
  const auto brokers = test::real_brokers();
  const auto topic = test::unique_name("order");
  test::create_topic(brokers, topic, partitions);
  asio::io_context io;
  int out_of_order = 0;
  int seen = 0;
  test::run(io, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    // A small librdkafka queue: most records wait in asiokafka's own queue for room.
    asiokafka::producer p(ex, test::producer_config(brokers, {{"queue.buffering.max.messages", "500"},
                                                               {"enable.idempotence", "true"}}));
    for (int i = 0; i < n; ++i)
      p.produce(asiokafka::record{topic, i % partitions, {}, std::to_string(i), {}, {}});
    co_await p.async_flush(asio::use_awaitable);
    BOOST_REQUIRE_EQUAL(p.failed(), 0u);
    asiokafka::consumer c(ex, test::consumer_config(brokers, test::unique_name("order-reader")));
    c.subscribe({topic});
    std::vector<int> last(partitions, -1);
    while (seen < n) {
      auto batch = co_await c.async_receive_batch(1000, asio::use_awaitable);
      for (auto& m : batch) {
        const int v = std::stoi(std::string(m.payload()));
        if (v <= last[m.partition()]) ++out_of_order;
        last[m.partition()] = v;
        ++seen;
      }
    }
    co_await c.async_close(asio::use_awaitable);
  }, 120s);
  BOOST_TEST(seen == n);
  BOOST_TEST(out_of_order == 0);
}

BOOST_AUTO_TEST_SUITE_END()
