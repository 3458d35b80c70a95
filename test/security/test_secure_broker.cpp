// TLS + SASL on the real broker of the secure1 fixture (CMakeLists.txt): with the right CA and
// credentials (SASL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 over TLS) a broker's subscriber and
// publisher and an admin client work over SASL_SSL; a wrong password (each mechanism) or an
// untrusted broker certificate is a clear error through on_error, with context and without the
// secret; the password never appears in explain(), in any log line (librdkafka's security
// debug logs included) or in an error. SCRAM against Kafka 4 needs librdkafka 2.6.1 or later
// (earlier versions send their nonce twice); the platform's librdkafka has it.
#define BOOST_TEST_MODULE test_secure_broker
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <asiokafka/admin.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/producer.hpp>

#include "kafka_helpers.hpp"
#include "security_helpers.hpp"
#include "sequenced_event.hpp"
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;

using asiokafka::test::lower;
using asiokafka::test::read_line;
using asiokafka::test::recorder;

namespace {

// What `scripts/kafka start --secure` wrote for the secure1 cluster.
struct secure_cluster {
  std::string dir = std::string(ASIOKAFKA_SECURE_STATE) + "/secure";
  std::string bootstrap = read_line(dir + "/bootstrap");
  std::string username = read_line(dir + "/username");
  std::string password = read_line(dir + "/password");
  std::string ca = dir + "/ca.pem";
  std::string other_ca = dir + "/other-ca.pem";

  std::map<std::string, std::string> client_config(const std::string& pass, const std::string& ca_file,
                                                   const std::string& mechanism = "PLAIN") const {
    return {{"security.protocol", "SASL_SSL"},
            {"sasl.mechanism", mechanism},
            {"sasl.username", username},
            {"sasl.password", pass},
            {"ssl.ca.location", ca_file}};
  }
};

// A consumer with `config` subscribed to `topic`, until `done` holds or 30 s pass.
template <class Done>
void run_consumer(const secure_cluster& s, std::map<std::string, std::string> config, recorder& rec, Done done) {
  asio::io_context io;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        asiokafka::consumer_options o;
        o.log = rec.log();
        o.on_error = rec.on_error();
        asiokafka::consumer c(co_await asio::this_coro::executor,
                              test::consumer_config(s.bootstrap, test::unique_name("secure"), std::move(config)), o);
        c.subscribe({test::unique_name("secure")});
        co_await test::wait_until([&] { return done(); }, 30s);
        co_await c.async_close(asio::use_awaitable);
      },
      60s);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_security)

const std::vector<std::string> mechanisms{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};

