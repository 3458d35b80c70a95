// KIP-848's consumer group protocol (group.protocol=consumer) on the real Kafka 4 broker:
// a static member's restart moves nothing and disturbs no one, a member joining takes its
// partitions incrementally, the admin client describes the group as a consumer-protocol
// group with its broker-side assignor and target assignments, and a classic group migrates to
// the consumer protocol by a rolling restart without losing a record. Each case prints its
// figures.
#define BOOST_TEST_MODULE test_consumer_protocol
#include <boost/test/unit_test.hpp>

#include <asiokafka/admin.hpp>
#include <asiokafka/broker.hpp>
#include <asiokafka/health.hpp>

#include "sequenced_event.hpp"

#include "group_fixture.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <chrono>
#include <set>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;
using asiokafka::group_protocol;
using test::partition_set;

namespace {

struct consumer_protocol_fixture : test::group_fixture {
  consumer_protocol_fixture() { protocol = group_protocol::consumer; }
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_consumer_protocol_real_broker, consumer_protocol_fixture)

// Each restart takes 6 s, longer than the group's heartbeat interval (5 s), so the broker acts
// on the leave before the member is back: a static member's partitions wait for it (for the
// session timeout, 45 s), a dynamic member's move to the other member and back. (A dynamic
// member back within one heartbeat interval also goes unnoticed under this protocol.)
BOOST_AUTO_TEST_CASE(static_member_restart_moves_nothing_and_disturbs_no_one) {
  test::create_topic(brokers, topic, 6);
  constexpr auto restart_takes = 6s;
  int static_b_events = -1, dynamic_b_events = -1;
  double static_back_after = -1;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        {
          const auto group = test::unique_name("kip848-static");
          const auto a_id = test::unique_name("A");
          auto a = join(group, a_id);
          auto b = join(group, test::unique_name("B"));
          BOOST_REQUIRE(co_await settled(*a, *b, 6));
          co_await test::sleep_for(2s);
          const int b_before = b->rebalance_events();
          const partition_set a_parts = a->owned, b_parts = b->owned;
          auto restarting =
              restart(std::move(a), group, a_id, restart_takes);  // not in the co_await expression (GCC 12)
          auto a2 = co_await std::move(restarting);
          const auto restarted = std::chrono::steady_clock::now();
          BOOST_REQUIRE(co_await test::wait_until([&] { return a2->owned == a_parts; }, 30s));
          static_back_after = seconds_since(restarted);
          co_await test::sleep_for(3s);
          static_b_events = b->rebalance_events() - b_before;
          BOOST_TEST((b->owned == b_parts));
          BOOST_TEST(b->errors.empty());
          BOOST_TEST(a2->errors.empty());
          co_await a2->c->async_close(asio::use_awaitable);
          co_await b->c->async_close(asio::use_awaitable);
        }
        {
          // Dynamic members: the leaver's partitions move to B, then part of them back.
          const auto group = test::unique_name("kip848-dynamic");
          auto a = join(group, std::nullopt);
          auto b = join(group, std::nullopt);
          BOOST_REQUIRE(co_await settled(*a, *b, 6));
          co_await test::sleep_for(2s);
          const int b_before = b->rebalance_events();
          auto restarting =
              restart(std::move(a), group, std::nullopt, restart_takes);  // not in the co_await expression (GCC 12)
          auto a2 = co_await std::move(restarting);
          BOOST_REQUIRE(co_await settled(*a2, *b, 6));
          co_await test::sleep_for(3s);
          dynamic_b_events = b->rebalance_events() - b_before;
          co_await a2->c->async_close(asio::use_awaitable);
          co_await b->c->async_close(asio::use_awaitable);
        }
      },
      180s);
  BOOST_TEST_MESSAGE("consumer protocol, restarts of 6 s: a static member got its partitions back "
                     << static_back_after
                     << " s after it started again; rebalance events seen by the other member: "
                        "static restart "
                     << static_b_events << ", dynamic restart " << dynamic_b_events);
  BOOST_TEST(static_b_events == 0);
  BOOST_TEST(dynamic_b_events > 0);
}

