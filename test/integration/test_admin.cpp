#define BOOST_TEST_MODULE test_admin
#include <boost/test/unit_test.hpp>

#include <asiokafka/admin.hpp>
#include <asiokafka/broker.hpp>
#include <asiokafka/cancel_after.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/producer.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <librdkafka/rdkafka.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include <sys/wait.h>
#include <map>
#include <set>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::admin;
using asiokafka::call_options;
using asiokafka::error_code;
using asiokafka::item_result;
using asiokafka::topic_partition_list;
namespace test = asiokafka::test;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool is(const error_code& ec, rd_kafka_resp_err_t err) { return ec == asiokafka::make_kafka_error_code(err); }

std::string describe(const std::vector<item_result>& results) {
  std::string out;
  for (const auto& r : results)
    out += r.name + ": " + (r.error ? r.error.message() + " (" + r.message + ")" : "ok") + "; ";
  return out;
}

struct admin_fixture {
  asio::io_context io;
  std::string brokers = test::real_brokers();
  call_options call{20s};

  admin make_admin() { return admin(io.get_executor(), test::producer_config(brokers)); }

  asio::awaitable<void> produce(const std::string& topic, int partition, int n) {
    asiokafka::producer p(co_await asio::this_coro::executor, test::producer_config(brokers));
    for (int i = 0; i < n; ++i) p.produce(asiokafka::record{topic, partition, std::nullopt, std::to_string(i), {}, {}});
    co_await p.async_flush(asio::use_awaitable);
    BOOST_REQUIRE_EQUAL(p.failed(), 0u);
  }
};

/// Polls the coroutine predicate every 200 ms until it holds or `timeout` passes.
template <class Predicate>
asio::awaitable<bool> eventually(Predicate pred, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (co_await pred()) co_return true;
    co_await test::sleep_for(200ms);
  }
  co_return false;
}

#ifdef ASIOKAFKA_KAFKA_GROUPS
struct tool_run {
  int status = -1;
  std::string output;
};

/// Runs a command line on a thread of its own (the event loop keeps serving the group) and
/// returns its exit status and output (stdout and stderr).
asio::awaitable<tool_run> run_tool(std::string command) {
  auto result = std::make_shared<tool_run>();
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::thread([command, result, done] {
    if (FILE* f = ::popen((command + " 2>&1").c_str(), "r")) {
      char buf[4096];
      while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) result->output.append(buf, n);
      const int status = ::pclose(f);
      result->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    done->store(true);
  }).detach();
  BOOST_REQUIRE(co_await test::wait_until([&] { return done->load(); }, 60s));
  co_return *result;
}
#endif

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_admin_real_broker, admin_fixture)

