#define BOOST_TEST_MODULE test_consumer_group
#include <boost/test/unit_test.hpp>

#include <asiokafka/consumer.hpp>
#include <asiokafka/producer.hpp>

#include "group_fixture.hpp"
#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::client_options;
using asiokafka::config_composer;
using asiokafka::consumer;
using asiokafka::error_code;
using asiokafka::message;
using asiokafka::topic_partition_list;
namespace test = asiokafka::test;

using asiokafka::test::group_fixture;
using asiokafka::test::member;
using asiokafka::test::partition_set;

BOOST_FIXTURE_TEST_SUITE(test_consumer_group_real_broker, group_fixture)

BOOST_AUTO_TEST_CASE(static_membership_rejoin_without_rebalance) {
  test::create_topic(brokers, topic, 4);
  int static_b_events = -1;
  int dynamic_b_events = -1;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        // Static member A and member B: A restarts with the same group.instance.id.
        {
          const auto group = test::unique_name("static");
          const auto a_id = test::unique_name("A");
          auto a = join(group, a_id);
          auto b = join(group, std::nullopt);
          BOOST_REQUIRE(co_await settled(*a, *b, 4));
          co_await test::sleep_for(2s);
          const int b_before = b->rebalance_events();
          const partition_set a_parts = a->owned;
          auto restarting = restart(std::move(a), group, a_id, 0ms);  // not in the co_await expression (GCC 12)
          auto a2 = co_await std::move(restarting);
          BOOST_REQUIRE(co_await test::wait_until([&] { return a2->owned.size() == a_parts.size(); }, 30s));
          co_await test::sleep_for(3s);
          static_b_events = b->rebalance_events() - b_before;
          BOOST_TEST((a2->owned == a_parts));
          BOOST_TEST(b->errors.empty());
          co_await a2->c->async_close(asio::use_awaitable);
          co_await b->c->async_close(asio::use_awaitable);
        }
        // The same with dynamic membership: the restart rebalances B.
        {
          const auto group = test::unique_name("dynamic");
          auto a = join(group, std::nullopt);
          auto b = join(group, std::nullopt);
          BOOST_REQUIRE(co_await settled(*a, *b, 4));
          co_await test::sleep_for(2s);
          const int b_before = b->rebalance_events();
          auto restarting = restart(std::move(a), group, std::nullopt, 0ms);  // not in the co_await expression (GCC 12)
          auto a2 = co_await std::move(restarting);
          BOOST_REQUIRE(co_await test::wait_until([&] { return !a2->owned.empty(); }, 30s));
          co_await test::sleep_for(3s);
          dynamic_b_events = b->rebalance_events() - b_before;
          co_await a2->c->async_close(asio::use_awaitable);
          co_await b->c->async_close(asio::use_awaitable);
        }
      },
      180s);
  BOOST_TEST_MESSAGE("rebalance events seen by B: static restart " << static_b_events << ", dynamic restart "
                                                                   << dynamic_b_events);
  BOOST_TEST(static_b_events == 0);
  BOOST_TEST(dynamic_b_events > 0);
}

BOOST_AUTO_TEST_CASE(fenced_instance_is_reported) {
  test::create_topic(brokers, topic, 2);
  error_code receive_ec;
  bool receive_done = false;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        const auto group = test::unique_name("fence");
        const auto id = test::unique_name("same-id");
        auto older = join(group, id);
        BOOST_REQUIRE(co_await test::wait_until([&] { return !older->owned.empty(); }, 60s));
        older->c->async_receive([&](error_code ec, message) {
          receive_ec = ec;
          receive_done = true;
        });
        auto newer = join(group, id);
        BOOST_REQUIRE(co_await test::wait_until([&] { return static_cast<bool>(older->c->fatal_error()); }, 60s));
        BOOST_REQUIRE(co_await test::wait_until([&] { return receive_done; }, 5s));
        BOOST_TEST_MESSAGE("older member: " << older->c->fatal_error().message() << " - " << older->c->fatal_reason());
        BOOST_TEST(asiokafka::is_fatal(older->c->fatal_error()));
        BOOST_TEST(older->c->fatal_error().value() == 82);  // FENCED_INSTANCE_ID
        BOOST_TEST((receive_ec == older->c->fatal_error()));
        co_await older->c->async_close(asio::use_awaitable);  // completes, does not hang
        co_await newer->c->async_close(asio::use_awaitable);
      },
      120s);
}

