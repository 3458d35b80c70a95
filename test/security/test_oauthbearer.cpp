// SASL/OAUTHBEARER token refresh on the OAUTHBEARER listener of the secure1 fixture's broker
// (`scripts/kafka start --oauth`: Kafka's unsecured JWT validator, sessions that end when the
// token expires). Test tokens are unsigned JWTs built here. A provider of 10 s tokens keeps a
// broker's subscriber and publisher working for 40 s without losing a record; a provider that
// throws, then returns an expired token, is a clear authentication error each time and is
// called again at librdkafka's next refresh, after which the consumer works; a client without
// a provider says so; no token text reaches any log line, error or explain().
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/cancel_after.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/producer.hpp>

#include "kafka_helpers.hpp"
#include "security_helpers.hpp"
#include "sequenced_event.hpp"
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;
using asiokafka::oauthbearer_token;
using asiokafka::test::read_line;
using asiokafka::test::recorder;
using clock_type = std::chrono::system_clock;

namespace {

struct oauth_cluster {
  std::string plaintext = read_line(std::string(ASIOKAFKA_SECURE_STATE) + "/bootstrap");
  std::string bootstrap = read_line(std::string(ASIOKAFKA_SECURE_STATE) + "/oauth/bootstrap");
  std::map<std::string, std::string> client_config() const {
    return {{"security.protocol", "SASL_PLAINTEXT"}, {"sasl.mechanism", "OAUTHBEARER"}};
  }
};

std::string base64url(const std::string& in) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (unsigned char c : in) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(alphabet[(bits >> count) & 0x3f]);
    }
  }
  if (count > 0) out.push_back(alphabet[(bits << (6 - count)) & 0x3f]);
  return out;
}

// An unsecured JWS (alg "none") for Kafka's unsecured validator, valid until `expiry`.
oauthbearer_token make_token(const std::string& subject, clock_type::time_point expiry) {
  const auto seconds = [](clock_type::time_point t) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
  };
  const auto now = clock_type::now();
  const std::string payload =
      R"({"sub":")" + subject + R"(","iat":)" + seconds(now) + R"(,"exp":)" + seconds(expiry) + "}";
  oauthbearer_token t;
  t.value = base64url(R"({"alg":"none"})") + "." + base64url(payload) + ".";
  t.expiry = std::chrono::time_point_cast<std::chrono::seconds>(expiry);
  t.principal = subject;
  return t;
}

// Every token a provider handed out, and when it was asked.
struct token_log {
  std::vector<std::string> tokens;
  std::vector<clock_type::time_point> calls;

  // Lines of `rec` (and `extra` texts) that contain a token or its signature-free payload.
  std::size_t leaks(const recorder& rec, const std::vector<std::string>& extra = {}) const {
    std::size_t n = 0;
    for (const auto& t : tokens) {
      const std::string payload = t.substr(t.find('.') + 1);
      n += rec.lines_containing(t) + rec.lines_containing(payload);
      for (const auto& text : extra) n += text.find(payload) != std::string::npos ? 1 : 0;
    }
    return n;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(test_oauthbearer)

// librdkafka asks for a new token at 80% of the old one's life (8 s here). The broker closes
// a connection whose token expired, so without refreshes the clients would lose the broker
// after 10 s; each client (the subscriber's consumer and the publisher) refreshes about 5
// times in 40 s.
BOOST_AUTO_TEST_CASE(ten_second_tokens_keep_a_subscriber_consuming_for_forty_seconds) {
  const oauth_cluster s;
  const std::string topic = test::unique_name("oauth-topic");
  test::create_topic(s.plaintext, topic, 1);
  constexpr int n = 200;  // one every 200 ms: 40 s

  asio::io_context io;
  recorder rec;
  token_log issued;
  asiokafka::broker_options options;
  options.config.bootstrap_servers = s.bootstrap;
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.config.raw = s.client_config();
  options.log = rec.log();
  options.token_provider = [&]() -> asio::awaitable<oauthbearer_token> {
    issued.calls.push_back(clock_type::now());
    auto t = make_token("asiokafka-subscriber", clock_type::now() + 10s);
    issued.tokens.push_back(t.value);
    co_return t;
  };
  asiokafka::broker app(io.get_executor(), options);
  asiokafka::subscriber_options sub;
  sub.name = "oauth";
  sub.config.group_id = test::unique_name("oauth");
  std::vector<int> seen(n, 0);
  app.subscriber<test::sequenced_event>({topic}, sub, [&](test::sequenced_event e) -> asio::awaitable<void> {
    if (e.seq >= 0 && e.seq < n) ++seen[static_cast<std::size_t>(e.seq)];
    co_return;
  });
  auto out = app.publisher<test::sequenced_event>(topic);

  int published = 0;
  const auto start = clock_type::now();
  test::run_app(
      io, app,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < n; ++i) {
          const test::sequenced_event e{i, "oauth-" + std::to_string(i)};
          asiokafka::publish_options po;
          co_await out.async_publish(e, po, asio::use_awaitable);
          ++published;
          co_await test::sleep_for(200ms);
        }
        const auto all_seen = [&] { return std::count(seen.begin(), seen.end(), 0) == 0; };
        co_await test::wait_until(all_seen, 30s, 20ms);
      },
      120s);
  const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(clock_type::now() - start).count();