BOOST_AUTO_TEST_CASE(topics_are_created_altered_and_deleted_with_an_error_per_item) {
  auto a = make_admin();
  const auto t1 = test::unique_name("admin-a");
  const auto t2 = test::unique_name("admin-b");
  const auto t3 = test::unique_name("admin-c");
  test::run(io, [&]() -> asio::awaitable<void> {
    std::vector<asiokafka::new_topic> first{{t1, 3, 1, {}}, {t2, 1, -1, {{"retention.ms", "12345678"}}}};
    auto [ec, created] = co_await a.async_create_topics(first, call, use_tuple);
    BOOST_REQUIRE(!ec);
    BOOST_TEST_MESSAGE("create: " << describe(created));
    BOOST_REQUIRE_EQUAL(created.size(), 2u);
    BOOST_TEST(!created[0].error);
    BOOST_TEST(!created[1].error);

    // One request, three outcomes: exists, impossible replication factor, created.
    std::vector<asiokafka::new_topic> second{{t1, 3, 1, {}}, {t3 + "-rf", 1, 3, {}}, {t3, 2, 1, {}}};
    auto [ec2, mixed] = co_await a.async_create_topics(second, call, use_tuple);
    BOOST_REQUIRE(!ec2);
    BOOST_TEST_MESSAGE("create again: " << describe(mixed));
    BOOST_REQUIRE_EQUAL(mixed.size(), 3u);
    BOOST_TEST(mixed[0].name == t1);
    BOOST_TEST(is(mixed[0].error, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS));
    BOOST_TEST(is(mixed[1].error, RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR));
    BOOST_TEST(!mixed[1].message.empty());
    BOOST_TEST(!mixed[2].error);

    // A request librdkafka refuses for one item: that item fails locally, the other is sent.
    std::vector<asiokafka::new_topic> local{{t3 + "-negative", -5, 1, {}}, {t3, 2, 1, {}}};
    auto [ec3, refused] = co_await a.async_create_topics(local, call, use_tuple);
    BOOST_REQUIRE(!ec3);
    BOOST_TEST_MESSAGE("create with a local refusal: " << describe(refused));
    BOOST_TEST(is(refused[0].error, RD_KAFKA_RESP_ERR__INVALID_ARG));
    BOOST_TEST(is(refused[1].error, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS));

    std::vector<asiokafka::new_partitions> grow{{t1, 6}, {t2, 1}};
    auto [ec4, grown] = co_await a.async_create_partitions(grow, call, use_tuple);
    BOOST_REQUIRE(!ec4);
    BOOST_TEST_MESSAGE("create partitions: " << describe(grown));
    BOOST_TEST(!grown[0].error);
    BOOST_TEST(is(grown[1].error, RD_KAFKA_RESP_ERR_INVALID_PARTITIONS));
    // Partition 5 exists now (once the broker's metadata says so: a client asking earlier
    // caches the old partition count, hence a new client per attempt).
    BOOST_TEST(co_await eventually(
        [&]() -> asio::awaitable<bool> {
          asiokafka::consumer c(co_await asio::this_coro::executor,
                                test::consumer_config(brokers, test::unique_name("g")));
          auto [ecw, w] = co_await c.async_watermarks(t1, 5, {5s}, use_tuple);
          co_return !ecw && w.high == 0;
        },
        30s));

    using asiokafka::resource_type;
    std::vector<asiokafka::config_resource> resources{{resource_type::topic, t2},
                                                      {resource_type::topic, test::unique_name("missing")}};
    auto [ec5, configs] = co_await a.async_describe_configs(resources, call, use_tuple);
    BOOST_REQUIRE(!ec5);
    BOOST_REQUIRE_EQUAL(configs.size(), 2u);
    auto value_of = [](const asiokafka::resource_configs& rc, const std::string& key) {
      auto it = std::find_if(rc.entries.begin(), rc.entries.end(), [&](const auto& e) { return e.name == key; });
      return it == rc.entries.end() ? std::optional<std::string>() : it->value;
    };
    BOOST_TEST(!configs[0].error);
    BOOST_TEST(value_of(configs[0], "retention.ms").value_or("") == "12345678");
    BOOST_TEST_MESSAGE("describe configs: " << configs[0].entries.size() << " entries; missing topic: "
                                            << configs[1].error.message() << " (" << configs[1].message << ")");
    BOOST_TEST(is(configs[1].error, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));

    std::vector<asiokafka::config_change> change{{{resource_type::topic, t2}, {{"retention.ms", "7654321"}}}};
    auto [ec6, altered] = co_await a.async_alter_configs(change, call, use_tuple);
    BOOST_REQUIRE(!ec6);
    BOOST_TEST(!altered[0].error, describe(altered));
    // The controller answers the alter once the change is in its metadata log; a broker
    // describes it once it has applied that log (KRaft), which can be a moment later.
    std::vector<asiokafka::config_resource> just_t2{{resource_type::topic, t2}};
    std::string described;
    BOOST_TEST(co_await eventually(
                   [&]() -> asio::awaitable<bool> {
                     auto [ec7, after] = co_await a.async_describe_configs(just_t2, call, use_tuple);
                     BOOST_REQUIRE(!ec7);
                     BOOST_REQUIRE_EQUAL(after.size(), 1u);
                     described = value_of(after[0], "retention.ms").value_or("");
                     co_return described == "7654321";
                   },
                   30s),
               "retention.ms still " << described);

    std::vector<std::string> doomed{t1, t2, t3, test::unique_name("never-created")};
    auto [ec8, deleted] = co_await a.async_delete_topics(doomed, call, use_tuple);
    BOOST_REQUIRE(!ec8);
    BOOST_TEST_MESSAGE("delete: " << describe(deleted));
    BOOST_REQUIRE_EQUAL(deleted.size(), 4u);
    BOOST_TEST(!deleted[0].error);
    BOOST_TEST(!deleted[1].error);
    BOOST_TEST(!deleted[2].error);
    BOOST_TEST(is(deleted[3].error, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
  });
}

// KIP-848's session timeout and heartbeat interval are configs of the group, set with an
// incremental alter on the group resource and read back with describe; an incremental alter
// of one key leaves the group's other dynamic config as it was.
BOOST_AUTO_TEST_CASE(group_configs_are_set_incrementally_and_described) {
  auto a = make_admin();
  const auto group = test::unique_name("admin-group-config");
  const asiokafka::config_resource resource{asiokafka::resource_type::group, group};
  auto value_of = [](const asiokafka::resource_configs& rc, const std::string& key) {
    auto it = std::find_if(rc.entries.begin(), rc.entries.end(), [&](const auto& e) { return e.name == key; });
    return it == rc.entries.end() ? std::string() : it->value.value_or("");
  };
  test::run(io, [&]() -> asio::awaitable<void> {
    std::vector<asiokafka::config_change> first{
        {resource, {{"consumer.session.timeout.ms", "50000"}, {"consumer.heartbeat.interval.ms", "6000"}}}};
    auto [ec, altered] = co_await a.async_alter_configs(first, call, use_tuple);
    BOOST_REQUIRE(!ec);
    BOOST_TEST(!altered[0].error, describe(altered));
    std::vector<asiokafka::config_change> second{{resource, {{"consumer.heartbeat.interval.ms", "7000"}}}};
    auto [ec2, altered2] = co_await a.async_alter_configs(second, call, use_tuple);
    BOOST_REQUIRE(!ec2);
    BOOST_TEST(!altered2[0].error, describe(altered2));

    std::string session, heartbeat;
    BOOST_TEST(co_await eventually(
                   [&]() -> asio::awaitable<bool> {
                     std::vector<asiokafka::config_resource> resources{resource};
                     auto [ec3, configs] = co_await a.async_describe_configs(std::move(resources), call, use_tuple);
                     BOOST_REQUIRE(!ec3);
                     BOOST_REQUIRE_EQUAL(configs.size(), 1u);
                     BOOST_TEST_REQUIRE(!configs[0].error, configs[0].error.message()
                                                               << " (" << configs[0].message << ")");
                     session = value_of(configs[0], "consumer.session.timeout.ms");
                     heartbeat = value_of(configs[0], "consumer.heartbeat.interval.ms");
                     co_return session == "50000" && heartbeat == "7000";
                   },
                   30s),
               "group " << group << ": consumer.session.timeout.ms " << session << ", consumer.heartbeat.interval.ms "
                        << heartbeat);
  });
}

BOOST_AUTO_TEST_CASE(records_are_deleted_before_an_offset) {
  auto a = make_admin();
  const auto topic = test::unique_name("admin-records");
  test::create_topic(brokers, topic, 2);
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(topic, 0, 10);
    topic_partition_list before{{topic, 0, 4}, {topic, 7, 1}};
    auto [ec, result] = co_await a.async_delete_records(before, call, use_tuple);
    BOOST_REQUIRE(!ec);
    BOOST_REQUIRE_EQUAL(result.size(), 2u);
    auto p0 = std::find_if(result.begin(), result.end(), [](const auto& tp) { return tp.partition == 0; });
    auto p7 = std::find_if(result.begin(), result.end(), [](const auto& tp) { return tp.partition == 7; });
    BOOST_REQUIRE(p0 != result.end());
    BOOST_REQUIRE(p7 != result.end());
    BOOST_TEST(!p0->error);
    BOOST_TEST(p0->offset == 4);
    BOOST_TEST(p7->error);
    BOOST_TEST_MESSAGE("delete records: partition 0 low watermark " << p0->offset
                                                                    << "; partition 7: " << p7->error.message());
    asiokafka::consumer c(co_await asio::this_coro::executor, test::consumer_config(brokers, test::unique_name("g")));
    auto w = co_await c.async_watermarks(topic, 0, {10s}, asio::use_awaitable);
    BOOST_TEST(w.low == 4);
    BOOST_TEST(w.high == 10);
  });
}

