// Secrets (sasl.password and the other keys is_secret_key names) never leave asiokafka in
// readable form: not in explain(), not in config_error::what(), not in log lines or error
// reports of a consumer or producer that fails to reach its broker.
#define BOOST_TEST_MODULE test_secrets
#include <boost/test/unit_test.hpp>

#include <asiokafka/config.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/producer.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

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
  broker.raw = {{"ssl.key.password", secrets.at("ssl.key.password")},
                {"sasl.password", secrets.at("sasl.password")}};
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
  auto error_sink = [&](const asiokafka::error_code& ec, std::string_view context) {
    lines.push_back("error " + ec.message() + " " + std::string(context));
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

BOOST_AUTO_TEST_SUITE_END()