  const auto received = n - std::count(seen.begin(), seen.end(), 0);
  BOOST_TEST_MESSAGE("oauth: " << published << " published, " << received << " received in " << elapsed << " s; "
                               << issued.calls.size() << " tokens issued, "
                               << rec.lines_containing("token set for principal") << " set");
  BOOST_TEST(published == n);
  BOOST_TEST(received == n);  // 0 lost
  BOOST_TEST(elapsed >= 40);
  // Two clients, each with its first token and at least 3 refreshes.
  BOOST_TEST(issued.calls.size() >= 8u);
  BOOST_TEST(rec.lines_containing("token set for principal \"asiokafka-subscriber\"") >= 8u);
  BOOST_TEST(issued.leaks(rec, {app.explain()}) == 0u);
}

// The first call throws, the second returns an expired token, the third a good one.
// librdkafka retries a failed refresh 10 s later.
BOOST_AUTO_TEST_CASE(failing_provider_is_an_authentication_error_retried_at_the_next_refresh) {
  const oauth_cluster s;
  const std::string topic = test::unique_name("oauth-retry");
  test::create_topic(s.plaintext, topic, 1);
  {
    asio::io_context io;
    test::run(io, [&]() -> asio::awaitable<void> {
      asiokafka::producer p(co_await asio::this_coro::executor, test::producer_config(s.plaintext));
      asiokafka::record r;
      r.topic = topic;
      r.value = "after the retry";
      co_await p.async_produce(std::move(r), asio::use_awaitable);
    });
  }

  recorder rec;
  token_log issued;
  std::string received;
  asio::io_context io;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        asiokafka::consumer_options o;
        o.log = rec.log();
        o.on_error = rec.on_error();
        o.token_provider = [&]() -> asio::awaitable<oauthbearer_token> {
          issued.calls.push_back(clock_type::now());
          if (issued.calls.size() == 1) throw std::runtime_error("identity provider unreachable");
          auto t = make_token("asiokafka-retry",
                              issued.calls.size() == 2 ? clock_type::now() - 5s : clock_type::now() + 60s);
          issued.tokens.push_back(t.value);
          co_return t;
        };
        asiokafka::consumer c(co_await asio::this_coro::executor,
                              test::consumer_config(s.bootstrap, test::unique_name("oauth-retry"), s.client_config()),
                              std::move(o));
        c.subscribe({topic});
        auto [ec, msg] = co_await c.async_receive(asiokafka::cancel_after(60s, asio::as_tuple(asio::use_awaitable)));
        BOOST_TEST_REQUIRE(!ec, "receive: " << ec.message());
        received = std::string(msg.payload());
        co_await c.async_close(asio::use_awaitable);
      },
      90s);

  BOOST_TEST(received == "after the retry");
  BOOST_TEST_REQUIRE(issued.calls.size() >= 3u);
  const auto gap = [&](std::size_t i) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(issued.calls[i] - issued.calls[i - 1]).count();
  };
  BOOST_TEST_MESSAGE("oauth retry: " << issued.calls.size() << " provider calls, retried after " << gap(1) << " ms and "
                                     << gap(2) << " ms");
  BOOST_TEST(gap(1) >= 9000);
  BOOST_TEST(gap(2) >= 9000);
  std::vector<std::string> failures;
  for (const auto& [ec, context] : rec.errors) {
    BOOST_TEST_MESSAGE(ec.message() << " (" << context << ")");
    if (ec == asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR__AUTHENTICATION) &&
        context.find("Failed to acquire SASL OAUTHBEARER token") != std::string::npos)
      failures.push_back(context);
  }
  BOOST_TEST_REQUIRE(failures.size() >= 2u);
  BOOST_TEST(failures[0].find("the token provider threw: identity provider unreachable") != std::string::npos);
  BOOST_TEST(failures[1].find("expired token") != std::string::npos);
  BOOST_TEST(failures[1].find("asiokafka-retry") != std::string::npos);  // which principal
  BOOST_TEST(issued.leaks(rec) == 0u);
}

// Without a provider (and without librdkafka's own token makers) the client does not wait
// silently for a token that never comes: its first refresh fails, saying what is missing.
BOOST_AUTO_TEST_CASE(oauthbearer_without_a_provider_says_what_is_missing) {
  const oauth_cluster s;
  recorder rec;
  asio::io_context io;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        asiokafka::producer_options o;
        o.log = rec.log();
        o.on_error = rec.on_error();
        asiokafka::producer p(co_await asio::this_coro::executor, test::producer_config(s.bootstrap, s.client_config()),
                              std::move(o));
        const auto told = [&] { return rec.lines_containing("set token_provider in the client's options") > 0; };
        co_await test::wait_until(told, 20s, 20ms);
      },
      60s);
  for (const auto& [ec, context] : rec.errors) BOOST_TEST_MESSAGE(ec.message() << " (" << context << ")");
  BOOST_TEST(rec.saw(RD_KAFKA_RESP_ERR__AUTHENTICATION));
  BOOST_TEST(rec.lines_containing("set token_provider in the client's options") > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
