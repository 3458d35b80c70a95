#define BOOST_TEST_MODULE test_explicit_partitions
#include <boost/test/unit_test.hpp>

#include "broker/explicit_partitions.hpp"

#include <asiokafka/broker.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <map>
#include <set>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::broker;
using asiokafka::config_error;
using asiokafka::message;
using asiokafka::partition_assignment;
using asiokafka::partition_start;
using asiokafka::subscriber_options;
using asiokafka::topic_partition_list;
namespace detail = asiokafka::detail;
namespace offsets = asiokafka::offsets;
namespace test = asiokafka::test;

namespace {

subscriber_options with_partitions(std::vector<partition_assignment> parts) {
  subscriber_options o;
  o.name = "sub";
  o.partitions = std::move(parts);
  return o;
}

// config_error's key and message, for the checks below.
template <class F>
std::string config_failure(F f, const std::string& key) {
  try {
    f();
  } catch (const config_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_TEST(e.key() == key);
    return e.what();
  }
  BOOST_FAIL("no config_error for " << key);
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_explicit_partitions_decisions)

BOOST_AUTO_TEST_CASE(starts_resolve_to_offsets_in_order) {
  const std::vector<partition_assignment> parts{{"t", 0, partition_start::earliest()},
                                                {"t", 1, partition_start::latest()},
                                                {"t", 2, partition_start::committed()},
                                                {"t", 3, partition_start::at_offset(42)},
                                                {"u", 0, partition_start{partition_start::kind::timestamp, 1000}},
                                                {"u", 1, partition_start{partition_start::kind::timestamp, 2000}}};
  const topic_partition_list queries = detail::time_queries(parts);
  BOOST_REQUIRE_EQUAL(queries.size(), 2u);
  BOOST_TEST(queries[0].topic == "u");
  BOOST_TEST(queries[0].offset == 1000);
  BOOST_TEST(queries[1].partition == 1);
  BOOST_TEST(queries[1].offset == 2000);

  // u[1] has no record that recent: librdkafka answers -1, the end.
  const topic_partition_list found{{"u", 0, 7}, {"u", 1, -1}};
  const auto resolved = detail::resolve_starts(parts, found);
  BOOST_TEST(!resolved.error);
  const topic_partition_list expected{
      {"t", 0, offsets::beginning}, {"t", 1, offsets::end}, {"t", 2, offsets::stored}, {"t", 3, 42}, {"u", 0, 7},
      {"u", 1, offsets::end}};
  BOOST_REQUIRE_EQUAL(resolved.assignment.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST_CONTEXT("partition " << expected[i].topic << "[" << expected[i].partition << "]") {
      BOOST_TEST(resolved.assignment[i].topic == expected[i].topic);
      BOOST_TEST(resolved.assignment[i].partition == expected[i].partition);
      BOOST_TEST(resolved.assignment[i].offset == expected[i].offset);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_failed_time_lookup_names_its_partition) {
  const std::vector<partition_assignment> parts{{"t", 0, partition_start::earliest()},
                                                {"u", 3, partition_start{partition_start::kind::timestamp, 5}}};
  topic_partition_list found{{"u", 3, -1}};
  found[0].error = asiokafka::make_kafka_error_code(3);  // UNKNOWN_TOPIC_OR_PART
  const auto resolved = detail::resolve_starts(parts, found);
  BOOST_TEST(resolved.error == asiokafka::make_kafka_error_code(3));
  BOOST_TEST(resolved.what.find("u[3]") != std::string::npos);
  BOOST_TEST(resolved.assignment.empty());
}

BOOST_AUTO_TEST_CASE(missing_partitions_and_topics_are_named) {
  const std::map<std::string, int> counts{{"t", 3}, {"gone", 0}};
  BOOST_TEST(detail::missing_partition({{"t", 0, {}}, {"t", 2, {}}}, counts).empty());
  const std::string beyond = detail::missing_partition({{"t", 0, {}}, {"t", 3, {}}}, counts);
  BOOST_TEST(beyond == "topic \"t\" has 3 partitions: t[3] does not exist");
  const std::string no_topic = detail::missing_partition({{"gone", 0, {}}}, counts);
  BOOST_TEST(no_topic == "topic \"gone\" does not exist: gone[0] does not exist");
}

BOOST_AUTO_TEST_CASE(bad_subscriptions_are_config_errors) {
  const std::vector<std::string> none;
  const std::vector<std::string> topics{"t"};
  BOOST_CHECK_NO_THROW(detail::check_subscription(none, with_partitions({{"t", 0, {}}})));
  BOOST_CHECK_NO_THROW(detail::check_subscription(topics, with_partitions({})));
  config_failure([&] { detail::check_subscription(topics, with_partitions({{"t", 0, {}}})); }, "partitions");
  config_failure([&] { detail::check_subscription(none, with_partitions({})); }, "partitions");
  const auto twice = config_failure(
      [&] {
        detail::check_subscription(none, with_partitions({{"t", 1, {}}, {"t", 1, {}}}));
      },
      "partitions");
  BOOST_TEST(twice.find("t[1] is named twice") != std::string::npos);
  config_failure([&] { detail::check_subscription(none, with_partitions({{"", 0, {}}})); }, "partitions");
  config_failure([&] { detail::check_subscription(none, with_partitions({{"t", -1, {}}})); }, "partitions");
  config_failure(
      [&] {
        detail::check_subscription(none, with_partitions({{"t", 0, partition_start::at_offset(-2)}}));
      },
      "partitions");
  auto eos = with_partitions({{"t", 0, {}}});
  eos.guarantee = asiokafka::processing_guarantee::exactly_once;
  config_failure([&] { detail::check_subscription(none, eos); }, "partitions");

  const auto committed = with_partitions({{"t", 4, partition_start::committed()}});
  BOOST_CHECK_NO_THROW(detail::check_committed_starts(committed, true));
  const auto no_group = config_failure([&] { detail::check_committed_starts(committed, false); }, "group.id");
  BOOST_TEST(no_group.find("t[4]") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

struct broker_fixture {
  asiokafka::testing::embedded_kafka kafka;
  asio::io_context io;
  std::string topic = test::unique_name("in");

  broker_fixture() { kafka.create_topic(topic, 3); }

  asiokafka::broker_options options() {
    asiokafka::broker_options o;
    o.config.bootstrap_servers = kafka.bootstrap_servers();
    o.graceful_timeout = 2s;
    return o;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_explicit_partitions_broker, broker_fixture)

// Without a group.id of the user's, the consumer gets a library default and no static id,
// even with a broker-scope base for the other subscribers.
BOOST_AUTO_TEST_CASE(no_group_needed_and_no_static_id_derived) {
  auto o = options();
  o.config.group_instance_id = "pod-7";
  broker app(io.get_executor(), o);
  app.subscriber<std::string>({}, with_partitions({{topic, 0, {}}}),
                              [](std::string) -> asio::awaitable<void> { co_return; });
  const std::string explained = app.explain();
  BOOST_TEST_MESSAGE(explained);
  BOOST_TEST(explained.find("asiokafka-partitions-sub  library_default  library default: explicit partitions") !=
             std::string::npos);
  BOOST_TEST(explained.find("static membership does not apply") != std::string::npos);
  BOOST_TEST(explained.find("pod-7-sub") == std::string::npos);
  // The AsyncAPI document lists the partitions' topic and no Kafka group for the subscriber.
  const std::string document = app.asyncapi();
  BOOST_TEST(document.find("\"" + topic + "\"") != std::string::npos);
  BOOST_TEST(document.find("groupId") == std::string::npos);

  // A static id at the subscriber's own scope is a mistake; so is a committed start with no group.
  broker own_id(io.get_executor(), options());
  auto s = with_partitions({{topic, 0, {}}});
  s.config.group_instance_id = "mine";
  own_id.subscriber<std::string>({}, s, [](std::string) -> asio::awaitable<void> { co_return; });
  config_failure([&] { own_id.explain(); }, "group.instance.id");

  broker committed(io.get_executor(), options());
  committed.subscriber<std::string>({}, with_partitions({{topic, 1, partition_start::committed()}}),
                                    [](std::string) -> asio::awaitable<void> { co_return; });
  config_failure([&] { committed.explain(); }, "group.id");
}

BOOST_AUTO_TEST_CASE(default_name_lists_the_partitions) {
  broker app(io.get_executor(), options());
  auto s = with_partitions({{topic, 0, {}}, {topic, 2, {}}});
  s.name.clear();
  app.subscriber<std::string>({}, s, [](std::string) -> asio::awaitable<void> { co_return; });
  BOOST_TEST(app.stats(topic + "[0]+" + topic + "[2]") != nullptr);
}

BOOST_AUTO_TEST_CASE(each_subscriber_reads_only_its_partitions_from_its_start) {
  broker app(io.get_executor(), options());
  std::map<std::int32_t, std::vector<std::int64_t>> seen_a, seen_b;
  auto a = with_partitions({{topic, 0, partition_start::earliest()}, {topic, 1, partition_start::at_offset(3)}});
  a.name = "a";
  auto b = with_partitions({{topic, 2, partition_start::earliest()}});
  b.name = "b";
  const auto& stats_a = app.subscriber<message>({}, a, [&](const message& m) -> asio::awaitable<void> {
    seen_a[m.partition()].push_back(m.offset());
    co_return;
  });
  const auto& stats_b = app.subscriber<message>({}, b, [&](const message& m) -> asio::awaitable<void> {
    seen_b[m.partition()].push_back(m.offset());
    co_return;
  });
  // Produced first: an offset start beyond the end would be reset by auto.offset.reset.
  test::run(io, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::producer p(ex, test::producer_config(kafka.bootstrap_servers()));
    for (int i = 0; i < 30; ++i) p.produce(asiokafka::record{topic, i % 3, "k", std::to_string(i), {}, {}});
    co_await p.async_flush(asio::use_awaitable);
  });
  test::run_app(io, app, [&]() -> asio::awaitable<void> {
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats_a.handled == 17u && stats_b.handled == 10u; }, 30s));
    const auto health = app.health();
    BOOST_TEST(health.subscribers.at(0).assigned_partitions == 2u);
    BOOST_TEST(health.subscribers.at(1).assigned_partitions == 1u);
  });
  BOOST_TEST_MESSAGE("a handled " << stats_a.handled << " (partition 0: " << seen_a[0].size()
                                  << ", partition 1 from offset 3: " << seen_a[1].size() << "), b handled "
                                  << stats_b.handled);
  BOOST_TEST(seen_a.size() == 2u);
  BOOST_TEST(seen_a[0].size() == 10u);
  BOOST_TEST(seen_a[1].front() == 3);
  BOOST_TEST(seen_a[1].size() == 7u);
  BOOST_TEST(seen_b.size() == 1u);
  BOOST_TEST(seen_b[2].size() == 10u);
}

BOOST_AUTO_TEST_CASE(missing_partition_ends_the_run_naming_it) {
  auto o = options();
  test::log_capture logs;
  o.log = logs.sink();
  broker app(io.get_executor(), o);
  bool handled = false;
  app.subscriber<std::string>({}, with_partitions({{topic, 0, {}}, {topic, 7, {}}}),
                              [&](std::string) -> asio::awaitable<void> {
                                handled = true;
                                co_return;
                              });
  const auto ec = test::run_app_for_result(io, app, [&]() -> asio::awaitable<void> {
    co_await test::sleep_for(10s);  // the run ends first: app.stop() comes too late to matter
  });
  BOOST_TEST_MESSAGE("async_run: " << ec.message() << "; health: " << app.health().subscribers.at(0).fatal_error);
  BOOST_TEST(ec == asiokafka::make_kafka_error_code(-190));  // _UNKNOWN_PARTITION
  BOOST_TEST(app.health().subscribers.at(0).fatal_error ==
             "topic \"" + topic + "\" has 3 partitions: " + topic + "[7] does not exist");
  BOOST_TEST(logs.contains(topic + "[7] does not exist"));
  BOOST_TEST(!app.health().subscribers.at(0).running);
  BOOST_TEST(!handled);
}

BOOST_AUTO_TEST_SUITE_END()
