// Unit tests of the config composer: scopes, merge policies, static ids, owned keys,
// validation against librdkafka, provenance and redaction.
#define BOOST_TEST_MODULE test_config
#include <boost/test/unit_test.hpp>

#include <asiokafka/config.hpp>
#include <asiokafka/producer.hpp>

#include <boost/asio/io_context.hpp>

#include "config_checks.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using namespace asiokafka;
using namespace std::chrono_literals;
using asiokafka::test::contains;
using asiokafka::test::expect_config_error;

namespace {

// The explain() line of `key` ("" if none), with runs of spaces collapsed to one.
std::string explain_line(const std::string& text, std::string_view key) {
  const std::string start = "\n  " + std::string(key) + " ";
  const auto at = text.find(start);
  if (at == std::string::npos) return {};
  const auto end = text.find('\n', at + 1);
  std::string line;
  for (const char c : text.substr(at + 3, end - at - 3))
    if (c != ' ' || line.empty() || line.back() != ' ') line += c;
  return line;
}

client_options with_raw(std::map<std::string, std::string> raw) {
  client_options o;
  o.raw = std::move(raw);
  return o;
}

consumer_scope subscriber(std::string name, client_options options = {}, std::vector<owned_key> owned = {}) {
  return {std::move(name), std::move(options), std::move(owned)};
}

client_options broker_with_group(std::string group = "orders-service") {
  client_options o;
  o.bootstrap_servers = "127.0.0.1:9092";
  o.group_id = std::move(group);
  return o;
}

// Sets an environment variable for the scope of a test and restores it afterwards.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~scoped_env() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A user-written policy: library defaults beat everything else.
struct prefer_defaults {
  std::size_t choose(std::string_view, std::span<const config_candidate> c) const {
    return c.front().scope == config_scope::library_default ? 0 : c.size() - 1;
  }
  std::string_view name() const { return "prefer_defaults"; }
};

struct broken_policy {
  std::size_t choose(std::string_view, std::span<const config_candidate> c) const { return c.size(); }
  std::string_view name() const { return "broken_policy"; }
};

}  // namespace

// ---------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(test_config_options)

BOOST_AUTO_TEST_CASE(typed_options_map_to_librdkafka_keys) {
  client_options o;
  o.bootstrap_servers = "a:1,b:2";
  o.client_id = "svc";
  o.group_id = "g";
  o.group_instance_id = "g-0";
  o.auto_offset_reset = offset_reset::earliest;
  o.session_timeout = 45s;
  o.max_poll_interval = 600000ms;
  o.partition_assignment_strategy = "cooperative-sticky";
  o.enable_auto_commit = false;
  const auto cfg = config_composer{}.compose_consumer(subscriber("s", o));
  BOOST_TEST(cfg.get("bootstrap.servers").value_or("") == "a:1,b:2");
  BOOST_TEST(cfg.get("client.id").value_or("") == "svc");
  BOOST_TEST(cfg.get("group.id").value_or("") == "g");
  BOOST_TEST(cfg.get("group.instance.id").value_or("") == "g-0");
  BOOST_TEST(cfg.get("auto.offset.reset").value_or("") == "earliest");
  BOOST_TEST(cfg.get("session.timeout.ms").value_or("") == "45000");
  BOOST_TEST(cfg.get("max.poll.interval.ms").value_or("") == "600000");
  BOOST_TEST(cfg.get("partition.assignment.strategy").value_or("") == "cooperative-sticky");
  BOOST_TEST(cfg.get("enable.auto.commit").value_or("") == "false");
  for (const auto& e : cfg.entries())
    if (e.key != "enable.partition.eof") BOOST_TEST((e.scope == config_scope::subscriber), e.key);
}

BOOST_AUTO_TEST_CASE(typed_and_raw_different_values_in_one_scope_throws) {
  client_options o = with_raw({{"group.id", "raw-group"}});
  o.group_id = "typed-group";
  const auto e = expect_config_error([&] { config_composer{}.compose_consumer(subscriber("orders", o)); });
  BOOST_TEST(e.key() == "group.id");
  BOOST_TEST((e.scope() == config_scope::subscriber));
  BOOST_TEST(e.subscriber() == "orders");
  BOOST_TEST(contains(e.what(), "typed-group"));
  BOOST_TEST(contains(e.what(), "raw-group"));
  BOOST_TEST(contains(e.what(), "client_options::group_id"));
}

BOOST_AUTO_TEST_CASE(typed_and_raw_equal_values_in_one_scope_accepted) {
  client_options o = with_raw({{"session.timeout.ms", "30000"}, {"group.id", "g"}});
  o.session_timeout = 30s;
  o.group_id = "g";
  const auto cfg = config_composer{}.compose_consumer(subscriber("s", o));
  BOOST_TEST(cfg.get("session.timeout.ms").value_or("") == "30000");
}

BOOST_AUTO_TEST_CASE(broker_scope_conflict_throws_at_construction) {
  client_options o = with_raw({{"auto.offset.reset", "latest"}});
  o.auto_offset_reset = offset_reset::earliest;
  const auto e = expect_config_error([&] { config_composer{o}; });
  BOOST_TEST(e.key() == "auto.offset.reset");
  BOOST_TEST((e.scope() == config_scope::broker));
  BOOST_TEST(e.subscriber() == "");
}

BOOST_AUTO_TEST_CASE(alias_resolves_to_canonical_key) {
  const config_composer composer(with_raw({{"metadata.broker.list", "k:9092"}}));
  const auto cfg = composer.compose_producer(with_raw({{"request.required.acks", "all"}}));
  BOOST_TEST(cfg.get("bootstrap.servers").value_or("") == "k:9092");
  BOOST_TEST(cfg.get("acks").value_or("") == "all");
  BOOST_TEST(cfg.get("metadata.broker.list").value_or("") == "k:9092");
  BOOST_REQUIRE(cfg.find("bootstrap.servers") != nullptr);
  BOOST_TEST(contains(cfg.find("bootstrap.servers")->note, "metadata.broker.list"));
}

BOOST_AUTO_TEST_CASE(alias_and_canonical_key_different_values_throws) {
  client_options o = with_raw({{"metadata.broker.list", "a:1"}});
  o.bootstrap_servers = "b:2";
  const auto e = expect_config_error([&] { config_composer{o}; });
  BOOST_TEST(e.key() == "bootstrap.servers");
  BOOST_TEST(contains(e.what(), "metadata.broker.list"));
}

BOOST_AUTO_TEST_CASE(alias_at_more_specific_scope_beats_canonical_key) {
  const config_composer composer(client_options{.bootstrap_servers = "broker:1"});
  const auto cfg = composer.compose_consumer(subscriber("s", with_raw({{"metadata.broker.list", "subscriber:2"}})));
  BOOST_TEST(cfg.get("bootstrap.servers").value_or("") == "subscriber:2");
  BOOST_TEST(cfg.entries().size() == std::size_t(3));  // bootstrap.servers, client.id, enable.partition.eof
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(test_config_merge)

BOOST_AUTO_TEST_CASE(library_defaults_apply_when_unset) {
  const auto cfg = config_composer{}.compose_consumer(subscriber("s"));
  const auto* client_id = cfg.find("client.id");
  BOOST_REQUIRE(client_id != nullptr);
  BOOST_TEST(client_id->value == "asiokafka");
  BOOST_TEST((client_id->scope == config_scope::library_default));
  BOOST_TEST(cfg.get("enable.partition.eof").value_or("") == "false");
  // Offset handling belongs to features, never to library defaults.
  BOOST_TEST(!cfg.get("enable.auto.commit"));
  BOOST_TEST(!cfg.get("enable.auto.offset.store"));
}

BOOST_AUTO_TEST_CASE(broker_scope_beats_library_default) {
  const config_composer composer(client_options{.client_id = "billing"});
  const auto cfg = composer.compose_consumer(subscriber("s"));
  const auto* e = cfg.find("client.id");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->value == "billing");
  BOOST_TEST((e->scope == config_scope::broker));
  BOOST_TEST(contains(e->note, "more_specific_wins"));
}

BOOST_AUTO_TEST_CASE(subscriber_scope_beats_broker_scope_by_default) {
  const config_composer composer(client_options{.group_id = "broker-group"});
  const auto cfg = composer.compose_consumer(subscriber("s", {.group_id = "own-group"}));
  const auto* e = cfg.find("group.id");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->value == "own-group");
  BOOST_TEST((e->scope == config_scope::subscriber));
  BOOST_TEST(e->note == "subscriber scope beats broker (more_specific_wins)");
}

