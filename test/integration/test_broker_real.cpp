#define BOOST_TEST_MODULE test_broker_real
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/consumer.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/describe.hpp>

#include <algorithm>
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
  app.subscriber<app_model::event>({topic}, sub("a", test::unique_name("ga")),
                                   [&](app_model::event e) -> asio::awaitable<void> {
                                     seen_a.insert(e.seq);
                                     co_return;
                                   });
  app.subscriber<app_model::event>({topic}, sub("b", test::unique_name("gb")),
                                   [&](app_model::event e) -> asio::awaitable<void> {
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
  test::run(io, [&]() -> asio::awaitable<void> {
    committed = co_await test::committed_total(brokers, topic, group, partitions);
  });
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
  BOOST_TEST(committed == first_run);                       // graceful stop committed exactly what was handled
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
    auto wm = co_await reader.async_watermarks(dlq, 0, {10s}, asio::use_awaitable);
    BOOST_TEST(wm.high == n / 100);  // exactly the failures, no more
    co_await reader.async_close(asio::use_awaitable);
  });
  BOOST_TEST(stats.failed == static_cast<std::uint64_t>(n / 100));
  BOOST_TEST(dead_seqs.size() == static_cast<std::size_t>(n / 100));
  for (int seq : dead_seqs) BOOST_TEST(seq % 100 == 0);
  std::int64_t committed = 0;
  test::run(io,
            [&]() -> asio::awaitable<void> { committed = co_await test::committed_total(brokers, topic, group, 4); });
  BOOST_TEST(committed == n);  // committed past the dead-lettered messages
}

// Two subscribers of explicit partitions split one topic: each reads exactly its partitions,
// neither joins the group (it lists no member) and both commit their offsets to it. The
// broker-scope group.instance.id base is not used for them.
BOOST_AUTO_TEST_CASE(explicit_partitions_read_exactly_theirs_and_join_no_group) {
  constexpr int n = 4000;
  test::create_topic(brokers, topic, 4);
  const std::string group = test::unique_name("assigned");
  auto o = options();
  o.config.group_id = group;
  o.config.group_instance_id = "pod-1";
  broker app(io.get_executor(), o);
  std::set<std::int32_t> low_partitions, high_partitions;
  std::set<int> low_seqs, high_seqs;
  subscriber_options low;
  low.name = "low";
  low.partitions = {{topic, 0, asiokafka::partition_start::earliest()},
                    {topic, 1, asiokafka::partition_start::earliest()}};
  subscriber_options high;
  high.name = "high";
  high.partitions = {{topic, 2, asiokafka::partition_start::earliest()},
                     {topic, 3, asiokafka::partition_start::earliest()}};
  app.subscriber<app_model::event>({}, low, [&](app_model::event e, context& ctx) -> asio::awaitable<void> {
    low_partitions.insert(ctx.partition());
    low_seqs.insert(e.seq);
    co_return;
  });
  app.subscriber<app_model::event>({}, high, [&](app_model::event e, context& ctx) -> asio::awaitable<void> {
    high_partitions.insert(ctx.partition());
    high_seqs.insert(e.seq);
    co_return;
  });
  asiokafka::group_description during;
  run_app(app, [&]() -> asio::awaitable<void> {
    co_await fill(n, 4);
    BOOST_REQUIRE(co_await test::wait_until([&] { return low_seqs.size() + high_seqs.size() == n; }, 120s));
    during = test::describe_group(brokers, group);
  });
  const auto after = test::describe_group(brokers, group);
  std::int64_t committed = 0;
  test::run(io,
            [&]() -> asio::awaitable<void> { committed = co_await test::committed_total(brokers, topic, group, 4); });
  BOOST_TEST_MESSAGE("low read " << low_seqs.size() << " records of partitions " << low_partitions.size() << ", high "
                                 << high_seqs.size() << " of " << high_partitions.size() << "; group \"" << group
                                 << "\" while running: state " << during.state << ", " << during.members.size()
                                 << " members; after: " << after.state << ", " << after.members.size()
                                 << " members; committed offsets sum to " << committed);
  BOOST_TEST((low_partitions == std::set<std::int32_t>{0, 1}));
  BOOST_TEST((high_partitions == std::set<std::int32_t>{2, 3}));
  BOOST_TEST(low_seqs.size() == static_cast<std::size_t>(n / 2));
  BOOST_TEST(high_seqs.size() == static_cast<std::size_t>(n / 2));
  BOOST_TEST(std::all_of(low_seqs.begin(), low_seqs.end(), [](int s) { return s % 4 < 2; }));
  BOOST_TEST(during.members.empty());
  BOOST_TEST(after.members.empty());
  BOOST_TEST(committed == n);
}