BOOST_AUTO_TEST_CASE(at_least_once_after_abrupt_close) {
  constexpr int total = 100000;
  test::create_topic(brokers, topic, 4);
  std::map<std::pair<std::int32_t, std::int64_t>, int> handled;  // times each record was handled
  int handled_by_first = 0;
  std::int64_t committed_at_crash = 0;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        co_await fill(total);
        const auto group = test::unique_name("alo");
        const test::raw_config at_least_once{{"enable.auto.offset.store", "false"}, {"auto.commit.interval.ms", "100"}};
        auto first = join(group, std::nullopt, at_least_once);
        // Handle 40% of the stream, storing each offset after handling, then give auto-commit a
        // moment; handle one more batch (stored, likely not yet committed) and receive another that
        // stays unfinished, as if the process died in the middle of it.
        auto handle_batch = [&](std::vector<message>& batch) {
          for (auto& m : batch) {
            ++handled[{m.partition(), m.offset()}];
            ++handled_by_first;
            BOOST_REQUIRE(!first->c->store_offset(m));
          }
        };
        while (handled_by_first < total * 2 / 5) {
          auto batch = co_await first->c->async_receive_batch(500, asio::use_awaitable);
          handle_batch(batch);
        }
        co_await test::sleep_for(1s);
        auto last_handled = co_await first->c->async_receive_batch(500, asio::use_awaitable);
        handle_batch(last_handled);
        auto unfinished = co_await first->c->async_receive_batch(500, asio::use_awaitable);
        BOOST_TEST(!unfinished.empty());
        // Messages keep the client handle alive; the crash takes them all down with the consumer.
        unfinished.clear();
        last_handled.clear();
        first.reset();  // abrupt: no close, no final commit, no LeaveGroup
        co_await test::sleep_for(1s);
        auto second = join(group, std::nullopt, at_least_once);
        topic_partition_list all{{topic, 0}, {topic, 1}, {topic, 2}, {topic, 3}};
        auto committed = co_await second->c->async_committed(all, {10s}, asio::use_awaitable);
        for (const auto& p : committed) committed_at_crash += std::max<std::int64_t>(p.offset, 0);
        BOOST_TEST_MESSAGE("first member handled " << handled_by_first << "; second member starts");
        while (static_cast<int>(handled.size()) < total) {
          auto batch = co_await second->c->async_receive_batch(500, asio::use_awaitable);
          for (auto& m : batch) {
            ++handled[{m.partition(), m.offset()}];
            BOOST_REQUIRE(!second->c->store_offset(m));
          }
        }
        co_await second->c->async_close(asio::use_awaitable);
      },
      240s);
  int duplicates = 0;
  for (const auto& [pos, times] : handled) duplicates += times - 1;
  const int lost = total - static_cast<int>(handled.size());
  BOOST_TEST_MESSAGE("at-least-once: produced " << total << ", handled before crash " << handled_by_first
                                                << ", committed at crash " << committed_at_crash << ", lost " << lost
                                                << ", duplicated " << duplicates);
  BOOST_TEST(lost == 0);
  BOOST_TEST(committed_at_crash > 0);
  // Duplicates are exactly the records handled after the last commit before the crash.
  BOOST_TEST(duplicates == handled_by_first - committed_at_crash);
}

BOOST_AUTO_TEST_CASE(idle_app_stays_in_group) {
  test::create_topic(brokers, topic, 2);
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        co_await fill(1000);
        const auto group = test::unique_name("idle");
        auto m = join(group, std::nullopt, {{"max.poll.interval.ms", "10000"}});
        BOOST_REQUIRE(co_await test::wait_until([&] { return m->owned.size() == 2; }, 60s));
        const int events_before = m->assigned_events + m->revoked_events;
        co_await test::sleep_for(21s);  // 2x max.poll.interval.ms without receiving
        BOOST_TEST(m->owned.size() == 2u);
        BOOST_TEST(m->assigned_events + m->revoked_events == events_before);
        for (const auto& ec : m->errors) BOOST_TEST_MESSAGE("error while idle: " << ec.message());
        BOOST_TEST(m->errors.empty());
        message first = co_await m->c->async_receive(asio::use_awaitable);
        BOOST_TEST(first.offset() >= 0);
        co_await m->c->async_commit(first, asio::use_awaitable);  // a member that left would be refused
        co_await m->c->async_close(asio::use_awaitable);
      },
      120s);
}

BOOST_AUTO_TEST_CASE(broker_scope_static_id_base_gives_distinct_members) {
  test::create_topic(brokers, topic, 2);
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        const auto group = test::unique_name("base");
        client_options broker;
        broker.bootstrap_servers = brokers;
        broker.raw["group.instance.id"] = test::unique_name("pod");  // FastStream users' broker-wide config
        client_options sub;
        sub.group_id = group;
        sub.session_timeout = 10s;
        auto configs = config_composer(broker).compose_consumers({{"alpha", sub, {}}, {"beta", sub, {}}});
        const auto id_a = configs.at(0).get("group.instance.id").value();
        const auto id_b = configs.at(1).get("group.instance.id").value();
        BOOST_TEST(id_a != id_b);
        std::vector<std::unique_ptr<member>> members;
        for (const auto& config : configs) {
          auto m = std::make_unique<member>();
          // Revocations are tracked too: the first member to join may own both partitions until
          // the second one arrives.
          m->c = std::make_unique<consumer>(io.get_executor(), config, m->tracking_options());
          m->c->subscribe({topic});
          members.push_back(std::move(m));
        }
        BOOST_REQUIRE(co_await test::wait_until(
            [&] { return members[0]->owned.size() == 1 && members[1]->owned.size() == 1; }, 60s));
        co_await test::sleep_for(5s);  // a fenced member would have failed by now
        for (auto& m : members) {
          BOOST_TEST(!m->c->fatal_error());
          BOOST_TEST(m->owned.size() == 1u);
        }
        for (auto& m : members) co_await m->c->async_close(asio::use_awaitable);
      },
      120s);
}