BOOST_AUTO_TEST_CASE(groups_show_the_composed_static_ids_offsets_and_lag) {
  auto a = make_admin();
  const auto topic = test::unique_name("admin-groups");
  const auto group = test::unique_name("admin-group");
  constexpr int n = 600;
  test::create_topic(brokers, topic, 3);

  asiokafka::broker_options o;
  o.config.bootstrap_servers = brokers;
  o.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  o.config.group_instance_id = "pod-7";  // broker scope: a base each subscriber derives from
  o.graceful_timeout = 10s;
  asiokafka::broker app(io.get_executor(), o);
  std::atomic<int> handled{0};
  asiokafka::subscriber_options derived;
  derived.name = "orders";
  derived.config.group_id = group;
  derived.config.session_timeout = 6s;  // the static members expire soon after the stop
  asiokafka::subscriber_options given = derived;
  given.name = "audit";
  given.config.group_instance_id = "audit-fixed";  // subscriber scope: used as given
  auto count = [&](std::string) -> asio::awaitable<void> {
    ++handled;
    co_return;
  };
  app.subscriber<std::string>({topic}, derived, count);
  app.subscriber<std::string>({topic}, given, count);

  std::vector<asiokafka::group_description> described;
  asiokafka::group_list listed;
  test::run_app(
      io, app,
      [&]() -> asio::awaitable<void> {
        for (int p = 0; p < 3; ++p) co_await produce(topic, p, n / 3);
        BOOST_REQUIRE(co_await test::wait_until([&] { return handled.load() == n; }, 120s));
        // Both members stable with an assignment (3 partitions between them).
        std::vector<std::string> groups{group, test::unique_name("nobody")};
        BOOST_REQUIRE(co_await eventually(
            [&]() -> asio::awaitable<bool> {
              auto [ec, d] = co_await a.async_describe_groups(groups, call, use_tuple);
              if (ec || d.size() != 2 || d[0].members.size() != 2 || d[0].state != "Stable") co_return false;
              described = std::move(d);
              co_return true;
            },
            60s));
        auto [ec, l] = co_await a.async_list_groups(call, use_tuple);
        BOOST_REQUIRE(!ec);
        listed = std::move(l);
#ifdef ASIOKAFKA_KAFKA_GROUPS
        // Once the members committed everything they handled (auto-commit runs every 5 s)...
        BOOST_REQUIRE(co_await eventually(
            [&]() -> asio::awaitable<bool> {
              auto [e, lag] = co_await a.async_group_lag(group, call, use_tuple);
              co_return !e && lag.size() == 3 &&
                  std::all_of(lag.begin(), lag.end(), [](const auto& p) { return p.lag == 0; });
            },
            60s));
        // ...the operator's tool on the same group: its members, their static ids and the lag.
        const std::string tool = std::string(ASIOKAFKA_KAFKA_GROUPS) + " --brokers " + brokers;
        auto shown = co_await run_tool(tool + " describe " + group);
        BOOST_TEST_MESSAGE("kafka_groups describe: exit " << shown.status << "\n" << shown.output);
        BOOST_TEST(shown.status == 0);
        BOOST_TEST(shown.output.find("state Stable") != std::string::npos);
        BOOST_TEST(shown.output.find("instance " + asiokafka::derive_static_id("pod-7", "orders")) !=
                   std::string::npos);
        BOOST_TEST(shown.output.find("instance audit-fixed") != std::string::npos);
        BOOST_TEST(shown.output.find("total lag 0 over 3 partitions") != std::string::npos);
        auto all = co_await run_tool(tool + " list");
        BOOST_TEST(all.status == 0);
        BOOST_TEST(all.output.find(group) != std::string::npos);
        auto missing = co_await run_tool(tool + " describe");  // no group: usage error
        BOOST_TEST(missing.status == 2);
#else
        BOOST_TEST_MESSAGE("kafka_groups not built (ASIOKAFKA_BUILD_EXAMPLES=OFF): its part of the case is left out");
#endif
      },
      240s);

  const auto& g = described[0];
  std::set<std::string> instance_ids;
  std::size_t assigned = 0;
  for (const auto& m : g.members) {
    instance_ids.insert(m.group_instance_id.value_or("<dynamic>"));
    assigned += m.assignment.size();
    BOOST_TEST(!m.member_id.empty());
    BOOST_TEST(!m.client_id.empty());
    BOOST_TEST(!m.host.empty());
    BOOST_TEST_MESSAGE("member " << m.group_instance_id.value_or("<dynamic>") << " client " << m.client_id << " host "
                                 << m.host << " partitions " << m.assignment.size());
  }
  BOOST_TEST_MESSAGE("group " << g.group_id << " state " << g.state << " assignor " << g.assignor << " coordinator "
                              << g.coordinator.id << "; unknown group state " << described[1].state);
  BOOST_TEST((instance_ids == std::set<std::string>{asiokafka::derive_static_id("pod-7", "orders"), "audit-fixed"}));
  BOOST_TEST(assigned == 3u);
  BOOST_TEST(!g.assignor.empty());
  BOOST_TEST(g.coordinator.id >= 0);
  BOOST_TEST(described[1].members.empty());
  BOOST_TEST(described[1].state == "Dead");
  BOOST_TEST(
      std::any_of(listed.groups.begin(), listed.groups.end(), [&](const auto& l) { return l.group_id == group; }));
  BOOST_TEST(listed.errors.empty());

  // The subscribers stopped (static members leave only on session timeout: the group is not
  // empty yet), so the offsets are read, not changed, until the members expire.
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        auto [ec, committed] = co_await a.async_list_group_offsets(group, {}, call, use_tuple);
        BOOST_REQUIRE(!ec);
        BOOST_TEST(!committed.error);
        std::int64_t sum = 0;
        for (const auto& p : committed.partitions) sum += p.offset;
        BOOST_TEST(sum == n);
        auto [ec2, lag] = co_await a.async_group_lag(group, call, use_tuple);
        BOOST_REQUIRE(!ec2);
        BOOST_REQUIRE_EQUAL(lag.size(), 3u);
        for (const auto& l : lag) {
          BOOST_TEST(!l.error);
          BOOST_TEST(l.lag == 0);
          BOOST_TEST(l.high_watermark == n / 3);
        }
        co_await produce(topic, 1, 25);
        auto [ec3, lag2] = co_await a.async_group_lag(group, call, use_tuple);
        BOOST_REQUIRE(!ec3);
        BOOST_TEST(lag2[1].lag == 25);
        BOOST_TEST_MESSAGE("lag after 25 more records on partition 1: " << lag2[0].lag << "/" << lag2[1].lag << "/"
                                                                        << lag2[2].lag);

        // Members gone (removed by the broker after session.timeout.ms): offsets can be changed.
        std::vector<std::string> groups{group};
        BOOST_REQUIRE(co_await eventually(
            [&]() -> asio::awaitable<bool> {
              auto [e, d] = co_await a.async_describe_groups(groups, call, use_tuple);
              co_return !e && d.size() == 1 && d[0].members.empty();
            },
            90s));
        topic_partition_list rewind{{topic, 0, 0}};
        auto [ec4, altered] = co_await a.async_alter_group_offsets(group, rewind, call, use_tuple);
        BOOST_REQUIRE(!ec4);
        BOOST_TEST(!altered.error, altered.message);
        auto [ec5, lag3] = co_await a.async_group_lag(group, call, use_tuple);
        BOOST_REQUIRE(!ec5);
        BOOST_TEST(lag3[0].lag == n / 3);
        topic_partition_list forget{{topic, 2}};
        auto [ec6, removed] = co_await a.async_delete_group_offsets(group, forget, call, use_tuple);
        BOOST_REQUIRE(!ec6);
        BOOST_TEST(!removed.error, removed.message);
        auto [ec7, left] = co_await a.async_list_group_offsets(group, {}, call, use_tuple);
        BOOST_REQUIRE(!ec7);
        BOOST_TEST(left.partitions.size() == 2u);

        std::vector<std::string> doomed{group, test::unique_name("never-was")};
        auto [ec8, deleted] = co_await a.async_delete_groups(doomed, call, use_tuple);
        BOOST_REQUIRE(!ec8);
        BOOST_TEST_MESSAGE("delete groups: " << describe(deleted));
        BOOST_TEST(!deleted[0].error);
        BOOST_TEST(is(deleted[1].error, RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND));
      },
      180s);
}