BOOST_AUTO_TEST_CASE(a_joining_member_takes_its_partitions_incrementally) {
  test::create_topic(brokers, topic, 4);
  std::size_t kept_by_a = 0;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        const auto group = test::unique_name("kip848-join");
        auto a = join(group, std::nullopt);
        BOOST_REQUIRE(co_await test::wait_until([&] { return a->owned.size() == 4; }, 60s));
        const partition_set before = a->owned;
        auto b = join(group, std::nullopt);
        BOOST_REQUIRE(co_await test::wait_until([&] { return a->owned.size() == 2 && b->owned.size() == 2; }, 60s));
        // A gave up only what B took and kept the rest throughout.
        for (auto p : a->owned) kept_by_a += before.count(p);
        BOOST_TEST(a->errors.empty());
        BOOST_TEST(b->errors.empty());
        co_await a->c->async_close(asio::use_awaitable);
        co_await b->c->async_close(asio::use_awaitable);
      },
      120s);
  BOOST_TEST(kept_by_a == 2u);
}

BOOST_AUTO_TEST_CASE(admin_describes_a_consumer_protocol_group) {
  test::create_topic(brokers, topic, 4);
  asiokafka::admin a(io.get_executor(), test::producer_config(brokers));
  asiokafka::group_description described;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        const auto group = test::unique_name("kip848-describe");
        const test::raw_config range{{"group.remote.assignor", "range"}};
        auto m1 = join(group, test::unique_name("pod"), range);
        auto m2 = join(group, std::nullopt, range);
        BOOST_REQUIRE(co_await settled(*m1, *m2, 4));
        // The broker's view converges a moment after the members' own.
        bool stable = false;
        for (int attempt = 0; attempt < 60 && !stable; ++attempt) {
          if (attempt > 0) co_await test::sleep_for(500ms);
          std::vector<std::string> groups_asked{group};
          const asiokafka::call_options call;
          auto [ec, groups] =
              co_await a.async_describe_groups(std::move(groups_asked), call, asio::as_tuple(asio::use_awaitable));
          if (ec || groups.size() != 1 || groups[0].members.size() != 2) continue;
          described = groups[0];
          std::size_t assigned = 0;
          for (const auto& m : described.members) assigned += m.assignment.size();
          stable = assigned == 4;
        }
        BOOST_REQUIRE(stable);
        co_await m1->c->async_close(asio::use_awaitable);
        co_await m2->c->async_close(asio::use_awaitable);
      },
      120s);
  BOOST_TEST_MESSAGE("group " << described.group_id << " type " << described.type << " state " << described.state
                              << " assignor " << described.assignor);
  BOOST_TEST(described.type == "consumer");
  BOOST_TEST(described.assignor == "range");
  std::size_t static_members = 0;
  for (const auto& m : described.members) {
    BOOST_TEST_MESSAGE("member " << m.group_instance_id.value_or("<dynamic>") << " assignment " << m.assignment.size()
                                 << " target " << m.target_assignment.size());
    BOOST_TEST((m.target_assignment == m.assignment));
    static_members += m.group_instance_id.has_value();
  }
  BOOST_TEST(static_members == 1u);
}

// Kafka's online upgrade: members of a classic group restart one by one with
// group.protocol=consumer (the broker converts the group when the first one joins), with
// records produced throughout; every record is consumed (at least once).
BOOST_AUTO_TEST_CASE(classic_group_migrates_to_the_consumer_protocol_by_rolling_restart) {
  test::create_topic(brokers, topic, 4);
  constexpr int per_step = 200;
  std::set<std::string> seen;
  int consumed = 0;
  std::string type_after;
  asiokafka::admin admin(io.get_executor(), test::producer_config(brokers));
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        const auto group = test::unique_name("kip848-migrate");
        auto poll = [&](test::member& m) -> asio::awaitable<void> {
          for (;;) {
            auto [ec, msg] = co_await m.c->async_receive(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            seen.insert(std::string(msg.payload()));
            ++consumed;
          }
        };
        const auto a_id = test::unique_name("A"), b_id = test::unique_name("B");
        protocol = group_protocol::classic;
        auto a = join(group, a_id);
        auto b = join(group, b_id);
        asio::co_spawn(io, poll(*a), asio::detached);
        asio::co_spawn(io, poll(*b), asio::detached);
        co_await fill(per_step, 0);
        BOOST_REQUIRE(co_await settled(*a, *b, 4));

        protocol = group_protocol::consumer;
        co_await a->c->async_close(asio::use_awaitable);
        a = join(group, a_id);
        asio::co_spawn(io, poll(*a), asio::detached);
        co_await fill(per_step, per_step);
        co_await b->c->async_close(asio::use_awaitable);
        b = join(group, b_id);
        asio::co_spawn(io, poll(*b), asio::detached);
        co_await fill(per_step, 2 * per_step);
        BOOST_REQUIRE(co_await test::wait_until([&] { return seen.size() == std::size_t{3 * per_step}; }, 90s));
        BOOST_REQUIRE(co_await settled(*a, *b, 4));
        // The broker converted the group: it is a consumer-protocol group now.
        std::vector<std::string> groups_asked{group};
        const asiokafka::call_options call;
        auto [ec, groups] =
            co_await admin.async_describe_groups(std::move(groups_asked), call, asio::as_tuple(asio::use_awaitable));
        BOOST_REQUIRE(!ec);
        BOOST_REQUIRE(groups.size() == 1u);
        type_after = groups[0].type;
        BOOST_TEST(a->errors.empty());
        BOOST_TEST(b->errors.empty());
        co_await a->c->async_close(asio::use_awaitable);
        co_await b->c->async_close(asio::use_awaitable);
      },
      240s);
  BOOST_TEST_MESSAGE("classic -> consumer by rolling restart: "
                     << seen.size() << " of " << 3 * per_step << " records consumed (" << consumed << " deliveries, "
                     << consumed - static_cast<int>(seen.size()) << " duplicated)");
  BOOST_TEST(seen.size() == std::size_t{3 * per_step});
  BOOST_TEST(type_after == "consumer");
}