BOOST_AUTO_TEST_CASE(cooperative_sticky_rebalances_incrementally) {
  test::create_topic(brokers, topic, 4);
  std::size_t revoked_from_a = 0;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        const auto group = test::unique_name("coop");
        const test::raw_config coop{{"partition.assignment.strategy", "cooperative-sticky"}};
        auto a = join(group, std::nullopt, coop);
        BOOST_REQUIRE(co_await test::wait_until([&] { return a->owned.size() == 4; }, 60s));
        const partition_set before = a->owned;
        auto b = join(group, std::nullopt, coop);
        BOOST_REQUIRE(co_await test::wait_until([&] { return a->owned.size() == 2 && b->owned.size() == 2; }, 60s));
        // A gave up only what B took; it kept the rest throughout (no revoke-everything).
        revoked_from_a = before.size() - a->owned.size();
        BOOST_TEST(a->revoked_events == 1);
        for (auto p : a->owned) BOOST_TEST(before.count(p) == 1u);
        co_await a->c->async_close(asio::use_awaitable);
        co_await b->c->async_close(asio::use_awaitable);
      },
      120s);
  BOOST_TEST(revoked_from_a == 2u);
}

BOOST_AUTO_TEST_CASE(regex_subscription_follows_matching_topics) {
  const auto prefix = test::unique_name("rx");
  test::create_topic(brokers, prefix + "-one", 1);
  test::create_topic(brokers, prefix + "-two", 1);
  std::set<std::string> topics_seen;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asiokafka::producer p(ex, test::producer_config(brokers));
        p.produce(asiokafka::record{prefix + "-one", 0, {}, "1", {}, {}});
        p.produce(asiokafka::record{prefix + "-two", 0, {}, "2", {}, {}});
        co_await p.async_flush(asio::use_awaitable);
        consumer c(ex, test::consumer_config(brokers, test::unique_name("rx-group")));
        c.subscribe({"^" + prefix + "-.*"});
        while (topics_seen.size() < 2) {
          message m = co_await c.async_receive(asio::use_awaitable);
          topics_seen.insert(std::string(m.topic()));
        }
        co_await c.async_close(asio::use_awaitable);
      },
      120s);
  BOOST_TEST(topics_seen.count(prefix + "-one") == 1u);
  BOOST_TEST(topics_seen.count(prefix + "-two") == 1u);
}

BOOST_AUTO_TEST_CASE(offsets_stored_until_revocation_are_committed_before_it) {
  test::create_topic(brokers, topic, 2);
  std::int64_t committed_after = -1;
  std::size_t received_by_b = 0;
  bool stored_in_hook = false;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        co_await fill(100);
        const auto group = test::unique_name("revoke");
        // No auto-commit: the only commit is the one asiokafka makes before giving partitions up.
        const test::raw_config manual{{"enable.auto.offset.store", "false"}, {"enable.auto.commit", "false"}};
        client_options broker;
        broker.bootstrap_servers = brokers;
        client_options sub;
        sub.group_id = group;
        sub.auto_offset_reset = asiokafka::offset_reset::earliest;
        sub.raw = manual;
        auto config = config_composer(broker).compose_consumer({"a", sub, {}});
        std::unique_ptr<consumer> a;
        std::vector<message> unfinished;  // received but still being worked on when B joins
        asiokafka::consumer_options opts;
        opts.hooks.on_revoked = [&](const topic_partition_list&) -> asio::awaitable<void> {
          // The application finishes its in-flight work before the partitions move.
          for (auto& m : unfinished) BOOST_REQUIRE(!a->store_offset(m));
          unfinished.clear();
          stored_in_hook = true;
          co_return;
        };
        a = std::make_unique<consumer>(io.get_executor(), config, opts);
        a->subscribe({topic});
        for (std::size_t received = 0; received < 100;) {
          auto batch = co_await a->async_receive_batch(100, asio::use_awaitable);
          received += batch.size();
          for (auto& m : batch) {
            if (m.offset() % 10 == 9)
              unfinished.push_back(std::move(m));
            else
              BOOST_REQUIRE(!a->store_offset(m));
          }
        }
        auto b = join(group, std::nullopt, manual);
        BOOST_REQUIRE(co_await test::wait_until([&] { return stored_in_hook && !b->owned.empty(); }, 60s));
        co_await test::sleep_for(2s);
        received_by_b = b->c->buffered();  // B starts at the committed offsets: nothing left to fetch
        topic_partition_list all{{topic, 0}, {topic, 1}};
        auto committed = co_await b->c->async_committed(std::move(all), {10s}, asio::use_awaitable);
        committed_after = 0;
        for (const auto& p : committed) committed_after += std::max<std::int64_t>(p.offset, 0);
        co_await a->async_close(asio::use_awaitable);
        co_await b->c->async_close(asio::use_awaitable);
      },
      120s);
  BOOST_TEST(stored_in_hook);
  BOOST_TEST(committed_after == 100);
  BOOST_TEST(received_by_b == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