BOOST_AUTO_TEST_CASE(unreachable_cluster_times_out_cancels_and_closes) {
  // Nothing listens on this port: requests wait for a broker until their timeout.
  admin a(io.get_executor(), test::producer_config("127.0.0.1:1", {{"log_level", "0"}}));
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        const auto started = std::chrono::steady_clock::now();
        call_options short_call{500ms};
        std::vector<std::string> groups{"g"};
        auto [ec, d] = co_await a.async_describe_groups(groups, short_call, use_tuple);
        const auto took = std::chrono::steady_clock::now() - started;
        BOOST_TEST_MESSAGE("timeout: " << ec.message() << " after "
                                       << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
        // A request to a group coordinator is timed out by asiokafka as a whole: no result.
        BOOST_TEST(ec == asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR__TIMED_OUT), ec.message());
        BOOST_TEST(d.empty());
        BOOST_TEST(took >= 500ms);
        BOOST_TEST(took < 10s);

        auto [ec2, l] = co_await a.async_list_groups(call, asiokafka::cancel_after(100ms, use_tuple));
        BOOST_TEST(ec2 == asio::error::operation_aborted);
      },
      60s);

  // Destroying the client completes what is pending with error::closed.
  auto pending = std::make_unique<admin>(io.get_executor(), test::producer_config("127.0.0.1:1", {{"log_level", "0"}}));
  error_code closed;
  bool done = false;
  pending->async_list_groups(call, [&](error_code ec, asiokafka::group_list) {
    closed = ec;
    done = true;
    io.stop();
  });
  pending.reset();
  io.restart();
  io.run_for(5s);
  BOOST_TEST(done);
  BOOST_TEST(closed == asiokafka::make_error_code(asiokafka::error::closed));
}

BOOST_AUTO_TEST_SUITE_END()
