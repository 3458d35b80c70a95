// Secrets (sasl.password and the other keys is_secret_key names) never leave asiokafka in
// readable form: not in explain(), not in config_error::what(), not in log lines or error
// reports of a consumer or producer that fails to reach its broker.
#define BOOST_TEST_MODULE test_secrets
#include <boost/test/unit_test.hpp>

#include <asiokafka/config.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/producer.hpp>

#include "detail/oauthbearer_check.hpp"
#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::client_options;
using asiokafka::config_composer;
using asiokafka::config_error;
using asiokafka::consumer_scope;
namespace test = asiokafka::test;

namespace {

// Distinct, greppable values; none is a substring of anything asiokafka or librdkafka prints.
const std::map<std::string, std::string> secrets{
    {"sasl.password", "pw-Xq7rT2vLk9"},
    {"ssl.key.password", "keypw-Hd83nBz"},
    {"sasl.oauthbearer.config", "principal=oauth-Vm5cP1w"},
    {"ssl.keystore.password", "store-Jk2sQ8e"},
};

std::vector<std::string> leaked(std::string_view text) {
  std::vector<std::string> found;
  for (const auto& [key, value] : secrets)
    if (text.find(value) != std::string_view::npos) found.push_back(key);
  return found;
}

// Lets a test name the leaked keys on failure.
void check_no_secret(std::string_view where, std::string_view text) {
  const auto keys = leaked(text);
  std::string names;
  for (const auto& k : keys) names += (names.empty() ? "" : ", ") + k;
  BOOST_TEST(keys.empty(), where << " shows the value of " << names << ":\n" << text);
}

client_options sasl_options(const std::string& brokers) {
  client_options o;
  o.bootstrap_servers = brokers;
  o.raw = {{"security.protocol", "sasl_plaintext"},
           {"sasl.mechanisms", "PLAIN"},
           {"sasl.username", "svc"},
           {"sasl.password", secrets.at("sasl.password")}};
  return o;
}

template <class F>
config_error expect_config_error(F&& f) {
  try {
    f();
  } catch (const config_error& e) {
    return e;
  }
  BOOST_FAIL("expected asiokafka::config_error");
  throw;  // unreachable
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_secrets)

BOOST_AUTO_TEST_CASE(explain_redacts_secrets_at_every_scope) {
  client_options broker;
  broker.bootstrap_servers = "127.0.0.1:1";
  broker.raw = {{"ssl.key.password", secrets.at("ssl.key.password")}, {"sasl.password", secrets.at("sasl.password")}};
  client_options sub;
  sub.group_id = "g";
  sub.raw = {{"sasl.oauthbearer.config", secrets.at("sasl.oauthbearer.config")},
             {"ssl.keystore.password", secrets.at("ssl.keystore.password")}};
  const config_composer composer(broker);
  const auto consumer = composer.compose_consumer({"orders", sub, {}});
  client_options producer_scope;
  producer_scope.raw = sub.raw;
  const auto producer = composer.compose_producer(producer_scope);
  check_no_secret("consumer explain()", consumer.explain());
  check_no_secret("producer explain()", producer.explain());
  BOOST_TEST(consumer.explain().find("[redacted]") != std::string::npos);
  // librdkafka still gets the real values.
  BOOST_TEST(consumer.get("sasl.password").value_or("") == secrets.at("sasl.password"));
  BOOST_TEST(producer.get("ssl.keystore.password").value_or("") == secrets.at("ssl.keystore.password"));
}

BOOST_AUTO_TEST_CASE(config_errors_never_show_secrets) {
  const std::string pw = secrets.at("sasl.password");
  // A user value that conflicts with a value the library owns: both are secret.
  {
    client_options sub;
    sub.group_id = "g";
    sub.raw = {{"sasl.password", pw}};
    const auto e = expect_config_error([&] {
      config_composer{}.compose_consumer(
          {"orders", sub, {{"sasl.password", secrets.at("ssl.key.password"), "test-owned secret"}}});
    });
    check_no_secret("owned-key conflict", e.what());
    BOOST_TEST(e.key() == "sasl.password");
  }
  // An unknown key that looks secret.
  {
    client_options broker;
    broker.raw = {{"custom.secret", pw}};
    client_options sub;
    sub.group_id = "g";
    const auto e = expect_config_error([&] { config_composer{broker}.compose_consumer({"orders", sub, {}}); });
    check_no_secret("unknown secret-looking key", e.what());
  }
  // A secret at producer scope that a consumer-only key check rejects in the same scope.
  {
    client_options prod;
    prod.raw = {{"sasl.password", pw}, {"group.id", "g"}};
    const auto e = expect_config_error([&] { config_composer{}.compose_producer(prod); });
    check_no_secret("producer-scope error", e.what());
  }
}

// A consumer and a producer configured for SASL with a password, pointed at a port where no
// broker listens, with every librdkafka debug context on: librdkafka logs its configuration,
// connection attempts and failures; no line and no error report may contain the password.
BOOST_AUTO_TEST_CASE(logs_and_errors_of_failing_clients_never_show_the_password) {
  asio::io_context io;
  std::vector<std::string> lines;
  auto sink = [&](asiokafka::log_level, std::string_view facility, std::string_view line) {
    lines.push_back(std::string(facility) + " " + std::string(line));
  };
  auto error_sink = [&](const asiokafka::error_info& e) {
    lines.push_back("error " + e.code.message() + " " + e.describe());
  };
  client_options broker = sasl_options("127.0.0.1:1");
  broker.raw.emplace("debug", "all");
  client_options sub;
  sub.group_id = test::unique_name("secrets");
  const config_composer composer(broker);

  test::run(io, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::consumer_options copts;
    copts.log = sink;
    copts.on_error = error_sink;
    asiokafka::consumer c(ex, composer.compose_consumer({"secrets", sub, {}}), copts);
    c.subscribe({"secrets-topic"});
    asiokafka::producer_options popts;
    popts.log = sink;
    popts.on_error = error_sink;
    asiokafka::producer p(ex, composer.compose_producer(), popts);
    p.produce(asiokafka::record{"secrets-topic", {}, "k", "v", {}, {}});
    // Long enough for several connection attempts (reconnect.backoff starts at 100 ms).
    co_await test::sleep_for(3s);
    co_await c.async_close(asio::use_awaitable);
  });

