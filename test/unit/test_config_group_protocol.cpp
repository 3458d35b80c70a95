// Unit tests of KIP-848's consumer group protocol in the config composer: group.protocol and
// group.remote.assignor at broker and subscriber scope, the classic protocol's keys refused
// under group.protocol=consumer, static ids under both protocols, and the librdkafka version
// the keys need (the floor, librdkafka 2.0.2, refuses them naming key, scope and version).
#define BOOST_TEST_MODULE test_config_group_protocol
#include <boost/test/unit_test.hpp>

#include "config/version_requirements.hpp"

#include <asiokafka/config.hpp>

#include <asiokafka/consumer.hpp>
#include "config_checks.hpp"

#include <asiokafka/version.hpp>
#include <boost/asio/io_context.hpp>

#include <string>
#include <string_view>
#include <vector>

using namespace asiokafka;
using namespace std::chrono_literals;
using asiokafka::test::contains;
using asiokafka::test::expect_config_error;

namespace {

constexpr detail::librdkafka_version_number platform_minimum = 0x020c00ff;  // 2.12.0
constexpr detail::librdkafka_version_number floor_version = 0x020002ff;     // 2.0.2

bool runs_platform() { return detail::running_librdkafka_version() >= platform_minimum; }

client_options broker(std::optional<group_protocol> protocol = group_protocol::consumer) {
  client_options o;
  o.bootstrap_servers = "127.0.0.1:9092";
  o.group_id = "orders-service";
  o.group_protocol = protocol;
  return o;
}

consumer_scope subscriber(std::string name, client_options options = {}) {
  return {std::move(name), std::move(options), {}};
}

// Composes `f`; on the floor, checks instead that composition refuses group.protocol naming
// the scope and both versions. Returns whether `f`'s checks should run.
template <class F>
void on_platform(config_scope protocol_scope, F&& f) {
  if (runs_platform()) {
    f();
    return;
  }
  const auto e = expect_config_error(f);
  BOOST_TEST(e.key() == "group.protocol");
  BOOST_TEST((e.scope() == protocol_scope));
  BOOST_TEST(contains(e.what(), "needs librdkafka 2.12.0 or newer"));
  BOOST_TEST(contains(e.what(), "this process runs " + std::string(librdkafka_version())));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_config_group_protocol)

BOOST_AUTO_TEST_CASE(runtime_version_is_reported) {
  const std::string_view v = librdkafka_version();
  BOOST_TEST_MESSAGE("librdkafka " << v);
  BOOST_TEST(v == detail::librdkafka_version_name(detail::running_librdkafka_version()));
}

BOOST_AUTO_TEST_CASE(version_names) {
  BOOST_TEST(detail::librdkafka_version_name(0x020e02ff) == "2.14.2");
  BOOST_TEST(detail::librdkafka_version_name(floor_version) == "2.0.2");
  BOOST_TEST(detail::librdkafka_version_name(0x02040003) == "2.4.0-pre3");
}

BOOST_AUTO_TEST_CASE(floor_refuses_kip848_keys_naming_key_scope_and_versions) {
  const std::vector<composed_config::entry> entries{
      {"bootstrap.servers", "127.0.0.1:9092", config_scope::broker, ""},
      {"group.remote.assignor", "uniform", config_scope::subscriber, ""},
  };
  try {
    detail::check_required_versions(entries, floor_version, "orders");
    BOOST_FAIL("expected asiokafka::config_error");
  } catch (const config_error& e) {
    BOOST_TEST(e.key() == "group.remote.assignor");
    BOOST_TEST((e.scope() == config_scope::subscriber));
    BOOST_TEST(e.subscriber() == "orders");
    BOOST_TEST(contains(e.what(), "needs librdkafka 2.12.0 or newer; this process runs 2.0.2"));
  }
  detail::check_required_versions(entries, 0x020c00ff, "orders");
  detail::check_required_versions(entries, 0x020e02ff, "orders");
  const std::vector<composed_config::entry> classic{{"session.timeout.ms", "45000", config_scope::broker, ""}};
  detail::check_required_versions(classic, floor_version, "orders");
}

BOOST_AUTO_TEST_CASE(broker_scope_protocol_applies_to_every_subscriber_with_provenance) {
  client_options b = broker();
  b.group_remote_assignor = "uniform";
  on_platform(config_scope::broker, [&] {
    const auto cfgs = config_composer{b}.compose_consumers({subscriber("orders"), subscriber("refunds")});
    BOOST_REQUIRE(cfgs.size() == 2u);
    for (const auto& cfg : cfgs) {
      const auto* p = cfg.find("group.protocol");
      BOOST_REQUIRE(p != nullptr);
      BOOST_TEST(p->value == "consumer");
      BOOST_TEST((p->scope == config_scope::broker));
      BOOST_TEST(cfg.get("group.remote.assignor").value_or("") == "uniform");
      BOOST_TEST(contains(cfg.explain(), "group.protocol"));
    }
  });
}

BOOST_AUTO_TEST_CASE(subscriber_scope_protocol_beats_broker_scope) {
  on_platform(config_scope::subscriber, [&] {
    const config_composer composer(broker(group_protocol::classic));
    const auto cfg = composer.compose_consumer(subscriber("orders", {.group_protocol = group_protocol::consumer}));
    const auto* p = cfg.find("group.protocol");
    BOOST_REQUIRE(p != nullptr);
    BOOST_TEST(p->value == "consumer");
    BOOST_TEST((p->scope == config_scope::subscriber));
  });
}

BOOST_AUTO_TEST_CASE(classic_keys_at_broker_scope_are_refused_naming_scope_and_replacement) {
  struct classic_key {
    const char* key;
    const char* value;
    const char* replacement;
  };
  for (const auto& k : {classic_key{"session.timeout.ms", "45000", "consumer.session.timeout.ms"},
                        classic_key{"heartbeat.interval.ms", "3000", "consumer.heartbeat.interval.ms"},
                        classic_key{"partition.assignment.strategy", "range", "group.remote.assignor"},
                        classic_key{"group.protocol.type", "consumer", "single protocol type"}}) {
    client_options b = broker();
    b.raw[k.key] = k.value;
    const auto e = expect_config_error([&] { config_composer{b}.compose_consumer(subscriber("orders")); });
    BOOST_TEST(e.subscriber() == "orders");
    if (!runs_platform()) {
      BOOST_TEST(e.key() == "group.protocol");
      continue;
    }
    BOOST_TEST(e.key() == k.key);
    BOOST_TEST((e.scope() == config_scope::broker));
    BOOST_TEST(contains(e.what(), "group.protocol=consumer (set at broker scope)"));
    BOOST_TEST(contains(e.what(), k.replacement));
  }
}

BOOST_AUTO_TEST_CASE(typed_classic_key_at_subscriber_scope_is_refused_under_broker_protocol) {
  const auto e = expect_config_error(
      [&] { config_composer{broker()}.compose_consumer(subscriber("orders", {.session_timeout = 45s})); });
  if (runs_platform()) {
    BOOST_TEST(e.key() == "session.timeout.ms");
    BOOST_TEST((e.scope() == config_scope::subscriber));
  } else {
    BOOST_TEST(e.key() == "group.protocol");
  }
}

BOOST_AUTO_TEST_CASE(protocol_value_is_read_without_regard_to_case) {
  client_options b = broker(std::nullopt);
  b.raw["group.protocol"] = "CONSUMER";
  b.session_timeout = 45s;
  const auto e = expect_config_error([&] { config_composer{b}.compose_consumer(subscriber("orders")); });
  BOOST_TEST(e.key() == (runs_platform() ? "session.timeout.ms" : "group.protocol"));
}

BOOST_AUTO_TEST_CASE(classic_protocol_keeps_classic_keys) {
  client_options b = broker(group_protocol::classic);
  b.session_timeout = 45s;
  b.partition_assignment_strategy = "cooperative-sticky";
  on_platform(config_scope::broker, [&] {
    const auto cfg = config_composer{b}.compose_consumer(subscriber("orders"));
    BOOST_TEST(cfg.get("session.timeout.ms").value_or("") == "45000");
    BOOST_TEST(cfg.get("partition.assignment.strategy").value_or("") == "cooperative-sticky");
  });
}

BOOST_AUTO_TEST_CASE(classic_keys_for_other_subscribers_stay_with_them) {
  // Broker scope: classic with a session timeout; one subscriber moves to the consumer
  // protocol and must then not inherit the broker's session timeout.
  client_options b = broker(group_protocol::classic);
  b.session_timeout = 45s;
  const config_composer composer(b);
  const auto e = expect_config_error(
      [&] { composer.compose_consumer(subscriber("orders", {.group_protocol = group_protocol::consumer})); });
  BOOST_TEST(e.key() == (runs_platform() ? "session.timeout.ms" : "group.protocol"));
  if (runs_platform()) {
    BOOST_TEST((e.scope() == config_scope::broker));
    BOOST_TEST(contains(e.what(), "(set at subscriber scope)"));
  }
}

BOOST_AUTO_TEST_CASE(library_default_of_a_classic_key_is_left_out_and_listed) {
  on_platform(config_scope::broker, [&] {
    consumer_scope s = subscriber("orders");
    s.defaults = {owned_key{"session.timeout.ms", "30000", "a feature's classic default"}};
    const auto cfg = config_composer{broker()}.compose_consumer(s);
    BOOST_TEST(!cfg.get("session.timeout.ms"));
    const auto dropped = cfg.dropped();
    BOOST_REQUIRE(dropped.size() == 1u);
    BOOST_TEST(dropped[0].key == "session.timeout.ms");
    BOOST_TEST(contains(dropped[0].note, "classic group protocol only"));
  });
}

BOOST_AUTO_TEST_CASE(static_ids_derive_per_subscriber_under_both_protocols) {
  for (const auto protocol : {group_protocol::classic, group_protocol::consumer}) {
    client_options b = broker(protocol);
    b.group_instance_id = "pod-7";
    on_platform(config_scope::broker, [&] {
      const auto cfgs = config_composer{b}.compose_consumers({subscriber("orders"), subscriber("refunds")});
      BOOST_REQUIRE(cfgs.size() == 2u);
      BOOST_TEST(cfgs[0].get("group.instance.id").value_or("") == "pod-7-orders");
      BOOST_TEST(cfgs[1].get("group.instance.id").value_or("") == "pod-7-refunds");
    });
  }
}

BOOST_AUTO_TEST_CASE(producer_drops_the_group_protocol_keys) {
  client_options b = broker();
  b.group_remote_assignor = "range";
  const auto cfg = config_composer{b}.compose_producer();
  BOOST_TEST(!cfg.get("group.protocol"));
  BOOST_TEST(!cfg.get("group.remote.assignor"));
  BOOST_TEST(cfg.dropped().size() == 3u);  // with group.id
}

BOOST_AUTO_TEST_CASE(librdkafka_accepts_what_the_composer_gives_under_the_consumer_protocol) {
  // librdkafka refuses the classic keys at rd_kafka_new under group.protocol=consumer; a
  // consumer created from the composition must not meet that refusal.
  on_platform(config_scope::broker, [&] {
    consumer_scope s = subscriber("orders");
    const auto cfg = config_composer{broker()}.compose_consumer(s);
    boost::asio::io_context io;
    consumer c(io.get_executor(), cfg);
    BOOST_TEST(cfg.get("group.protocol").value_or("") == "consumer");
  });
}

BOOST_AUTO_TEST_SUITE_END()