BOOST_AUTO_TEST_CASE(broker_scope_wins_policy_prefers_broker_value) {
  const config_composer composer(client_options{.group_id = "broker-group"}, broker_scope_wins{});
  const auto cfg = composer.compose_consumer(subscriber("s", {.group_id = "own-group"}));
  const auto* e = cfg.find("group.id");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->value == "broker-group");
  BOOST_TEST((e->scope == config_scope::broker));
  BOOST_TEST(contains(e->note, "broker_scope_wins"));
}

BOOST_AUTO_TEST_CASE(broker_scope_wins_policy_keeps_subscriber_value_broker_does_not_set) {
  const config_composer composer(client_options{.group_id = "g"}, broker_scope_wins{});
  const auto cfg = composer.compose_consumer(subscriber("s", {.client_id = "own"}));
  BOOST_TEST(cfg.get("client.id").value_or("") == "own");  // beats the library default
}

BOOST_AUTO_TEST_CASE(per_key_policy_applies_rule_to_named_key_only) {
  client_options broker;
  broker.client_id = "broker-client";
  broker.group_id = "broker-group";
  const config_composer composer(broker, per_key_policy{more_specific_wins{}}.set("client.id", broker_scope_wins{}));
  const auto cfg = composer.compose_consumer(subscriber("s", {.client_id = "own-client", .group_id = "own-group"}));
  BOOST_TEST(cfg.get("client.id").value_or("") == "broker-client");
  BOOST_TEST(cfg.get("group.id").value_or("") == "own-group");
  BOOST_TEST(contains(cfg.find("client.id")->note, "broker_scope_wins"));
  BOOST_TEST(contains(cfg.find("group.id")->note, "more_specific_wins"));
  BOOST_TEST(composer.policy().name() == "per_key_policy");
}

BOOST_AUTO_TEST_CASE(per_key_policy_accepts_alias_keys) {
  const config_composer composer(client_options{.bootstrap_servers = "broker:1"},
                                 per_key_policy{}.set("metadata.broker.list", broker_scope_wins{}));
  const auto cfg = composer.compose_consumer(subscriber("s", {.bootstrap_servers = "own:2"}));
  BOOST_TEST(cfg.get("bootstrap.servers").value_or("") == "broker:1");
}

