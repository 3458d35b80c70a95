#define BOOST_TEST_MODULE test_broker_real
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/consumer.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/describe.hpp>

#include <map>
#include <set>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::ack_policy;
using asiokafka::broker;
using asiokafka::context;
using asiokafka::message;
using asiokafka::subscriber_options;
using asiokafka::topic_partition_list;
namespace test = asiokafka::test;

namespace app_model {
struct event {
  int seq = 0;
  std::string body;
};
BOOST_DESCRIBE_STRUCT(event, (), (seq, body))
}  // namespace app_model

namespace {

struct real_fixture {
  asio::io_context io;
  std::string brokers = test::real_brokers();
  std::string topic = test::unique_name("events");

  asiokafka::broker_options options() {
    asiokafka::broker_options o;
    o.config.bootstrap_servers = brokers;
    o.config.auto_offset_reset = asiokafka::offset_reset::earliest;
    o.graceful_timeout = 10s;
    return o;
  }

  subscriber_options sub(const std::string& name, const std::string& group) {
    subscriber_options s;
    s.name = name;
    s.config.group_id = group;
    return s;
  }

  // Fills `partitions` partitions with `n` events, seq i on partition i % partitions.
  asio::awaitable<void> fill(int n, int partitions) {
    auto ex = co_await asio::this_coro::executor;
    // Idempotence keeps each partition in produce order even when a request is retried.
    asiokafka::producer p(ex, test::producer_config(brokers, {{"linger.ms", "5"}, {"enable.idempotence", "true"}}));
    for (int i = 0; i < n; ++i) {
      app_model::event e{i, "payload-" + std::to_string(i)};
      p.produce(asiokafka::record{topic, i % partitions, std::to_string(i), asiokafka::json::encode(e), {}, {}});
    }
    co_await p.async_flush(asio::use_awaitable);
    BOOST_REQUIRE_EQUAL(p.failed(), 0u);
  }

  asio::awaitable<std::int64_t> committed_total(const std::string& group, int partitions) {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::consumer c(ex, test::consumer_config(brokers, group));
    topic_partition_list q;
    for (int p = 0; p < partitions; ++p) q.push_back({topic, p});
    auto parts = co_await c.async_committed(std::move(q), 10s, asio::use_awaitable);
    co_await c.async_close(asio::use_awaitable);
    std::int64_t sum = 0;
    for (const auto& p : parts) sum += std::max<std::int64_t>(p.offset, 0);
    co_return sum;
  }