BOOST_DATA_TEST_CASE(subscriber_publisher_and_admin_work_over_sasl_ssl, boost::unit_test::data::make(mechanisms),
                     mechanism) {
  BOOST_TEST_MESSAGE(mechanism << " with librdkafka " << rd_kafka_version_str());
  const secure_cluster s;
  const std::string topic = test::unique_name("secure-topic");
  constexpr int n = 200;

  // The admin client creates the topic over the same listener and mechanism.
  {
    asio::io_context admin_io;
    recorder arec;
    asiokafka::admin_options ao;
    ao.log = arec.log();
    ao.on_error = arec.on_error();
    asiokafka::admin a(admin_io.get_executor(),
                       test::producer_config(s.bootstrap, s.client_config(s.password, s.ca, mechanism)), ao);
    std::vector<asiokafka::item_result> created;
    test::run(
        admin_io,
        [&]() -> asio::awaitable<void> {
          std::vector<asiokafka::new_topic> topics{{.name = topic, .partitions = 2}};
          created = co_await a.async_create_topics(std::move(topics), asiokafka::call_options{}, asio::use_awaitable);
        },
        60s);
    BOOST_REQUIRE(created.size() == 1u);
    BOOST_TEST(!created[0].error, created[0].error.message() << " " << created[0].message);
    BOOST_TEST(!arec.saw(RD_KAFKA_RESP_ERR__AUTHENTICATION));
    BOOST_TEST(arec.lines_containing(s.password) == 0u);
  }

  asio::io_context io;
  recorder rec;
  asiokafka::broker_options options;
  options.config.bootstrap_servers = s.bootstrap;
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.config.raw = s.client_config(s.password, s.ca, mechanism);
  options.config.raw["debug"] = "security,broker";  // the most talkative about credentials
  options.log = rec.log();
  asiokafka::broker app(io.get_executor(), options);
  asiokafka::subscriber_options sub;
  sub.name = "secure";
  sub.config.group_id = test::unique_name("secure");
  std::vector<int> seen(n, 0);
  app.subscriber<test::sequenced_event>({topic}, sub, [&](test::sequenced_event e) -> asio::awaitable<void> {
    if (e.seq >= 0 && e.seq < n) ++seen[static_cast<std::size_t>(e.seq)];
    co_return;
  });
  const std::string explained = app.explain();
  auto out = app.publisher<test::sequenced_event>(topic);

  int published = 0;
  test::run_app(
      io, app,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < n; ++i) {
          const test::sequenced_event e{i, "secure-" + std::to_string(i)};
          co_await out.async_publish(e, {}, asio::use_awaitable);
          ++published;
        }
        co_await test::wait_until([&] { return std::count(seen.begin(), seen.end(), 0) == 0; }, 30s);
      },
      90s);

  BOOST_TEST(published == n);
  BOOST_TEST(std::count(seen.begin(), seen.end(), 0) == 0);
  BOOST_TEST_MESSAGE(rec.lines.size() << " log lines, " << rec.lines_containing("SASL") << " mention SASL");
  BOOST_TEST(rec.lines_containing("SASL") > 0u);  // the debug logs really were on
  BOOST_TEST(rec.lines_containing(s.password) == 0u);
  BOOST_TEST(explained.find(s.password) == std::string::npos);
  BOOST_TEST(explained.find("sasl.password") != std::string::npos);
  BOOST_TEST(explained.find("[redacted]") != std::string::npos);
  BOOST_TEST(app.asyncapi().find(s.password) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrong_password_is_an_authentication_error_without_the_secret) {
  const secure_cluster s;
  const std::string wrong = "wrong-" + s.password;
  recorder rec;
  run_consumer(s, s.client_config(wrong, s.ca), rec, [&] { return rec.saw(RD_KAFKA_RESP_ERR__AUTHENTICATION); });
  BOOST_TEST_REQUIRE(rec.saw(RD_KAFKA_RESP_ERR__AUTHENTICATION));
  for (const auto& [ec, context] : rec.errors) {
    BOOST_TEST_MESSAGE(ec.message() << " (" << context << ")");
    if (ec != asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR__AUTHENTICATION)) continue;
    BOOST_TEST(lower(ec.message() + " " + context).find("authentication") != std::string::npos);
    BOOST_TEST(context.find(s.bootstrap) != std::string::npos);  // which broker refused
  }
  BOOST_TEST(rec.lines_containing(wrong) == 0u);
  BOOST_TEST(rec.lines_containing(s.password) == 0u);

  // A producer's record fails instead of hanging, and the failure does not carry the secret.
  asio::io_context io;
  recorder prec;
  asiokafka::error_code delivery;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        asiokafka::producer_options o;
        o.log = prec.log();
        o.on_error = prec.on_error();
        auto config = s.client_config(wrong, s.ca);
        config["message.timeout.ms"] = "5000";
        asiokafka::producer p(co_await asio::this_coro::executor, test::producer_config(s.bootstrap, config), o);
        asiokafka::record r;
        r.topic = test::unique_name("secure");
        r.value = "x";
        auto [ec, report] = co_await p.async_produce(std::move(r), asio::as_tuple(asio::use_awaitable));
        delivery = ec;
      },
      60s);
  BOOST_TEST_MESSAGE("produce with a wrong password: " << delivery.message());
  BOOST_TEST(static_cast<bool>(delivery));
  BOOST_TEST(prec.saw(RD_KAFKA_RESP_ERR__AUTHENTICATION));
  BOOST_TEST(prec.lines_containing(wrong) == 0u);
  BOOST_TEST(delivery.message().find(wrong) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(untrusted_broker_certificate_is_a_tls_error) {
  const secure_cluster s;
  recorder rec;
  run_consumer(s, s.client_config(s.password, s.other_ca), rec, [&] { return rec.saw(RD_KAFKA_RESP_ERR__SSL); });
  BOOST_TEST_REQUIRE(rec.saw(RD_KAFKA_RESP_ERR__SSL));
  bool explained = false;
  for (const auto& [ec, context] : rec.errors) {
    BOOST_TEST_MESSAGE(ec.message() << " (" << context << ")");
    if (ec == asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR__SSL))
      explained = explained || lower(context).find("certificate verify failed") != std::string::npos;
  }
  BOOST_TEST(explained);
  BOOST_TEST(rec.lines_containing(s.password) == 0u);
}

// SCRAM with a wrong password: the broker's authentication error, promptly, through on_error
// with the broker named, and the password (right or wrong) in no log line or error.
BOOST_AUTO_TEST_CASE(scram_with_a_wrong_password_is_an_authentication_error_without_the_secret) {
  const secure_cluster s;
  const std::string wrong = "wrong-" + s.password;
  for (const std::string mechanism : {"SCRAM-SHA-256", "SCRAM-SHA-512"}) {
    BOOST_TEST_CONTEXT(mechanism) {
      recorder rec;
      run_consumer(s, s.client_config(wrong, s.ca, mechanism), rec,
                   [&] { return rec.saw(RD_KAFKA_RESP_ERR__AUTHENTICATION); });
      BOOST_TEST_REQUIRE(rec.saw(RD_KAFKA_RESP_ERR__AUTHENTICATION));
      bool named = false;
      for (const auto& [ec, context] : rec.errors) {
        BOOST_TEST_MESSAGE(mechanism << ": " << ec.message() << " (" << context << ")");
        if (ec == asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR__AUTHENTICATION))
          named = named || (lower(ec.message() + " " + context).find("authentication") != std::string::npos &&
                            context.find(s.bootstrap) != std::string::npos);
        BOOST_TEST(context.find(wrong) == std::string::npos);
        BOOST_TEST(context.find(s.password) == std::string::npos);
      }
      BOOST_TEST(named);
      BOOST_TEST(rec.lines_containing(wrong) == 0u);
      BOOST_TEST(rec.lines_containing(s.password) == 0u);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