// The broker layer under the consumer protocol: a broker-scope protocol and static-id base for
// two subscribers in one group; every record handled once; subscriber_stats and health() see
// the consumer protocol's incremental assignments like any other.
BOOST_AUTO_TEST_CASE(broker_subscribers_under_the_consumer_protocol_count_their_rebalances) {
  test::create_topic(brokers, topic, 4);
  constexpr int n = 400;
  asiokafka::broker_options options;
  options.config.bootstrap_servers = brokers;
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.config.group_protocol = group_protocol::consumer;
  options.config.group_instance_id = test::unique_name("pod");
  asiokafka::broker app(io.get_executor(), options);
  const auto group = test::unique_name("kip848-broker");
  std::vector<int> seen(n, 0);
  const auto handler = [&](test::sequenced_event e) -> asio::awaitable<void> {
    if (e.seq >= 0 && e.seq < n) ++seen[static_cast<std::size_t>(e.seq)];
    co_return;
  };
  for (const char* name : {"orders", "refunds"}) {
    asiokafka::subscriber_options sub;
    sub.name = name;
    sub.config.group_id = group;
    app.subscriber<test::sequenced_event>({topic}, sub, handler);
  }
  const std::string explained = app.explain();
  auto out = app.publisher<test::sequenced_event>(topic);
  asiokafka::broker_health health;
  std::size_t assigned = 0;  // partitions the two own while running, by their stats
  test::run_app(
      io, app,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < n; ++i) {
          const test::sequenced_event e{i, "kip848"};
          co_await out.async_publish(e, {}, asio::use_awaitable);
        }
        co_await test::wait_until([&] { return std::count(seen.begin(), seen.end(), 1) == n; }, 60s);
        co_await test::sleep_for(1s);
        health = app.health();
        for (const char* name : {"orders", "refunds"}) {
          const auto* stats = app.stats(name);
          BOOST_REQUIRE(stats != nullptr);
          BOOST_TEST_MESSAGE(name << " while running: " << stats->rebalances.load() << " rebalance events, "
                                  << stats->partitions_assigned.load() << " partitions assigned, "
                                  << stats->partitions_revoked.load() << " revoked");
          BOOST_TEST(stats->rebalances.load() >= 1u);
          assigned += stats->partitions_assigned.load() - stats->partitions_revoked.load();
        }
      },
      90s);
  BOOST_TEST(std::count(seen.begin(), seen.end(), 1) == n);  // each record exactly once between the two
  BOOST_TEST(explained.find("group.protocol") != std::string::npos);
  BOOST_TEST(assigned == 4u);
  BOOST_REQUIRE(health.subscribers.size() == 2u);
  std::size_t healthy_assigned = 0;
  for (const auto& h : health.subscribers) {
    BOOST_TEST(h.running);
    BOOST_TEST(h.last_rebalance.has_value());
    healthy_assigned += h.assigned_partitions;
  }
  BOOST_TEST(healthy_assigned == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