  BOOST_TEST_MESSAGE(lines.size() << " log lines captured");
  BOOST_REQUIRE(lines.size() > 20);  // debug=all really was on
  std::size_t mentions_sasl = 0;
  for (const auto& line : lines) {
    if (line.find("sasl") != std::string::npos || line.find("SASL") != std::string::npos) ++mentions_sasl;
    check_no_secret("log line", line);
  }
  BOOST_TEST(mentions_sasl > 0);  // the lines that could have shown it were there
}

// OAUTHBEARER: what is wrong with a token is named by field, never by the token's text.
BOOST_AUTO_TEST_CASE(token_problems_name_the_field_never_the_token) {
  using asiokafka::detail::token_problem;
  const auto now = std::chrono::system_clock::now();
  const std::string value = "eyJ-secret-token-Qz81";
  auto good = asiokafka::oauthbearer_token{value, now + 60s, "svc", {{"traceid", "abc 1"}}};
  BOOST_TEST(!token_problem(good, now));

  std::vector<std::pair<asiokafka::oauthbearer_token, std::string>> bad;
  auto t = good;
  t.value.clear();
  bad.emplace_back(t, "empty token");
  t = good;
  t.principal.clear();
  bad.emplace_back(t, "without a principal");
  t = good;
  t.expiry = now - 2s;
  bad.emplace_back(t, "expired token (principal \"svc\", expired 2000 ms ago)");
  t = good;
  t.expiry = now;
  bad.emplace_back(t, "expired token");
  t = good;
  t.value += "\x01";
  bad.emplace_back(t, "characters outside printable ASCII (principal \"svc\")");
  t = good;
  t.extensions = {{"auth", "x"}};
  bad.emplace_back(t, "invalid SASL extension key \"auth\"");
  t = good;
  t.extensions = {{"trace-id", "x"}};
  bad.emplace_back(t, "invalid SASL extension key \"trace-id\"");
  t = good;
  t.extensions = {{"traceid", value + "\x7f"}};
  bad.emplace_back(t, "SASL extension \"traceid\" with characters outside printable ASCII");
  for (const auto& [token, expected] : bad) {
    const auto problem = token_problem(token, now);
    BOOST_TEST_REQUIRE(problem.has_value(), "accepted: " << expected);
    BOOST_TEST(problem->find(expected) != std::string::npos, *problem << " | expected: " << expected);
    BOOST_TEST(problem->find(value) == std::string::npos);
  }
  BOOST_TEST(asiokafka::detail::refresh_failure_reason("boom", 3) ==
             "boom (refresh failure 3 in a row; retried in about 10 s)");
}

BOOST_AUTO_TEST_CASE(token_provider_without_oauthbearer_is_a_config_error) {
  using asiokafka::detail::oauthbearer_settings;
  using asiokafka::detail::provider_conflict;
  BOOST_TEST(!provider_conflict(oauthbearer_settings{"OAUTHBEARER", "default", false}));
  BOOST_TEST(provider_conflict(oauthbearer_settings{"OAUTHBEARER", "default", true})->find("unsecure.jwt") !=
             std::string::npos);
  BOOST_TEST(provider_conflict(oauthbearer_settings{"OAUTHBEARER", "oidc", false})->find("oidc") != std::string::npos);

  // Through a client: the constructor throws before anything connects.
  asio::io_context io;
  asiokafka::producer_options o;
  o.token_provider = []() -> asio::awaitable<asiokafka::oauthbearer_token> {
    co_return asiokafka::oauthbearer_token{};
  };
  const config_composer composer(sasl_options("127.0.0.1:1"));
  try {
    asiokafka::producer p(io.get_executor(), composer.compose_producer(), o);
    BOOST_FAIL("a token provider with sasl.mechanism PLAIN was accepted");
  } catch (const boost::system::system_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_TEST(e.code() == asiokafka::make_error_code(asiokafka::error::invalid_config));
    BOOST_TEST(std::string(e.what()).find("sasl.mechanism is \"PLAIN\", not OAUTHBEARER") != std::string::npos);
    check_no_secret("the error", e.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()