BOOST_AUTO_TEST_CASE(per_key_policy_for_group_instance_id_throws) {
  BOOST_CHECK_THROW(per_key_policy{}.set("group.instance.id", broker_scope_wins{}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(user_policy_is_used_and_named) {
  const config_composer composer(client_options{.client_id = "broker-client"}, prefer_defaults{});
  const auto cfg = composer.compose_consumer(subscriber("s", {.client_id = "own"}));
  const auto* e = cfg.find("client.id");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->value == "asiokafka");
  BOOST_TEST((e->scope == config_scope::library_default));
  BOOST_TEST(e->note == "library_default scope beats subscriber, broker (prefer_defaults)");
  BOOST_TEST(contains(cfg.explain(), "prefer_defaults"));
}

BOOST_AUTO_TEST_CASE(user_policy_returning_invalid_index_throws_logic_error) {
  const config_composer composer(client_options{.client_id = "b"}, broken_policy{});
  BOOST_CHECK_THROW(composer.compose_consumer(subscriber("s")), std::logic_error);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(test_config_static_id)

// FastStream regression: a group.instance.id in the broker's raw dict never reached
// librdkafka.
BOOST_AUTO_TEST_CASE(raw_broker_group_instance_id_reaches_consumer_config) {
  client_options broker = broker_with_group();
  broker.raw["group.instance.id"] = "pod-7";
  const auto cfgs = config_composer{broker}.compose_consumers({subscriber("orders"), subscriber("payments")});
  BOOST_REQUIRE(cfgs.size() == 2u);
  const auto* orders = cfgs[0].find("group.instance.id");
  const auto* payments = cfgs[1].find("group.instance.id");
  BOOST_REQUIRE(orders != nullptr);
  BOOST_REQUIRE(payments != nullptr);
  BOOST_TEST(orders->value == "pod-7-orders");
  BOOST_TEST(payments->value == "pod-7-payments");
  BOOST_TEST((orders->scope == config_scope::broker));
  BOOST_TEST(contains(orders->note, "pod-7"));
  BOOST_TEST(contains(orders->note, "derive_from_broker_base"));
}

// FastStream regression: the broker-wide dict overrode every subscriber's static id.
BOOST_AUTO_TEST_CASE(subscriber_group_instance_id_beats_broker_scope) {
  client_options broker = broker_with_group();
  broker.raw["group.instance.id"] = "pod-7";
  const auto cfgs = config_composer{broker}.compose_consumers(
      {subscriber("orders", {.group_instance_id = "orders-static"}), subscriber("payments")});
  const auto* orders = cfgs[0].find("group.instance.id");
  BOOST_REQUIRE(orders != nullptr);
  BOOST_TEST(orders->value == "orders-static");
  BOOST_TEST((orders->scope == config_scope::subscriber));
  BOOST_TEST(cfgs[1].get("group.instance.id").value_or("") == "pod-7-payments");
}

BOOST_AUTO_TEST_CASE(broker_scope_wins_policy_does_not_apply_to_group_instance_id) {
  client_options broker = broker_with_group();
  broker.group_instance_id = "pod-7";
  const config_composer composer(broker, broker_scope_wins{});
  const auto cfgs = composer.compose_consumers(
      {subscriber("orders", with_raw({{"group.instance.id", "orders-static"}})), subscriber("payments")});
  BOOST_TEST(cfgs[0].get("group.instance.id").value_or("") == "orders-static");
  BOOST_TEST(cfgs[1].get("group.instance.id").value_or("") == "pod-7-payments");
}

BOOST_AUTO_TEST_CASE(derivation_is_deterministic) {
  client_options broker = broker_with_group();
  broker.group_instance_id = "pod-7";
  const config_composer composer(broker);
  const auto first = composer.compose_consumer(subscriber("orders")).get("group.instance.id");
  const auto again = config_composer(broker).compose_consumer(subscriber("orders")).get("group.instance.id");
  const auto other = composer.compose_consumer(subscriber("payments")).get("group.instance.id");
  BOOST_REQUIRE(first);
  BOOST_TEST(*first == again.value_or(""));
  BOOST_TEST(*first != other.value_or(""));
  BOOST_TEST(*first == derive_static_id("pod-7", "orders"));
}

BOOST_AUTO_TEST_CASE(derivation_sanitizes_characters) {
  BOOST_TEST(derive_static_id("pod 7", "orders/v2.eu-1") == "pod_7-orders_v2.eu-1");
  client_options broker = broker_with_group();
  broker.group_instance_id = "pod:7";
  const auto cfg = config_composer{broker}.compose_consumer(subscriber("Orders (EU)"));
  BOOST_TEST(cfg.get("group.instance.id").value_or("") == "pod_7-Orders__EU_");
}

BOOST_AUTO_TEST_CASE(no_static_id_means_dynamic_membership) {
  const auto cfg = config_composer{broker_with_group()}.compose_consumer(subscriber("orders"));
  BOOST_TEST(!cfg.get("group.instance.id"));
}

BOOST_AUTO_TEST_CASE(duplicate_static_ids_in_one_group_throw_naming_both_subscribers) {
  const config_composer composer(broker_with_group("g"));
  const auto e = expect_config_error([&] {
    composer.compose_consumers({subscriber("orders", {.group_instance_id = "same"}), subscriber("payments"),
                                subscriber("refunds", {.group_instance_id = "same"})});
  });
  BOOST_TEST(e.key() == "group.instance.id");
  BOOST_TEST(e.subscriber() == "refunds");
  BOOST_TEST(contains(e.what(), "\"orders\""));
  BOOST_TEST(contains(e.what(), "\"refunds\""));
  BOOST_TEST(contains(e.what(), "\"same\""));
}

BOOST_AUTO_TEST_CASE(derived_and_explicit_ids_colliding_throw) {
  client_options broker = broker_with_group();
  broker.group_instance_id = "pod";
  const auto e = expect_config_error([&] {
    config_composer{broker}.compose_consumers({subscriber("a"), subscriber("b", {.group_instance_id = "pod-a"})});
  });
  BOOST_TEST(contains(e.what(), "\"a\""));
  BOOST_TEST(contains(e.what(), "\"b\""));
}

BOOST_AUTO_TEST_CASE(sanitized_names_colliding_throw) {
  client_options broker = broker_with_group();
  broker.group_instance_id = "pod";
  const auto e = expect_config_error([&] {
    config_composer{broker}.compose_consumers({subscriber("a b"), subscriber("a_b")});
  });
  BOOST_TEST(contains(e.what(), "pod-a_b"));
}

BOOST_AUTO_TEST_CASE(same_static_id_in_different_groups_accepted) {
  const config_composer composer(broker_with_group());
  const auto cfgs = composer.compose_consumers({subscriber("a", {.group_id = "g1", .group_instance_id = "x"}),
                                                subscriber("b", {.group_id = "g2", .group_instance_id = "x"})});
  BOOST_TEST(cfgs.size() == 2u);
}

BOOST_AUTO_TEST_CASE(duplicate_subscriber_names_throw) {
  const auto e = expect_config_error([&] {
    config_composer{broker_with_group()}.compose_consumers({subscriber("a"), subscriber("a")});
  });
  BOOST_TEST(e.subscriber() == "a");
  BOOST_TEST(contains(e.what(), "unique"));
}

BOOST_AUTO_TEST_CASE(empty_subscriber_name_throws) {
  const auto e = expect_config_error([&] { config_composer{}.compose_consumer(subscriber("")); });
  BOOST_TEST((e.scope() == config_scope::subscriber));
}

BOOST_AUTO_TEST_CASE(subscriber_id_with_invalid_characters_throws) {
  const auto e = expect_config_error([&] {
    config_composer{broker_with_group()}.compose_consumer(subscriber("orders", {.group_instance_id = "orders #1"}));
  });
  BOOST_TEST(e.key() == "group.instance.id");
  BOOST_TEST((e.scope() == config_scope::subscriber));
}

BOOST_AUTO_TEST_CASE(too_long_derived_id_throws) {
  client_options broker = broker_with_group();
  broker.group_instance_id = std::string(240, 'p');
  const auto e = expect_config_error([&] { config_composer{broker}.compose_consumer(subscriber("subscriber-name")); });
  BOOST_TEST((e.scope() == config_scope::broker));
  BOOST_TEST(contains(e.what(), "249"));
}

BOOST_AUTO_TEST_CASE(empty_static_id_throws) {
  const auto e = expect_config_error([&] {
    config_composer{broker_with_group()}.compose_consumer(subscriber("orders", with_raw({{"group.instance.id", ""}})));
  });
  BOOST_TEST(e.key() == "group.instance.id");
  BOOST_TEST((e.scope() == config_scope::subscriber));
}

BOOST_AUTO_TEST_CASE(static_id_without_group_id_throws) {
  const auto e = expect_config_error(
      [&] { config_composer{}.compose_consumer(subscriber("orders", {.group_instance_id = "x"})); });
  BOOST_TEST(e.key() == "group.instance.id");
  BOOST_TEST(contains(e.what(), "group.id"));
}

BOOST_AUTO_TEST_CASE(environment_base_derives_per_subscriber) {
  const scoped_env env("ASIOKAFKA_TEST_POD_NAME", "orders-7f9c-2");
  const config_composer composer(broker_with_group(), more_specific_wins{},
                                 from_environment{"ASIOKAFKA_TEST_POD_NAME"});
  const auto cfgs = composer.compose_consumers({subscriber("orders"), subscriber("payments")});
  BOOST_TEST(cfgs[0].get("group.instance.id").value_or("") == "orders-7f9c-2-orders");
  BOOST_TEST(cfgs[1].get("group.instance.id").value_or("") == "orders-7f9c-2-payments");
  BOOST_TEST(contains(cfgs[0].find("group.instance.id")->note, "ASIOKAFKA_TEST_POD_NAME"));
}

BOOST_AUTO_TEST_CASE(environment_value_used_as_is_when_asked) {
  const scoped_env env("ASIOKAFKA_TEST_POD_NAME", "orders-7f9c-2");
  const config_composer composer(broker_with_group(), more_specific_wins{},
                                 from_environment{"ASIOKAFKA_TEST_POD_NAME", true});
  const auto cfg = composer.compose_consumer(subscriber("orders"));
  BOOST_TEST(cfg.get("group.instance.id").value_or("") == "orders-7f9c-2");
  // As-is ids of two subscribers of one group collide.
  BOOST_CHECK_THROW(composer.compose_consumers({subscriber("a"), subscriber("b")}), config_error);
}

BOOST_AUTO_TEST_CASE(environment_variable_unset_throws_naming_variable) {
  const scoped_env env("ASIOKAFKA_TEST_POD_NAME", nullptr);
  const config_composer composer(broker_with_group(), more_specific_wins{},
                                 from_environment{"ASIOKAFKA_TEST_POD_NAME"});
  const auto e = expect_config_error([&] { composer.compose_consumer(subscriber("orders")); });
  BOOST_TEST(e.key() == "group.instance.id");
  BOOST_TEST((e.scope() == config_scope::broker));
  BOOST_TEST(e.subscriber() == "orders");
  BOOST_TEST(contains(e.what(), "ASIOKAFKA_TEST_POD_NAME"));
  BOOST_TEST(contains(e.what(), "unset"));
}

BOOST_AUTO_TEST_CASE(environment_variable_empty_throws) {
  const scoped_env env("ASIOKAFKA_TEST_POD_NAME", "");
  const config_composer composer(broker_with_group(), more_specific_wins{},
                                 from_environment{"ASIOKAFKA_TEST_POD_NAME"});
  const auto e = expect_config_error([&] { composer.compose_consumer(subscriber("orders")); });
  BOOST_TEST(contains(e.what(), "ASIOKAFKA_TEST_POD_NAME"));
  BOOST_TEST(contains(e.what(), "empty"));
}

BOOST_AUTO_TEST_CASE(environment_policy_uses_subscriber_value_as_given) {
  const scoped_env env("ASIOKAFKA_TEST_POD_NAME", nullptr);
  const config_composer composer(broker_with_group(), more_specific_wins{},
                                 from_environment{"ASIOKAFKA_TEST_POD_NAME"});
  const auto cfg = composer.compose_consumer(subscriber("orders", {.group_instance_id = "own"}));
  BOOST_TEST(cfg.get("group.instance.id").value_or("") == "own");
}

BOOST_AUTO_TEST_CASE(environment_policy_rejects_broker_scope_id) {
  const scoped_env env("ASIOKAFKA_TEST_POD_NAME", "pod");
  client_options broker = broker_with_group();
  broker.group_instance_id = "base";
  const config_composer composer(broker, more_specific_wins{}, from_environment{"ASIOKAFKA_TEST_POD_NAME"});
  const auto e = expect_config_error([&] { composer.compose_consumer(subscriber("orders")); });
  BOOST_TEST((e.scope() == config_scope::broker));
}

BOOST_AUTO_TEST_CASE(environment_policy_with_empty_variable_name_throws) {
  BOOST_CHECK_THROW(static_id_policy{from_environment{""}}, std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(dynamic_membership_rejects_static_id_at_any_scope) {
  client_options broker = broker_with_group();
  broker.group_instance_id = "base";
  const auto at_broker = expect_config_error(
      [&] { config_composer(broker, more_specific_wins{}, dynamic_membership{}).compose_consumer(subscriber("s")); });
  BOOST_TEST((at_broker.scope() == config_scope::broker));
  const auto at_subscriber = expect_config_error([&] {
    config_composer(broker_with_group(), more_specific_wins{}, dynamic_membership{})
        .compose_consumer(subscriber("s", {.group_instance_id = "x"}));
  });
  BOOST_TEST((at_subscriber.scope() == config_scope::subscriber));
  const auto none = config_composer(broker_with_group(), more_specific_wins{}, dynamic_membership{})
                        .compose_consumer(subscriber("s"));
  BOOST_TEST(!none.get("group.instance.id"));
}

// A consumer assigned its partitions (no group membership) gets no static id under any
// policy: a broker-scope base is dropped with a note, an id at its own scope is an error, and
// from_environment does not read its variable for it.
BOOST_AUTO_TEST_CASE(consumer_without_membership_gets_no_static_id) {
  client_options broker = broker_with_group();
  broker.group_instance_id = "pod-7";
  auto assigned = subscriber("assigned");
  assigned.group_membership = false;
  const auto cfgs = config_composer{broker}.compose_consumers({subscriber("member"), assigned});
  BOOST_TEST(cfgs[0].get("group.instance.id").value_or("") == "pod-7-member");
  BOOST_TEST(!cfgs[1].get("group.instance.id"));
  BOOST_REQUIRE(cfgs[1].dropped().size() == 1u);
  BOOST_TEST(cfgs[1].dropped()[0].key == "group.instance.id");
  BOOST_TEST(contains(cfgs[1].dropped()[0].note, "static membership does not apply"));

  auto own_id = subscriber("assigned", {.group_instance_id = "x"});
  own_id.group_membership = false;
  const auto e = expect_config_error([&] { config_composer{broker_with_group()}.compose_consumer(own_id); });
  BOOST_TEST((e.scope() == config_scope::subscriber));
  BOOST_TEST(e.key() == "group.instance.id");
  BOOST_TEST(contains(e.what(), "explicit partitions without group membership"));

  // The variable is unset: a member would fail, the assigned consumer does not need it.
  const config_composer in_pod{broker_with_group(), more_specific_wins{}, from_environment{"ASIOKAFKA_TEST_UNSET_POD"}};
  expect_config_error([&] { in_pod.compose_consumer(subscriber("member")); });
  BOOST_TEST(!in_pod.compose_consumer(assigned).get("group.instance.id"));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(test_config_owned)

const owned_key offset_store{"enable.auto.offset.store", "false", "at-least-once acks store offsets after the handler"};

BOOST_AUTO_TEST_CASE(owned_key_is_set_with_library_owned_scope) {
  const auto cfg = config_composer{broker_with_group()}.compose_consumer(subscriber("s", {}, {offset_store}));
  const auto* e = cfg.find("enable.auto.offset.store");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->value == "false");
  BOOST_TEST((e->scope == config_scope::library_owned));
  BOOST_TEST(contains(e->note, offset_store.reason));
}

BOOST_AUTO_TEST_CASE(owned_key_conflict_at_subscriber_scope_names_key_scope_and_reason) {
  const auto e = expect_config_error([&] {
    config_composer{broker_with_group()}.compose_consumer(
        subscriber("orders", with_raw({{"enable.auto.offset.store", "true"}}), {offset_store}));
  });
  BOOST_TEST(e.key() == "enable.auto.offset.store");
  BOOST_TEST((e.scope() == config_scope::subscriber));
  BOOST_TEST(e.subscriber() == "orders");
  BOOST_TEST(contains(e.what(), offset_store.reason));
}

BOOST_AUTO_TEST_CASE(owned_key_conflict_at_broker_scope_throws_even_when_broker_would_lose) {
  client_options broker = broker_with_group();
  broker.raw["enable.auto.offset.store"] = "true";
  const auto e =
      expect_config_error([&] { config_composer{broker}.compose_consumer(subscriber("orders", {}, {offset_store})); });
  BOOST_TEST(e.key() == "enable.auto.offset.store");
  BOOST_TEST((e.scope() == config_scope::broker));
  BOOST_TEST(contains(e.what(), offset_store.reason));
}

BOOST_AUTO_TEST_CASE(owned_key_equal_user_value_accepted) {
  client_options broker = broker_with_group();
  broker.raw["enable.auto.offset.store"] = "false";
  const auto cfg = config_composer{broker}.compose_consumer(subscriber("s", {}, {offset_store}));
  BOOST_TEST((cfg.find("enable.auto.offset.store")->scope == config_scope::library_owned));
}

BOOST_AUTO_TEST_CASE(owned_key_matches_user_alias) {
  const auto e = expect_config_error([&] {
    config_composer{}.compose_producer(with_raw({{"request.required.acks", "1"}}),
                                       {{"acks", "all", "idempotent publishing"}});
  });
  BOOST_TEST(e.key() == "acks");
  BOOST_TEST((e.scope() == config_scope::producer));
}

BOOST_AUTO_TEST_CASE(owned_keys_with_different_values_throw) {
  const auto e = expect_config_error([&] {
    config_composer{broker_with_group()}.compose_consumer(
        subscriber("s", {}, {offset_store, {"enable.auto.offset.store", "true", "another feature"}}));
  });
  BOOST_TEST((e.scope() == config_scope::library_owned));
  BOOST_TEST(contains(e.what(), "another feature"));
}

BOOST_AUTO_TEST_CASE(owned_group_instance_id_throws) {
  const auto e = expect_config_error([&] {
    config_composer{broker_with_group()}.compose_consumer(subscriber("s", {}, {{"group.instance.id", "x", "why"}}));
  });
  BOOST_TEST(e.key() == "group.instance.id");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(test_config_validation)

BOOST_AUTO_TEST_CASE(unknown_key_throws_naming_key_scope_and_librdkafka_message) {
  const auto e = expect_config_error([&] {
    config_composer{}.compose_consumer(subscriber("orders", with_raw({{"fetch.mni.bytes", "1"}})));
  });
  BOOST_TEST(e.key() == "fetch.mni.bytes");
  BOOST_TEST((e.scope() == config_scope::subscriber));
  BOOST_TEST(e.subscriber() == "orders");
  BOOST_TEST(contains(e.what(), "No such configuration property"));
}

BOOST_AUTO_TEST_CASE(bad_value_throws_naming_key_scope_and_librdkafka_message) {
  const auto e = expect_config_error([&] {
    config_composer{with_raw({{"session.timeout.ms", "soon"}})}.compose_consumer(subscriber("orders"));
  });
  BOOST_TEST(e.key() == "session.timeout.ms");
  BOOST_TEST((e.scope() == config_scope::broker));
  BOOST_TEST(contains(e.what(), "Invalid value for configuration property"));
  BOOST_TEST(contains(e.what(), "soon"));
}

BOOST_AUTO_TEST_CASE(out_of_range_typed_value_throws) {
  const auto e =
      expect_config_error([&] { config_composer{}.compose_consumer(subscriber("orders", {.session_timeout = 0ms})); });
  BOOST_TEST(e.key() == "session.timeout.ms");
  BOOST_TEST(contains(e.what(), "outside allowed range"));
}

BOOST_AUTO_TEST_CASE(bad_value_in_producer_throws) {
  const auto e = expect_config_error([&] { config_composer{}.compose_producer(with_raw({{"acks", "most"}})); });
  BOOST_TEST(e.key() == "acks");
  BOOST_TEST(e.subscriber() == "");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(test_config_secrets)

BOOST_AUTO_TEST_CASE(secret_keys_recognized) {
  for (const char* key :
       {"sasl.password", "ssl.key.password", "ssl.keystore.password", "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.config", "ssl.key.pem", "ssl_key", "vault.secret", "db.Password", "SASL.PASSWORD"})
    BOOST_TEST(is_secret_key(key), key);
  for (const char* key :
       {"sasl.username", "bootstrap.servers", "ssl.certificate.pem", "group.instance.id", "client.id"})
    BOOST_TEST(!is_secret_key(key), key);
}

BOOST_AUTO_TEST_CASE(redact_hides_only_secret_values) {
  BOOST_TEST(redact("sasl.password", "hunter2") == "[redacted]");
  BOOST_TEST(redact("sasl.username", "alice") == "alice");
}

BOOST_AUTO_TEST_CASE(secret_value_never_in_explain) {
  client_options broker = broker_with_group();
  broker.raw["sasl.password"] = "hunter2-broker";
  broker.raw["ssl.key.password"] = "hunter2-key";
  const auto cfg =
      config_composer{broker}.compose_consumer(subscriber("s", with_raw({{"sasl.password", "hunter2-subscriber"}})));
  BOOST_TEST(cfg.get("sasl.password").value_or("") == "hunter2-subscriber");  // librdkafka needs it
  const std::string text = cfg.explain();
  BOOST_TEST(!contains(text, "hunter2"));
  BOOST_TEST(contains(text, "sasl.password"));
  BOOST_TEST(contains(text, "[redacted]"));
}

BOOST_AUTO_TEST_CASE(secret_value_never_in_owned_key_error) {
  const auto e = expect_config_error([&] {
    config_composer{with_raw({{"sasl.password", "hunter2-user"}})}.compose_consumer(
        subscriber("s", {}, {{"sasl.password", "hunter2-owned", "test"}}));
  });
  BOOST_TEST(e.key() == "sasl.password");
  BOOST_TEST(!contains(e.what(), "hunter2"));
  BOOST_TEST(contains(e.what(), "[redacted]"));
}

BOOST_AUTO_TEST_CASE(secret_value_never_in_rejection_error) {
  // Unknown secret-looking key: librdkafka rejects it; the value must not appear.
  const auto unknown = expect_config_error([&] {
    config_composer{}.compose_consumer(subscriber("s", with_raw({{"vault.secret", "hunter2"}})));
  });
  BOOST_TEST(unknown.key() == "vault.secret");
  BOOST_TEST(!contains(unknown.what(), "hunter2"));
  // A value librdkafka rejects for a secret key (this build lacks OIDC support, other builds
  // may accept it): whichever happens, the secret does not leak.
  try {
    const auto cfg =
        config_composer{}.compose_consumer(subscriber("s", with_raw({{"sasl.oauthbearer.client.secret", "hunter2"}})));
    BOOST_TEST(!contains(cfg.explain(), "hunter2"));
  } catch (const config_error& e) {
    BOOST_TEST(e.key() == "sasl.oauthbearer.client.secret");
    BOOST_TEST(!contains(e.what(), "hunter2"));
  }
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(test_config_producer)

BOOST_AUTO_TEST_CASE(producer_drops_consumer_keys_from_broker_scope) {
  client_options broker = broker_with_group();
  broker.group_instance_id = "pod-7";
  broker.auto_offset_reset = offset_reset::earliest;
  broker.session_timeout = 30s;
  broker.max_poll_interval = 60s;
  broker.partition_assignment_strategy = "range";
  broker.enable_auto_commit = false;
  broker.raw["fetch.min.bytes"] = "1024";
  const auto cfg = config_composer{broker}.compose_producer();
  for (const char* key :
       {"group.id", "group.instance.id", "auto.offset.reset", "session.timeout.ms", "max.poll.interval.ms",
        "partition.assignment.strategy", "enable.auto.commit", "fetch.min.bytes", "enable.partition.eof"})
    BOOST_TEST(!cfg.get(key), key);
  BOOST_TEST(cfg.dropped().size() == 8u);
  BOOST_TEST(cfg.get("bootstrap.servers").value_or("") == "127.0.0.1:9092");
  BOOST_TEST(cfg.get("client.id").value_or("") == "asiokafka");
  BOOST_TEST(cfg.name() == "");
}

BOOST_AUTO_TEST_CASE(producer_scope_consumer_key_throws) {
  const auto e = expect_config_error([&] { config_composer{}.compose_producer(client_options{.group_id = "g"}); });
  BOOST_TEST(e.key() == "group.id");
  BOOST_TEST((e.scope() == config_scope::producer));
  BOOST_TEST(contains(e.what(), "consumer-only"));
}

BOOST_AUTO_TEST_CASE(producer_scope_beats_broker_scope) {
  const config_composer composer(with_raw({{"linger.ms", "5"}}));
  const auto cfg = composer.compose_producer(with_raw({{"linger.ms", "20"}}));
  BOOST_TEST(cfg.get("linger.ms").value_or("") == "20");
}

BOOST_AUTO_TEST_CASE(consumer_drops_producer_keys_from_broker_scope) {
  const config_composer composer(with_raw({{"linger.ms", "5"}, {"acks", "all"}}));
  const auto cfg = composer.compose_consumer(subscriber("s"));
  BOOST_TEST(!cfg.get("linger.ms"));
  BOOST_TEST(!cfg.get("acks"));
  BOOST_TEST(cfg.dropped().size() == 2u);
  BOOST_TEST(composer.compose_producer().get("linger.ms").value_or("") == "5");
}

// partitioner: a typed producer option. At broker scope the producers take it and the
// consumers leave it out; the producer's scope wins; a raw value that differs in one scope is
// a conflict; librdkafka accepts every value (a producer is created from each composition).
BOOST_AUTO_TEST_CASE(partitioner_is_a_typed_producer_option) {
  client_options broker = broker_with_group();
  broker.partitioner = partitioner::murmur2_random;
  const config_composer composer(broker);
  BOOST_TEST(composer.compose_producer().get("partitioner").value_or("") == "murmur2_random");
  BOOST_TEST(composer.compose_producer({.partitioner = partitioner::fnv1a}).get("partitioner").value_or("") == "fnv1a");
  const auto consumer = composer.compose_consumer(subscriber("s"));
  BOOST_TEST(!consumer.get("partitioner"));
  BOOST_TEST(consumer.dropped().size() == 1u);

  client_options clash = with_raw({{"partitioner", "consistent"}});
  clash.partitioner = partitioner::murmur2;
  const auto e = expect_config_error([&] { config_composer{clash}; });
  BOOST_TEST(e.key() == "partitioner");

  boost::asio::io_context io;
  for (const auto choice : {partitioner::consistent_random, partitioner::murmur2_random, partitioner::consistent,
                            partitioner::murmur2, partitioner::fnv1a, partitioner::fnv1a_random, partitioner::random}) {
    const auto cfg = config_composer{}.compose_producer({.partitioner = choice});
    BOOST_TEST(cfg.get("partitioner").value_or("") == to_string(choice));
    BOOST_CHECK_NO_THROW(producer(io.get_executor(), cfg));
  }
}

BOOST_AUTO_TEST_CASE(subscriber_scope_producer_key_throws) {
  const auto e = expect_config_error([&] {
    config_composer{}.compose_consumer(subscriber("orders", with_raw({{"linger.ms", "5"}})));
  });
  BOOST_TEST(e.key() == "linger.ms");
  BOOST_TEST(e.subscriber() == "orders");
  BOOST_TEST(contains(e.what(), "producer-only"));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------
BOOST_AUTO_TEST_SUITE(test_config_provenance)

BOOST_AUTO_TEST_CASE(entries_are_sorted_by_key) {
  client_options broker = broker_with_group();
  broker.raw["statistics.interval.ms"] = "1000";
  const auto cfg =
      config_composer{broker}.compose_consumer(subscriber("s", with_raw({{"auto.offset.reset", "earliest"}})));
  const auto& entries = cfg.entries();
  BOOST_REQUIRE(entries.size() >= 2u);
  for (std::size_t i = 1; i < entries.size(); ++i) BOOST_TEST((entries[i - 1].key < entries[i].key));
}

BOOST_AUTO_TEST_CASE(explain_lists_every_key_with_scope_and_reason) {
  client_options broker = broker_with_group();
  broker.group_instance_id = "pod-7";
  broker.raw["linger.ms"] = "5";
  const auto cfg =
      config_composer{broker}.compose_consumer(subscriber("orders", {.auto_offset_reset = offset_reset::earliest},
                                                          {{"enable.auto.offset.store", "false", "at-least-once"}}));
  const std::string text = cfg.explain();
  BOOST_TEST_MESSAGE(text);
  BOOST_TEST(contains(text, "subscriber \"orders\""));
  for (const auto& e : cfg.entries()) {
    BOOST_TEST(contains(text, e.key));
    BOOST_TEST(contains(text, e.note));
  }
  BOOST_TEST(contains(text, "library_owned"));
  BOOST_TEST(contains(text, "library_default"));
  BOOST_TEST(contains(text, "pod-7-orders"));
  BOOST_TEST(contains(text, "dropped"));
  BOOST_TEST(contains(text, "linger.ms"));
  // Stable: the same inputs explain the same way.
  BOOST_TEST(text == config_composer{broker}
                         .compose_consumer(subscriber("orders", {.auto_offset_reset = offset_reset::earliest},
                                                      {{"enable.auto.offset.store", "false", "at-least-once"}}))
                         .explain());
  // Key order.
  BOOST_TEST(text.find("auto.offset.reset") < text.find("bootstrap.servers"));
  BOOST_TEST(text.find("bootstrap.servers") < text.find("group.instance.id"));
}

BOOST_AUTO_TEST_CASE(config_error_sentence_names_key_scope_and_subscriber) {
  const config_error e("group.instance.id", config_scope::subscriber, "orders", "bad");
  BOOST_TEST(std::string(e.what()) ==
             "config error: key \"group.instance.id\" at subscriber scope (subscriber \"orders\"): bad");
  BOOST_TEST((e.code() == error::invalid_config));
  const config_error keyless("", config_scope::broker, "", "oops");
  BOOST_TEST(std::string(keyless.what()) == "config error: at broker scope: oops");
}

BOOST_AUTO_TEST_CASE(scope_names_are_stable) {
  BOOST_TEST(to_string(config_scope::library_default) == "library_default");
  BOOST_TEST(to_string(config_scope::broker) == "broker");
  BOOST_TEST(to_string(config_scope::subscriber) == "subscriber");
  BOOST_TEST(to_string(config_scope::library_owned) == "library_owned");
  BOOST_TEST(to_string(offset_reset::latest) == "latest");
}

BOOST_AUTO_TEST_CASE(find_returns_null_for_unset_key) {
  const auto cfg = config_composer{}.compose_consumer(subscriber("s"));
  BOOST_TEST(cfg.find("group.id") == nullptr);
  BOOST_TEST(!cfg.get("group.id"));
  BOOST_TEST(cfg.name() == "s");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------
// transactional.id: the id of an exactly-once subscriber's transactional producer follows the
// static-id rule, like group.instance.id.
BOOST_AUTO_TEST_SUITE(test_config_transactional_id)

client_options broker_with_transactional_base(std::string base = "tx-base") {
  client_options o = broker_with_group();
  o.transactional_id = std::move(base);
  return o;
}

BOOST_AUTO_TEST_CASE(broker_base_derives_distinct_id_per_subscriber) {
  const auto cfgs = config_composer{broker_with_transactional_base()}.compose_transactional_producers(
      {subscriber("orders"), subscriber("payments")});
  BOOST_REQUIRE(cfgs.size() == 2u);
  const auto* orders = cfgs[0].find("transactional.id");
  const auto* payments = cfgs[1].find("transactional.id");
  BOOST_REQUIRE(orders != nullptr);
  BOOST_REQUIRE(payments != nullptr);
  BOOST_TEST(orders->value == "tx-base-orders");
  BOOST_TEST(payments->value == "tx-base-payments");
  BOOST_TEST((orders->scope == config_scope::broker));
  BOOST_TEST(orders->note ==
             "derived from broker-scope base \"tx-base\" and subscriber name \"orders\" as "
             "<base>-<subscriber> (derive_from_broker_base)");
  BOOST_TEST(cfgs[0].name() == "orders");
  BOOST_TEST(cfgs[1].name() == "payments");
}

BOOST_AUTO_TEST_CASE(derived_transactional_id_is_stable_and_sanitized) {
  const auto first = config_composer{broker_with_transactional_base("tx base")}
                         .compose_transactional_producer(subscriber("orders/v2"))
                         .get("transactional.id");
  const auto again = config_composer{broker_with_transactional_base("tx base")}
                         .compose_transactional_producer(subscriber("orders/v2"))
                         .get("transactional.id");
  BOOST_TEST(first.value_or("") == "tx_base-orders_v2");
  BOOST_TEST(again.value_or("") == first.value_or("-"));
}

BOOST_AUTO_TEST_CASE(subscriber_transactional_id_used_as_given) {
  const config_composer composer(broker_with_transactional_base());
  const auto typed = composer.compose_transactional_producer(subscriber("orders", {.transactional_id = "orders-tx.1"}));
  const auto* id = typed.find("transactional.id");
  BOOST_REQUIRE(id != nullptr);
  BOOST_TEST(id->value == "orders-tx.1");
  BOOST_TEST((id->scope == config_scope::subscriber));
  BOOST_TEST(id->note == "set at subscriber scope, used as given (derive_from_broker_base)");
  const auto raw =
      composer.compose_transactional_producer(subscriber("orders", with_raw({{"transactional.id", "orders-raw"}})));
  BOOST_TEST(raw.get("transactional.id").value_or("") == "orders-raw");
}

BOOST_AUTO_TEST_CASE(broker_scope_wins_policy_does_not_apply_to_transactional_id) {
  const config_composer composer(broker_with_transactional_base(), broker_scope_wins{});
  const auto cfg = composer.compose_transactional_producer(subscriber("orders", {.transactional_id = "own"}));
  BOOST_TEST(cfg.get("transactional.id").value_or("") == "own");
  BOOST_CHECK_THROW(per_key_policy{}.set("transactional.id", broker_scope_wins{}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(environment_base_derives_transactional_id) {
  const scoped_env env("ASIOKAFKA_TEST_POD_NAME", "billing-0");
  const config_composer composer(broker_with_group(), more_specific_wins{},
                                 from_environment{"ASIOKAFKA_TEST_POD_NAME"});
  const auto cfgs = composer.compose_transactional_producers({subscriber("orders"), subscriber("payments")});
  const auto* orders = cfgs[0].find("transactional.id");
  BOOST_REQUIRE(orders != nullptr);
  BOOST_TEST(orders->value == "billing-0-orders");
  BOOST_TEST(cfgs[1].get("transactional.id").value_or("") == "billing-0-payments");
  BOOST_TEST((orders->scope == config_scope::broker));
  BOOST_TEST(contains(orders->note, "environment variable ASIOKAFKA_TEST_POD_NAME=\"billing-0\""));
  BOOST_TEST(contains(orders->note, "(from_environment)"));
}

BOOST_AUTO_TEST_CASE(environment_value_used_as_is_when_asked) {
  const scoped_env env("ASIOKAFKA_TEST_POD_NAME", "billing-0");
  const config_composer composer(broker_with_group(), more_specific_wins{},
                                 from_environment{"ASIOKAFKA_TEST_POD_NAME", true});
  const auto cfg = composer.compose_transactional_producer(subscriber("orders"));
  BOOST_TEST(cfg.get("transactional.id").value_or("") == "billing-0");
}

BOOST_AUTO_TEST_CASE(environment_variable_unset_throws_naming_variable) {
  const scoped_env env("ASIOKAFKA_TEST_POD_NAME", nullptr);
  const config_composer composer(broker_with_group(), more_specific_wins{},
                                 from_environment{"ASIOKAFKA_TEST_POD_NAME"});
  const auto e = expect_config_error([&] { composer.compose_transactional_producer(subscriber("orders")); });
  BOOST_TEST(e.key() == "transactional.id");
  BOOST_TEST(e.subscriber() == "orders");
  BOOST_TEST(contains(e.what(), "ASIOKAFKA_TEST_POD_NAME"));
  BOOST_TEST(contains(e.what(), "unset"));
  // A subscriber-scope id needs no variable.
  BOOST_TEST(composer.compose_transactional_producer(subscriber("orders", {.transactional_id = "own"}))
                 .get("transactional.id")
                 .value_or("") == "own");
}

BOOST_AUTO_TEST_CASE(environment_policy_rejects_broker_scope_transactional_id) {
  const scoped_env env("ASIOKAFKA_TEST_POD_NAME", "billing-0");
  const config_composer composer(broker_with_transactional_base(), more_specific_wins{},
                                 from_environment{"ASIOKAFKA_TEST_POD_NAME"});
  const auto e = expect_config_error([&] { composer.compose_transactional_producer(subscriber("orders")); });
  BOOST_TEST(e.key() == "transactional.id");
  BOOST_TEST((e.scope() == config_scope::broker));
  BOOST_TEST(contains(e.what(), "ASIOKAFKA_TEST_POD_NAME"));
}

BOOST_AUTO_TEST_CASE(dynamic_membership_derives_transactional_ids_from_broker_base) {
  const config_composer composer(broker_with_transactional_base(), more_specific_wins{}, dynamic_membership{});
  const auto cfg = composer.compose_transactional_producer(subscriber("orders"));
  const auto* id = cfg.find("transactional.id");
  BOOST_REQUIRE(id != nullptr);
  BOOST_TEST(id->value == "tx-base-orders");
  BOOST_TEST(contains(id->note, "dynamic_membership: transactional ids as derive_from_broker_base"));
}

BOOST_AUTO_TEST_CASE(duplicate_transactional_ids_throw_naming_both_subscribers) {
  const auto e = expect_config_error([&] {
    config_composer{broker_with_group()}.compose_transactional_producers(
        {subscriber("orders", {.transactional_id = "same"}), subscriber("payments", {.transactional_id = "other"}),
         subscriber("refunds", {.transactional_id = "same"})});
  });
  BOOST_TEST(e.key() == "transactional.id");
  BOOST_TEST(e.subscriber() == "refunds");
  BOOST_TEST(contains(e.what(), "\"orders\""));
  BOOST_TEST(contains(e.what(), "\"refunds\""));
  BOOST_TEST(contains(e.what(), "\"same\""));
}

BOOST_AUTO_TEST_CASE(derived_and_given_transactional_ids_colliding_throw) {
  const auto e = expect_config_error([&] {
    config_composer{broker_with_transactional_base("tx")}.compose_transactional_producers(
        {subscriber("a"), subscriber("b", {.transactional_id = "tx-a"})});
  });
  BOOST_TEST(contains(e.what(), "\"a\""));
  BOOST_TEST(contains(e.what(), "\"b\""));
}

BOOST_AUTO_TEST_CASE(duplicate_subscriber_names_throw) {
  const auto e = expect_config_error([&] {
    config_composer{broker_with_transactional_base()}.compose_transactional_producers(
        {subscriber("a"), subscriber("a")});
  });
  BOOST_TEST(e.subscriber() == "a");
  BOOST_TEST(contains(e.what(), "unique"));
}

BOOST_AUTO_TEST_CASE(missing_transactional_id_throws_naming_key) {
  const auto e = expect_config_error(
      [&] { config_composer{broker_with_group()}.compose_transactional_producer(subscriber("orders")); });
  BOOST_TEST(e.key() == "transactional.id");
  BOOST_TEST((e.scope() == config_scope::subscriber));
  BOOST_TEST(e.subscriber() == "orders");
  BOOST_TEST(contains(e.what(),
                      "an exactly-once subscriber needs a transactional id: set transactional_id at "
                      "broker scope (a base) or subscriber scope"));
}

BOOST_AUTO_TEST_CASE(empty_transactional_id_throws) {
  const auto at_broker = expect_config_error([&] {
    config_composer{broker_with_transactional_base("")}.compose_transactional_producer(subscriber("orders"));
  });
  BOOST_TEST(at_broker.key() == "transactional.id");
  BOOST_TEST((at_broker.scope() == config_scope::broker));
  const auto at_subscriber = expect_config_error([&] {
    config_composer{broker_with_transactional_base()}.compose_transactional_producer(
        subscriber("orders", with_raw({{"transactional.id", ""}})));
  });
  BOOST_TEST((at_subscriber.scope() == config_scope::subscriber));
  BOOST_TEST(contains(at_subscriber.what(), "empty"));
}

BOOST_AUTO_TEST_CASE(transactional_id_with_invalid_characters_throws) {
  const auto e = expect_config_error([&] {
    config_composer{broker_with_group()}.compose_transactional_producer(
        subscriber("orders", {.transactional_id = "orders tx#1"}));
  });
  BOOST_TEST(e.key() == "transactional.id");
  BOOST_TEST((e.scope() == config_scope::subscriber));
  BOOST_TEST(contains(e.what(), "A-Z a-z 0-9 . _ -"));
}

BOOST_AUTO_TEST_CASE(too_long_transactional_id_throws) {
  const auto e = expect_config_error([&] {
    config_composer{broker_with_transactional_base(std::string(245, 't'))}.compose_transactional_producer(
        subscriber("orders"));
  });
  BOOST_TEST(e.key() == "transactional.id");
  BOOST_TEST(contains(e.what(), "249"));
}

BOOST_AUTO_TEST_CASE(idempotence_disabled_at_any_scope_throws_naming_key_and_scope) {
  client_options broker = broker_with_transactional_base();
  broker.raw["enable.idempotence"] = "false";
  const auto at_broker =
      expect_config_error([&] { config_composer{broker}.compose_transactional_producer(subscriber("orders")); });
  BOOST_TEST(at_broker.key() == "enable.idempotence");
  BOOST_TEST((at_broker.scope() == config_scope::broker));
  BOOST_TEST(contains(at_broker.what(), "requires for transactions"));

  // librdkafka's other spellings of false count too, even where a higher scope says true.
  const auto at_subscriber = expect_config_error([&] {
    config_composer{broker_with_transactional_base()}.compose_transactional_producer(
        subscriber("orders", with_raw({{"enable.idempotence", "0"}})), with_raw({{"enable.idempotence", "true"}}));
  });
  BOOST_TEST(at_subscriber.key() == "enable.idempotence");
  BOOST_TEST((at_subscriber.scope() == config_scope::subscriber));
  BOOST_TEST(at_subscriber.subscriber() == "orders");

  const auto at_producer = expect_config_error([&] {
    config_composer{broker_with_transactional_base()}.compose_transactional_producer(
        subscriber("orders"), with_raw({{"enable.idempotence", "F"}}));
  });
  BOOST_TEST((at_producer.scope() == config_scope::producer));

  const auto owned = expect_config_error([&] {
    config_composer{broker_with_transactional_base()}.compose_transactional_producer(
        subscriber("orders"), {}, {{"enable.idempotence", "false", "a feature"}});
  });
  BOOST_TEST((owned.scope() == config_scope::library_owned));
}

BOOST_AUTO_TEST_CASE(idempotence_enabled_is_accepted) {
  const auto cfg = config_composer{broker_with_transactional_base()}.compose_transactional_producer(
      subscriber("orders", with_raw({{"enable.idempotence", "true"}})));
  BOOST_TEST(cfg.get("enable.idempotence").value_or("") == "true");
  // The shared producer may do without idempotence even with a broker-scope base.
  client_options broker = broker_with_transactional_base();
  broker.raw["enable.idempotence"] = "false";
  BOOST_TEST(config_composer{broker}.compose_producer().get("enable.idempotence").value_or("") == "false");
}

BOOST_AUTO_TEST_CASE(transactional_id_in_producer_scope_throws) {
  const auto e = expect_config_error([&] {
    config_composer{broker_with_transactional_base()}.compose_transactional_producer(subscriber("orders"),
                                                                                     {.transactional_id = "fixed"});
  });
  BOOST_TEST(e.key() == "transactional.id");
  BOOST_TEST((e.scope() == config_scope::producer));
  BOOST_TEST(contains(e.what(), "a base belongs at broker scope, a fixed id at subscriber scope"));
}

BOOST_AUTO_TEST_CASE(transactional_producer_layers_broker_producer_and_subscriber_scopes) {
  client_options broker = broker_with_transactional_base();
  broker.raw["linger.ms"] = "5";
  broker.raw["acks"] = "1";
  broker.client_id = "broker-client";
  client_options producer = with_raw({{"linger.ms", "10"}, {"transaction.timeout.ms", "30000"}});
  producer.client_id = "producer-client";
  client_options own{.client_id = "orders-client", .auto_offset_reset = offset_reset::earliest};
  own.group_id = "orders-group";
  const auto cfg = config_composer{broker}.compose_transactional_producer(subscriber("orders", own), producer);
  BOOST_TEST(cfg.get("linger.ms").value_or("") == "10");
  BOOST_TEST(cfg.get("acks").value_or("") == "1");
  BOOST_TEST(cfg.get("transaction.timeout.ms").value_or("") == "30000");
  const auto* client_id = cfg.find("client.id");
  BOOST_REQUIRE(client_id != nullptr);
  BOOST_TEST(client_id->value == "orders-client");
  BOOST_TEST(client_id->note == "subscriber scope beats producer, broker, library_default (more_specific_wins)");
  // Consumer-only keys of the broker and subscriber scopes are skipped, not errors.
  for (const char* key : {"group.id", "auto.offset.reset", "enable.partition.eof"}) BOOST_TEST(!cfg.get(key), key);
  std::vector<std::string> dropped;
  for (const auto& d : cfg.dropped()) dropped.push_back(d.key + "@" + std::string(to_string(d.scope)));
  const std::vector<std::string> expected{"auto.offset.reset@subscriber", "group.id@broker", "group.id@subscriber"};
  BOOST_TEST(dropped == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(transactional_producer_checks_owned_keys_at_every_scope) {
  const auto e = expect_config_error([&] {
    config_composer{broker_with_transactional_base()}.compose_transactional_producer(
        subscriber("orders", with_raw({{"acks", "1"}})), {}, {{"acks", "all", "transactions need acks=all"}});
  });
  BOOST_TEST(e.key() == "acks");
  BOOST_TEST((e.scope() == config_scope::subscriber));
  BOOST_TEST(contains(e.what(), "transactions need acks=all"));
  const auto owned_id = expect_config_error([&] {
    config_composer{broker_with_transactional_base()}.compose_transactional_producer(
        subscriber("orders"), {}, {{"transactional.id", "x", "why"}});
  });
  BOOST_TEST(owned_id.key() == "transactional.id");
  BOOST_TEST((owned_id.scope() == config_scope::library_owned));
}

BOOST_AUTO_TEST_CASE(compose_consumer_never_contains_transactional_id) {
  const config_composer composer(broker_with_transactional_base());
  const auto cfgs =
      composer.compose_consumers({subscriber("orders", {.transactional_id = "orders-tx"}),
                                  subscriber("payments", with_raw({{"transactional.id", "payments-tx"}}))});
  for (const auto& cfg : cfgs) {
    BOOST_TEST(cfg.find("transactional.id") == nullptr, cfg.name());
    BOOST_TEST(cfg.get("group.id").value_or("") == "orders-service");
  }
  // Listed as dropped: the broker-scope base as a producer-only key, the subscriber's id as
  // its transactional producer's.
  std::vector<std::string> dropped;
  for (const auto& d : cfgs[0].dropped()) dropped.push_back(d.key + "@" + std::string(to_string(d.scope)));
  const std::vector<std::string> expected{"transactional.id@broker", "transactional.id@subscriber"};
  BOOST_TEST(dropped == expected, boost::test_tools::per_element());
  BOOST_TEST(contains(cfgs[0].dropped()[1].note, "transactional producer"));
}

BOOST_AUTO_TEST_CASE(compose_producer_drops_broker_base_and_lists_it) {
  const auto cfg = config_composer{broker_with_transactional_base()}.compose_producer();
  BOOST_TEST(!cfg.get("transactional.id"));
  const auto it = std::find_if(cfg.dropped().begin(), cfg.dropped().end(),
                               [](const auto& d) { return d.key == "transactional.id"; });
  BOOST_REQUIRE(it != cfg.dropped().end());
  BOOST_TEST(it->value == "tx-base");
  BOOST_TEST((it->scope == config_scope::broker));
  BOOST_TEST(contains(it->note, "a base for exactly-once subscribers' transactional ids"));
  BOOST_TEST(contains(cfg.explain(), "the shared producer is not transactional"));
}

// A standalone transactional producer (no broker layer): its own scope's id, as given.
BOOST_AUTO_TEST_CASE(compose_producer_uses_a_producer_scope_transactional_id_as_given) {
  const auto c = config_composer{broker_with_group()}.compose_producer({.transactional_id = "pipeline-1"});
  BOOST_TEST(c.get("transactional.id").value_or("") == "pipeline-1");
  BOOST_TEST(contains(c.explain(), "used as given"));
  const auto bad =
      expect_config_error([&] { config_composer{broker_with_group()}.compose_producer({.transactional_id = "a b"}); });
  BOOST_TEST(bad.key() == "transactional.id");
  BOOST_TEST((bad.scope() == config_scope::producer));
  client_options no_idempotence{.transactional_id = "pipeline-1"};
  no_idempotence.raw["enable.idempotence"] = "false";
  const auto e = expect_config_error([&] { config_composer{broker_with_group()}.compose_producer(no_idempotence); });
  BOOST_TEST(e.key() == "enable.idempotence");
}

BOOST_AUTO_TEST_CASE(explain_shows_where_transactional_id_came_from) {
  const config_composer composer(broker_with_transactional_base());
  const std::string derived = composer.compose_transactional_producer(subscriber("orders")).explain();
  BOOST_TEST_MESSAGE(derived);
  BOOST_TEST(contains(derived, "effective configuration of the transactional producer of subscriber \"orders\""));
  BOOST_TEST(explain_line(derived, "transactional.id") ==
             "transactional.id tx-base-orders broker derived from broker-scope base \"tx-base\" and "
             "subscriber name \"orders\" as <base>-<subscriber> (derive_from_broker_base)");
  const std::string given =
      composer.compose_transactional_producer(subscriber("orders", {.transactional_id = "own-tx"})).explain();
  BOOST_TEST(explain_line(given, "transactional.id") ==
             "transactional.id own-tx subscriber set at subscriber scope, used as given "
             "(derive_from_broker_base)");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------------------------------
// consumer_scope::defaults: features' defaults, above the library defaults, below the user.
BOOST_AUTO_TEST_SUITE(test_config_feature_defaults)

const owned_key read_committed{"isolation.level", "read_committed", "exactly-once reads only committed records"};

consumer_scope with_defaults(std::string name, client_options options, std::vector<owned_key> defaults) {
  consumer_scope c;
  c.name = std::move(name);
  c.options = std::move(options);
  c.defaults = std::move(defaults);
  return c;
}

BOOST_AUTO_TEST_CASE(default_applies_when_no_scope_sets_key) {
  const auto cfg = config_composer{broker_with_group()}.compose_consumer(with_defaults("orders", {}, {read_committed}));
  const auto* e = cfg.find("isolation.level");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->value == "read_committed");
  BOOST_TEST((e->scope == config_scope::library_default));
  BOOST_TEST(e->note == "library default: exactly-once reads only committed records");
}

BOOST_AUTO_TEST_CASE(broker_scope_value_beats_default) {
  client_options broker = broker_with_group();
  broker.raw["isolation.level"] = "read_uncommitted";
  const auto cfg = config_composer{broker}.compose_consumer(with_defaults("orders", {}, {read_committed}));
  const auto* e = cfg.find("isolation.level");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->value == "read_uncommitted");
  BOOST_TEST((e->scope == config_scope::broker));
}

BOOST_AUTO_TEST_CASE(subscriber_scope_value_beats_default) {
  const auto cfg = config_composer{broker_with_group()}.compose_consumer(
      with_defaults("orders", with_raw({{"isolation.level", "read_uncommitted"}}), {read_committed}));
  const auto* e = cfg.find("isolation.level");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->value == "read_uncommitted");
  BOOST_TEST((e->scope == config_scope::subscriber));
  BOOST_TEST(e->note == "subscriber scope beats library_default (more_specific_wins)");
}

BOOST_AUTO_TEST_CASE(broker_scope_wins_policy_also_puts_user_value_above_default) {
  const config_composer composer(broker_with_group(), broker_scope_wins{});
  const auto cfg = composer.compose_consumer(
      with_defaults("orders", with_raw({{"isolation.level", "read_uncommitted"}}), {read_committed}));
  BOOST_TEST(cfg.get("isolation.level").value_or("") == "read_uncommitted");
}

BOOST_AUTO_TEST_CASE(default_replaces_library_default_of_same_key) {
  const auto cfg = config_composer{}.compose_consumer(
      with_defaults("orders", {}, {{"client.id", "orders-feature", "a feature names its client"}}));
  const auto* e = cfg.find("client.id");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->value == "orders-feature");
  BOOST_TEST((e->scope == config_scope::library_default));
}

BOOST_AUTO_TEST_CASE(explain_shows_default_with_reason) {
  const std::string text =
      config_composer{broker_with_group()}.compose_consumer(with_defaults("orders", {}, {read_committed})).explain();
  BOOST_TEST_MESSAGE(text);
  BOOST_TEST(explain_line(text, "isolation.level") ==
             "isolation.level read_committed library_default library default: exactly-once reads "
             "only committed records");
}

BOOST_AUTO_TEST_CASE(invalid_defaults_throw) {
  const auto id = expect_config_error([&] {
    config_composer{broker_with_group()}.compose_consumer(
        with_defaults("orders", {}, {{"group.instance.id", "x", "why"}}));
  });
  BOOST_TEST(id.key() == "group.instance.id");
  BOOST_TEST((id.scope() == config_scope::library_default));
  const auto producer_key = expect_config_error([&] {
    config_composer{broker_with_group()}.compose_consumer(with_defaults("orders", {}, {{"linger.ms", "5", "why"}}));
  });
  BOOST_TEST(producer_key.key() == "linger.ms");
  BOOST_TEST(contains(producer_key.what(), "producer-only"));
  const auto two_values = expect_config_error([&] {
    config_composer{broker_with_group()}.compose_consumer(
        with_defaults("orders", {}, {read_committed, {"isolation.level", "read_uncommitted", "other"}}));
  });
  BOOST_TEST(two_values.key() == "isolation.level");
  BOOST_TEST(contains(two_values.what(), "different values"));
  consumer_scope against_owned = with_defaults("orders", {}, {read_committed});
  against_owned.owned = {{"isolation.level", "read_uncommitted", "owner"}};
  const auto owned = expect_config_error([&] { config_composer{broker_with_group()}.compose_consumer(against_owned); });
  BOOST_TEST(owned.key() == "isolation.level");
  BOOST_TEST(contains(owned.what(), "owner"));
}

BOOST_AUTO_TEST_SUITE_END()