// Starting at a time begins at the first record whose timestamp is at or after it, and
// consumer::async_seek_to_time moves a running consumer the same way.
BOOST_AUTO_TEST_CASE(start_at_a_time_begins_at_the_first_record_at_or_after_it) {
  test::create_topic(brokers, topic, 1);
  const auto base = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() - 1h);
  const auto at = [&](std::chrono::milliseconds d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>((base + d).time_since_epoch()).count();
  };
  test::run(io, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::producer p(ex, test::producer_config(brokers));
    for (int i = 0; i < 10; ++i) {
      asiokafka::record r{topic, 0, std::to_string(i), std::to_string(i), {}, base + std::chrono::seconds(i)};
      p.produce(std::move(r));
    }
    co_await p.async_flush(asio::use_awaitable);
    BOOST_REQUIRE_EQUAL(p.failed(), 0u);
  });

  broker app(io.get_executor(), options());
  std::vector<std::int64_t> between, exact, future;
  const auto starting = [&](const char* name, std::chrono::milliseconds d) {
    subscriber_options s;
    s.name = name;
    s.partitions = {{topic, 0, asiokafka::partition_start::at_time(base + d)}};
    return s;
  };
  app.subscriber<message>({}, starting("between", 4500ms), [&](const message& m) -> asio::awaitable<void> {
    between.push_back(m.offset());
    co_return;
  });
  app.subscriber<message>({}, starting("exact", 5000ms), [&](const message& m) -> asio::awaitable<void> {
    exact.push_back(m.offset());
    co_return;
  });
  app.subscriber<message>({}, starting("future", 2h), [&](const message& m) -> asio::awaitable<void> {
    future.push_back(m.offset());
    co_return;
  });
  run_app(app, [&]() -> asio::awaitable<void> {
    BOOST_REQUIRE(co_await test::wait_until([&] { return between.size() == 5 && exact.size() == 5; }, 60s));
    BOOST_REQUIRE(
        co_await test::wait_until([&] { return app.health().subscribers.at(2).assigned_partitions == 1u; }, 60s));
    co_await test::sleep_for(1s);  // the end is where "future" starts: it may only see what comes next
    auto ex = co_await asio::this_coro::executor;
    asiokafka::producer p(ex, test::producer_config(brokers));
    asiokafka::record late{topic, 0, "late", "late", {}, {}};
    co_await p.async_produce(std::move(late), asio::use_awaitable);
    BOOST_REQUIRE(co_await test::wait_until([&] { return future.size() == 1 && between.size() == 6; }, 60s));
  });
  BOOST_TEST_MESSAGE("from base+4.5 s: " << between.size() << " records from offset " << between.front()
                                         << "; from base+5 s: " << exact.size() << " from offset " << exact.front()
                                         << "; from base+2 h: " << future.size() << " at offset " << future.front());
  // Without a group.id nothing is committed: the library's group.id never appears on the broker.
  const auto unjoined = test::describe_group(brokers, "asiokafka-partitions-between");
  BOOST_TEST_MESSAGE("group asiokafka-partitions-between: state " << unjoined.state << ", " << unjoined.members.size()
                                                                  << " members");
  BOOST_TEST(unjoined.state == "Dead");
  BOOST_TEST(unjoined.members.empty());
  BOOST_TEST(between.front() == 5);
  BOOST_TEST(exact.front() == 5);
  BOOST_TEST(between.back() == 10);
  BOOST_TEST(future == std::vector<std::int64_t>{10});

  test::run(io, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::consumer c(ex, test::consumer_config(brokers, test::unique_name("seeker")));
    topic_partition_list queries{{topic, 0, at(2500ms)}};
    auto [ec, found] = co_await c.async_offsets_for_times(queries, {10s}, asio::as_tuple(asio::use_awaitable));
    BOOST_TEST_MESSAGE("offsets_for_times(base+2.5 s): " << ec.message() << ", offset " << found.at(0).offset);
    BOOST_TEST(!ec);
    BOOST_TEST(found.at(0).offset == 3);
    BOOST_TEST(!found.at(0).error);

    topic_partition_list start{{topic, 0, asiokafka::offsets::beginning}};
    c.assign(start);
    auto first = co_await c.async_receive(asio::use_awaitable);
    BOOST_TEST(first.offset() == 0);
    topic_partition_list to{{topic, 0, at(7000ms)}};
    auto sought = co_await c.async_seek_to_time(to, {10s}, asio::use_awaitable);
    BOOST_TEST(sought.at(0).offset == 7);
    auto next = co_await c.async_receive(asio::use_awaitable);
    BOOST_TEST_MESSAGE("after seeking to base+7 s the consumer receives offset " << next.offset());
    BOOST_TEST(next.offset() == 7);
    co_await c.async_close(asio::use_awaitable);
  });
}

// A partition beyond the topic's count, or of a topic that does not exist, ends async_run with
// UNKNOWN_PARTITION and health() names it; the metadata lookup creates no topic.
BOOST_AUTO_TEST_CASE(missing_partitions_end_the_run_naming_them) {
  test::create_topic(brokers, topic, 2);
  const std::string absent = test::unique_name("absent");
  for (const auto& [t, partition] : std::vector<std::pair<std::string, std::int32_t>>{{topic, 2}, {absent, 0}}) {
    broker app(io.get_executor(), options());
    subscriber_options s;
    s.name = "missing";
    s.partitions = {{topic, 0, {}}, {t, partition, {}}};
    app.subscriber<std::string>({}, s, [](std::string) -> asio::awaitable<void> { co_return; });
    const auto ec =
        test::run_app_for_result(io, app, [&]() -> asio::awaitable<void> { co_await test::sleep_for(30s); });
    const std::string why = app.health().subscribers.at(0).fatal_error;
    BOOST_TEST_MESSAGE("async_run: " << ec.message() << "; health: " << why);
    BOOST_TEST(ec == asiokafka::make_kafka_error_code(-190));  // _UNKNOWN_PARTITION
    BOOST_TEST(why.find(t + "[" + std::to_string(partition) + "] does not exist") != std::string::npos);
  }
  test::run(io, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::consumer c(ex, test::consumer_config(brokers, test::unique_name("probe")));
    auto [ec, w] = co_await c.async_watermarks(absent, 0, {5s}, asio::as_tuple(asio::use_awaitable));
    BOOST_TEST_MESSAGE("watermarks of the absent topic afterwards: " << ec.message());
    BOOST_TEST(!!ec);
    co_await c.async_close(asio::use_awaitable);
  });
}

BOOST_AUTO_TEST_SUITE_END()