  template <class Drive>
  void run_app(broker& app, Drive drive, std::chrono::seconds timeout = 180s) {
    test::run_app(io, app, std::move(drive), timeout);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_broker_real_broker, real_fixture)

BOOST_AUTO_TEST_CASE(two_groups_each_receive_every_message) {
  constexpr int n = 50000;
  test::create_topic(brokers, topic, 4);
  broker app(io.get_executor(), options());
  std::set<int> seen_a, seen_b;
  app.subscriber<app_model::event>({topic}, sub("a", test::unique_name("ga")), [&](app_model::event e) -> asio::awaitable<void> {
    seen_a.insert(e.seq);
    co_return;
  });
  app.subscriber<app_model::event>({topic}, sub("b", test::unique_name("gb")), [&](app_model::event e) -> asio::awaitable<void> {
    seen_b.insert(e.seq);
    co_return;
  });
  run_app(app, [&]() -> asio::awaitable<void> {
    co_await fill(n, 4);
    BOOST_REQUIRE(co_await test::wait_until([&] { return seen_a.size() == n && seen_b.size() == n; }, 120s));
  });
  BOOST_TEST(seen_a.size() == static_cast<std::size_t>(n));
  BOOST_TEST(seen_b.size() == static_cast<std::size_t>(n));
  BOOST_TEST(app.stats("a")->handled == static_cast<std::uint64_t>(n));
  BOOST_TEST(app.stats("b")->handled == static_cast<std::uint64_t>(n));
}

BOOST_AUTO_TEST_CASE(concurrency_keeps_partition_order_and_contiguous_commits) {
  constexpr int n = 20000;
  constexpr int partitions = 8;
  test::create_topic(brokers, topic, partitions);
  const auto group = test::unique_name("conc");
  std::map<int, int> handled_count;  // seq -> times handled, over both runs
  int order_violations = 0;
  int max_parallel = 0;
  int first_run = 0;
  {
    broker app(io.get_executor(), options());
    auto s = sub("conc", group);
    s.max_concurrency = 8;
    std::map<std::int32_t, int> last_seq;
    int running = 0;
    app.subscriber<app_model::event>({topic}, s, [&](app_model::event e, context& ctx) -> asio::awaitable<void> {
      max_parallel = std::max(max_parallel, ++running);
      auto it = last_seq.find(ctx.partition());
      if (it != last_seq.end() && it->second >= e.seq) ++order_violations;
      last_seq[ctx.partition()] = e.seq;
      if (e.seq % 7 == 0) co_await test::sleep_for(1ms);  // uneven handler times
      ++handled_count[e.seq];
      ++first_run;
      --running;
    });
    run_app(app, [&]() -> asio::awaitable<void> {
      co_await fill(n, partitions);
      BOOST_REQUIRE(co_await test::wait_until([&] { return first_run >= n / 2; }, 120s));
    });  // graceful stop in the middle of the stream
  }
  std::int64_t committed = 0;
  test::run(io, [&]() -> asio::awaitable<void> { committed = co_await committed_total(group, partitions); });
  int second_run = 0;
  {
    broker app(io.get_executor(), options());
    app.subscriber<app_model::event>({topic}, sub("conc", group), [&](app_model::event e) -> asio::awaitable<void> {
      ++handled_count[e.seq];
      ++second_run;
      co_return;
    });
    run_app(app, [&]() -> asio::awaitable<void> {
      BOOST_REQUIRE(co_await test::wait_until([&] { return static_cast<int>(handled_count.size()) == n; }, 120s));
      co_await test::sleep_for(1s);  // anything redelivered beyond the committed point shows up
    });
  }
  int duplicates = 0;
  for (const auto& [seq, times] : handled_count) duplicates += times - 1;
  BOOST_TEST_MESSAGE("max_concurrency=8: first run " << first_run << ", committed " << committed << ", second run "
                                                     << second_run << ", handlers in parallel up to " << max_parallel
                                                     << ", duplicates " << duplicates);
  BOOST_TEST(order_violations == 0);
  BOOST_TEST(max_parallel > 1);
  BOOST_TEST(static_cast<int>(handled_count.size()) == n);  // nothing lost
  BOOST_TEST(committed == first_run);                        // graceful stop committed exactly what was handled
  BOOST_TEST(duplicates == 0);
}

BOOST_AUTO_TEST_CASE(reject_on_error_dead_letters_exactly_the_failures) {
  constexpr int n = 10000;
  test::create_topic(brokers, topic, 4);
  const auto dlq = test::unique_name("dlq");
  test::create_topic(brokers, dlq, 1);
  const auto group = test::unique_name("rej");
  broker app(io.get_executor(), options());
  auto s = sub("rej", group);
  s.ack = ack_policy::reject_on_error;
  s.dead_letter_topic = dlq;
  const auto& stats = app.subscriber<app_model::event>({topic}, s, [&](app_model::event e) -> asio::awaitable<void> {
    if (e.seq % 100 == 0) throw std::runtime_error("bad event " + std::to_string(e.seq));
    co_return;
  });
  std::set<int> dead_seqs;
  run_app(app, [&]() -> asio::awaitable<void> {
    co_await fill(n, 4);
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.handled + stats.failed == n; }, 120s));
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.dead_lettered == n / 100; }, 30s));
    auto ex = co_await asio::this_coro::executor;
    asiokafka::consumer reader(ex, test::consumer_config(brokers, test::unique_name("dlq-reader")));
    reader.assign({{dlq, 0, asiokafka::offsets::beginning}});
    for (int i = 0; i < n / 100; ++i) {
      message m = co_await reader.async_receive(asio::use_awaitable);
      dead_seqs.insert(asiokafka::json::decode<app_model::event>(m.payload()).seq);
      BOOST_REQUIRE(m.header("x-asiokafka-original-offset").has_value());
    }
    auto wm = co_await reader.async_watermarks(dlq, 0, 10s, asio::use_awaitable);
    BOOST_TEST(wm.high == n / 100);  // exactly the failures, no more
    co_await reader.async_close(asio::use_awaitable);
  });
  BOOST_TEST(stats.failed == static_cast<std::uint64_t>(n / 100));
  BOOST_TEST(dead_seqs.size() == static_cast<std::size_t>(n / 100));
  for (int seq : dead_seqs) BOOST_TEST(seq % 100 == 0);
  std::int64_t committed = 0;
  test::run(io, [&]() -> asio::awaitable<void> { committed = co_await committed_total(group, 4); });
  BOOST_TEST(committed == n);  // committed past the dead-lettered messages
}

BOOST_AUTO_TEST_SUITE_END()
