#define BOOST_TEST_MODULE test_metrics
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/health.hpp>
#include <asiokafka/metrics.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>
#include <asiokafka/version.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/json/parse.hpp>

#include <map>
#include <mutex>
#include <set>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;

namespace {

// A consumer's report as librdkafka 2.0.2 writes it (abridged: fewer request types and
// latency percentiles), with the internal pseudo-broker and the internal UA partition (-1).
constexpr std::string_view consumer_statistics = R"({
  "name": "asiokafka#consumer-3", "client_id": "asiokafka", "type": "consumer",
  "ts": 4181306942, "time": 1700000000, "age": 3001466, "replyq": 0,
  "msg_cnt": 0, "msg_size": 0, "msg_max": 100000, "msg_size_max": 1073741824,
  "simple_cnt": 0, "metadata_cache_cnt": 1,
  "brokers": {
    "127.0.0.1:39697/1": { "name": "127.0.0.1:39697/1", "nodeid": 1, "nodename": "127.0.0.1:39697",
      "source": "learned", "state": "UP", "stateage": 2917113, "outbuf_cnt": 0, "outbuf_msg_cnt": 0,
      "waitresp_cnt": 1, "waitresp_msg_cnt": 0, "tx": 41, "txbytes": 4562, "txerrs": 0, "txretries": 0,
      "txidle": 1280, "req_timeouts": 0, "rx": 40, "rxbytes": 96213, "rxerrs": 0, "rxcorriderrs": 0,
      "rxpartial": 0, "rxidle": 1290, "zbuf_grow": 0, "buf_grow": 0, "wakeups": 93, "connects": 1,
      "disconnects": 2,
      "int_latency": { "min": 0, "max": 0, "avg": 0, "sum": 0, "stddev": 0, "p50": 0, "p99": 0, "cnt": 0 },
      "rtt": { "min": 612, "max": 502211, "avg": 1834, "sum": 73360, "stddev": 611, "p50": 1007, "p99": 502271,
               "outofrange": 0, "hdrsize": 13424, "cnt": 40 },
      "req": { "Fetch": 30, "OffsetCommit": 2, "Heartbeat": 3 },
      "toppars": { "orders-0": { "topic": "orders", "partition": 0 } } },
    "GroupCoordinator": { "name": "GroupCoordinator", "nodeid": 1, "nodename": "127.0.0.1:39697",
      "source": "logical", "state": "UP", "tx": 9, "rx": 9, "disconnects": 0,
      "rtt": { "avg": 900 } },
    ":0/internal": { "name": ":0/internal", "nodeid": -1, "nodename": "", "source": "internal",
      "state": "INIT", "tx": 0, "rx": 0 }
  },
  "topics": {
    "orders": { "topic": "orders", "age": 2911, "metadata_age": 2090,
      "batchsize": { "min": 0, "max": 0, "avg": 0 }, "batchcnt": { "min": 0, "max": 0, "avg": 0 },
      "partitions": {
        "1": { "partition": 1, "broker": 1, "leader": 1, "desired": true, "unknown": false,
          "msgq_cnt": 0, "fetchq_cnt": 0, "fetch_state": "active", "query_offset": -1001,
          "next_offset": 250, "app_offset": 250, "stored_offset": 250, "commited_offset": 200,
          "committed_offset": 200, "eof_offset": 250, "lo_offset": 0, "hi_offset": 250,
          "ls_offset": 250, "consumer_lag": 50, "consumer_lag_stored": 0, "txmsgs": 0, "txbytes": 0,
          "rxmsgs": 250, "rxbytes": 25000, "msgs": 250, "rx_ver_drops": 0 },
        "0": { "partition": 0, "broker": 1, "leader": 1, "desired": true, "unknown": false,
          "msgq_cnt": 0, "fetchq_cnt": 0, "fetch_state": "active", "query_offset": -1001,
          "next_offset": 400, "app_offset": 400, "stored_offset": 400, "commited_offset": 400,
          "committed_offset": 400, "eof_offset": 400, "lo_offset": 0, "hi_offset": 1000,
          "ls_offset": 1000, "consumer_lag": 600, "consumer_lag_stored": 600, "txmsgs": 0,
          "txbytes": 0, "rxmsgs": 400, "rxbytes": 40000, "msgs": 400, "rx_ver_drops": 0 },
        "-1": { "partition": -1, "broker": -1, "leader": -1, "desired": false, "unknown": false,
          "msgq_cnt": 0, "fetch_state": "none", "stored_offset": -1001, "committed_offset": -1001,
          "hi_offset": -1001, "consumer_lag": -1, "consumer_lag_stored": -1, "rxmsgs": 0 }
      } }
  },
  "cgrp": { "state": "up", "stateage": 2914, "join_state": "steady", "rebalance_age": 2910,
            "rebalance_cnt": 1, "rebalance_reason": "", "assignment_size": 2 },
  "tx": 50, "tx_bytes": 5620, "rx": 49, "rx_bytes": 97000,
  "txmsgs": 0, "txmsg_bytes": 0, "rxmsgs": 650, "rxmsg_bytes": 65000
})";

// A Prometheus text exposition, read back: every sample with its labels unescaped, and the
// family of each HELP/TYPE line. Fails the test on any line that does not follow the format.
struct exposition {
  struct sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
  };
  std::vector<sample> samples;
  std::map<std::string, std::string> types;

  double value(const std::string& name, const std::map<std::string, std::string>& labels) const {
    for (const auto& s : samples)
      if (s.name == name && s.labels == labels) return s.value;
    BOOST_FAIL("no sample " << name);
    return 0;
  }
  bool has(const std::string& name) const {
    for (const auto& s : samples)
      if (s.name == name) return true;
    return false;
  }

  static exposition parse(const std::string& text) {
    exposition e;
    std::set<std::string> helped, finished;
    std::string current;  // family whose samples are being read
    std::size_t pos = 0;
    BOOST_REQUIRE(text.empty() || text.back() == '\n');
    while (pos < text.size()) {
      const std::size_t end = text.find('\n', pos);
      const std::string line = text.substr(pos, end - pos);
      pos = end + 1;
      if (line.rfind("# HELP ", 0) == 0) {
        const std::string name = line.substr(7, line.find(' ', 7) - 7);
        BOOST_TEST_REQUIRE(!helped.contains(name), "second HELP for " << name);
        helped.insert(name);
        continue;
      }
      if (line.rfind("# TYPE ", 0) == 0) {
        const std::size_t sp = line.find(' ', 7);
        const std::string name = line.substr(7, sp - 7);
        BOOST_TEST_REQUIRE(helped.contains(name), "TYPE before HELP for " << name);
        e.types[name] = line.substr(sp + 1);
        BOOST_TEST_REQUIRE((e.types[name] == "counter" || e.types[name] == "gauge"));
        if (!current.empty()) finished.insert(current);
        current = name;
        continue;
      }
      BOOST_TEST_REQUIRE(line[0] != '#', "unexpected comment " << line);
      sample s;
      std::size_t i = 0;
      while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_')) ++i;
      s.name = line.substr(0, i);
      BOOST_TEST_REQUIRE(s.name == current, "sample " << s.name << " outside its family (" << current << ")");
      BOOST_TEST_REQUIRE(s.name.rfind("asiokafka_", 0) == 0);
      if (line[i] == '{') {
        ++i;
        while (line[i] != '}') {
          const std::size_t eq = line.find('=', i);
          const std::string key = line.substr(i, eq - i);
          BOOST_TEST_REQUIRE(line[eq + 1] == '"');
          std::string value;
          for (i = eq + 2; line[i] != '"'; ++i) {
            if (line[i] == '\\') {
              const char c = line[++i];
              BOOST_TEST_REQUIRE((c == '\\' || c == '"' || c == 'n'), "bad escape in " << line);
              value += c == 'n' ? '\n' : c;
            } else {
              value += line[i];
            }
          }
          s.labels[key] = value;
          ++i;  // closing quote
          if (line[i] == ',') ++i;
        }
        ++i;
      }
      BOOST_TEST_REQUIRE(line[i] == ' ');
      std::size_t used = 0;
      s.value = std::stod(line.substr(i + 1), &used);
      BOOST_TEST_REQUIRE(i + 1 + used == line.size(), "trailing text in " << line);
      e.samples.push_back(std::move(s));
    }
    return e;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(test_metrics)

BOOST_AUTO_TEST_CASE(statistics_parse_into_typed_metrics) {
  const auto m = asiokafka::parse_statistics(consumer_statistics);
  BOOST_TEST(m.name == "asiokafka#consumer-3");
  BOOST_TEST(m.client_id == "asiokafka");
  BOOST_TEST(m.type == "consumer");
  BOOST_TEST(m.timestamp_us == 4181306942);
  BOOST_TEST(m.consumed_messages == 650);
  BOOST_TEST(m.consumed_bytes == 65000);
  BOOST_TEST(m.produced_messages == 0);
  BOOST_TEST(m.queue_messages == 0);
  BOOST_TEST(m.rebalances == 1);
  BOOST_TEST(m.group_state == "up");
  BOOST_TEST(m.assigned_partitions == 2);
  BOOST_TEST(m.last_rebalance_age_ms == 2910);
  BOOST_TEST(m.last_rebalance_reason == "");

  BOOST_TEST_REQUIRE(m.partitions.size() == 2u);  // -1 left out, sorted
  const auto& p0 = m.partitions[0];
  BOOST_TEST(p0.topic == "orders");
  BOOST_TEST(p0.partition == 0);
  BOOST_TEST(p0.lag == 600);
  BOOST_TEST(p0.lag_stored == 600);
  BOOST_TEST(p0.committed_offset == 400);
  BOOST_TEST(p0.stored_offset == 400);
  BOOST_TEST(p0.high_watermark == 1000);
  BOOST_TEST(p0.consumed_messages == 400);
  BOOST_TEST(p0.consumed_bytes == 40000);
  const auto* p1 = m.find("orders", 1);
  BOOST_TEST_REQUIRE(p1 != nullptr);
  BOOST_TEST(p1->lag == 50);
  BOOST_TEST(p1->lag_stored == 0);
  BOOST_TEST(m.find("orders", -1) == nullptr);

  BOOST_TEST_REQUIRE(m.brokers.size() == 2u);  // the internal pseudo-broker is left out
  BOOST_TEST(m.brokers[0].name == "127.0.0.1:39697/1");
  BOOST_TEST(m.brokers[0].node_id == 1);
  BOOST_TEST(m.brokers[0].state == "UP");
  BOOST_TEST(m.brokers[0].rtt_avg_us == 1834);
  BOOST_TEST(m.brokers[0].requests_sent == 41);
  BOOST_TEST(m.brokers[0].responses_received == 40);
  BOOST_TEST(m.brokers[0].disconnects == 2);
  BOOST_TEST(m.brokers[1].name == "GroupCoordinator");
}

BOOST_AUTO_TEST_CASE(statistics_with_missing_fields_keep_defaults) {
  const auto m = asiokafka::parse_statistics(
      R"({"name":"p#producer-1","type":"producer","msg_cnt":7,"txmsgs":"many",
          "topics":{"t":{"partitions":{"3":{"hi_offset":-1001,"txmsgs":5},"x":{}}}},"brokers":[]})");
  BOOST_TEST(m.name == "p#producer-1");
  BOOST_TEST(m.queue_messages == 7);
  BOOST_TEST(m.produced_messages == 0);  // wrong type: default
  BOOST_TEST(m.rebalances == 0);
  BOOST_TEST(m.group_state == "");
  BOOST_TEST_REQUIRE(m.partitions.size() == 1u);  // "x" is no partition number
  BOOST_TEST(m.partitions[0].topic == "t");
  BOOST_TEST(m.partitions[0].partition == 3);
  BOOST_TEST(m.partitions[0].high_watermark == -1);
  BOOST_TEST(m.partitions[0].lag == -1);
  BOOST_TEST(m.partitions[0].produced_messages == 5);
  BOOST_TEST(m.brokers.empty());
  BOOST_TEST(asiokafka::parse_statistics("{}").partitions.empty());
}

BOOST_AUTO_TEST_CASE(statistics_that_are_not_an_object_throw) {
  BOOST_CHECK_THROW(asiokafka::parse_statistics("not json"), std::invalid_argument);
  BOOST_CHECK_THROW(asiokafka::parse_statistics("[1,2]"), std::invalid_argument);
  BOOST_CHECK_THROW(asiokafka::parse_statistics(""), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(prometheus_text_reads_back_with_escaped_labels) {
  asiokafka::subscriber_metrics billing;
  billing.counters.subscriber = "billing";
  billing.counters.received = 12;
  billing.counters.handled = 10;
  billing.counters.failed = 2;
  billing.counters.in_flight = 1;
  billing.client = asiokafka::parse_statistics(consumer_statistics);
  asiokafka::subscriber_metrics odd;
  odd.counters.subscriber = "we\"ird\\name\nx";
  odd.counters.dead_lettered = 3;
  asiokafka::client_metrics publisher;
  publisher.name = "asiokafka#producer-1";
  publisher.type = "producer";
  publisher.produced_messages = 5;
  publisher.queue_messages = 2;

  const std::vector<asiokafka::subscriber_metrics> subs{billing, odd};
  const std::vector<asiokafka::client_metrics> clients{publisher};
  const std::string text = asiokafka::to_prometheus(subs, clients);
  BOOST_TEST_MESSAGE(text);
  const auto e = exposition::parse(text);

  BOOST_TEST(e.value("asiokafka_subscriber_handled_total", {{"subscriber", "billing"}}) == 10);
  BOOST_TEST(e.value("asiokafka_subscriber_failed_total", {{"subscriber", "billing"}}) == 2);
  BOOST_TEST(e.value("asiokafka_subscriber_received_total", {{"subscriber", "billing"}}) == 12);
  BOOST_TEST(e.value("asiokafka_subscriber_in_flight", {{"subscriber", "billing"}}) == 1);
  BOOST_TEST(e.value("asiokafka_subscriber_dead_lettered_total", {{"subscriber", "we\"ird\\name\nx"}}) == 3);
  for (const char* name : {"asiokafka_subscriber_decode_failed_total", "asiokafka_subscriber_retried_total",
                           "asiokafka_subscriber_dead_letter_failed_total"})
    BOOST_TEST(e.value(name, {{"subscriber", "billing"}}) == 0);
  BOOST_TEST(e.types.at("asiokafka_subscriber_handled_total") == "counter");
  BOOST_TEST(e.types.at("asiokafka_subscriber_in_flight") == "gauge");

  const std::map<std::string, std::string> client{{"subscriber", "billing"}, {"client", "asiokafka#consumer-3"}};
  BOOST_TEST(e.value("asiokafka_consumed_messages_total", client) == 650);
  BOOST_TEST(e.value("asiokafka_rebalances_total", client) == 1);
  BOOST_TEST(e.value("asiokafka_assigned_partitions", client) == 2);
  auto partition = client;
  partition["topic"] = "orders";
  partition["partition"] = "0";
  BOOST_TEST(e.value("asiokafka_consumer_lag", partition) == 600);
  BOOST_TEST(e.value("asiokafka_committed_offset", partition) == 400);
  BOOST_TEST(e.value("asiokafka_high_watermark", partition) == 1000);
  partition["partition"] = "1";
  BOOST_TEST(e.value("asiokafka_consumer_lag", partition) == 50);
  BOOST_TEST(e.types.at("asiokafka_consumer_lag") == "gauge");
  auto broker = client;
  broker["broker"] = "127.0.0.1:39697/1";
  BOOST_TEST(e.value("asiokafka_broker_rtt_seconds", broker) == 0.001834);
  BOOST_TEST(e.value("asiokafka_broker_disconnects_total", broker) == 2);

  BOOST_TEST(e.value("asiokafka_produced_messages_total", {{"client", "asiokafka#producer-1"}}) == 5);
  BOOST_TEST(e.value("asiokafka_queue_messages", {{"client", "asiokafka#producer-1"}}) == 2);
  for (const auto& s : e.samples) BOOST_TEST(!(s.labels.contains("partition") && s.labels.at("partition") == "-1"));
}

BOOST_AUTO_TEST_CASE(prometheus_text_without_metrics_is_empty) { BOOST_TEST(asiokafka::to_prometheus({}, {}) == ""); }

BOOST_AUTO_TEST_CASE(health_renders_as_json) {
  asiokafka::broker_health h;
  h.subscribers.push_back({"a", true, 3, std::chrono::system_clock::time_point(std::chrono::milliseconds(1234)), ""});
  h.subscribers.push_back({"b", false, 0, std::nullopt, "fenced: instance id"});
  auto& a = h.subscribers[0];
  a.rebalances = 2;
  a.last_rebalance = asiokafka::rebalance_event{std::chrono::system_clock::time_point(std::chrono::milliseconds(999)),
                                                "revoked", 3, 0};
  a.last_rebalance_reason = "group rejoin";
  a.last_rebalance_age = std::chrono::milliseconds(42);
  BOOST_TEST(!h.healthy());
  const auto doc = boost::json::parse(asiokafka::to_json(h)).as_object();
  BOOST_TEST(doc.at("healthy").as_bool() == false);
  const auto& subs = doc.at("subscribers").as_array();
  BOOST_TEST_REQUIRE(subs.size() == 2u);
  BOOST_TEST(subs[0].at("name").as_string() == "a");
  BOOST_TEST(subs[0].at("running").as_bool());
  BOOST_TEST(subs[0].at("assigned_partitions").to_number<int>() == 3);
  BOOST_TEST(subs[0].at("last_receive_ms").to_number<std::int64_t>() == 1234);
  BOOST_TEST(subs[0].at("fatal_error").is_null());
  BOOST_TEST(subs[0].at("rebalances").to_number<int>() == 2);
  BOOST_TEST(subs[0].at("last_rebalance").at("at_ms").to_number<std::int64_t>() == 999);
  BOOST_TEST(subs[0].at("last_rebalance").at("kind").as_string() == "revoked");
  BOOST_TEST(subs[0].at("last_rebalance").at("partitions").to_number<int>() == 3);
  BOOST_TEST(subs[0].at("last_rebalance").at("assigned_after").to_number<int>() == 0);
  BOOST_TEST(subs[0].at("last_rebalance_reason").as_string() == "group rejoin");
  BOOST_TEST(subs[0].at("last_rebalance_age_ms").to_number<int>() == 42);
  BOOST_TEST(subs[1].at("last_rebalance").is_null());
  BOOST_TEST(subs[1].at("last_rebalance_reason").is_null());
  BOOST_TEST(subs[1].at("last_rebalance_age_ms").is_null());
  BOOST_TEST(subs[1].at("last_receive_ms").is_null());
  BOOST_TEST(subs[1].at("fatal_error").as_string() == "fenced: instance id");
  h.subscribers.pop_back();
  BOOST_TEST(h.healthy());
}

BOOST_AUTO_TEST_CASE(broker_exposes_statistics_health_and_logs_without_secrets) {
  asiokafka::testing::embedded_kafka kafka;
  asio::io_context io;
  const std::string topic = test::unique_name("views");
  kafka.create_topic(topic, 1);
  const std::string secret = "s3cr3t-pa55word-value";

  struct log_line {
    asiokafka::log_level level;
    std::string facility, text;
  };
  std::mutex log_mutex;
  std::vector<log_line> lines;
  asiokafka::broker_options o;
  o.config.bootstrap_servers = kafka.bootstrap_servers();
  o.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  // Every client of the broker gets the password; no log line may show it. (Not with
  // debug=conf here: librdkafka logs during rd_kafka_new, before the bridge's wake-up fd is
  // attached, and that first wake-up is lost until the keep-alive drain.)
  o.config.raw["sasl.password"] = secret;
  o.statistics_interval = 100ms;
  o.graceful_timeout = 2s;
  o.log = [&](asiokafka::log_level level, std::string_view facility, std::string_view text) {
    std::lock_guard lock(log_mutex);
    lines.push_back({level, std::string(facility), std::string(text)});
  };
  asiokafka::broker app(io.get_executor(), o);
  asiokafka::subscriber_options s;
  s.name = "counter";
  s.config.group_id = test::unique_name("g");
  int handled = 0;
  app.subscriber<std::string>({topic}, s, [&](std::string) -> asio::awaitable<void> {
    ++handled;
    co_return;
  });
  BOOST_TEST(app.health().subscribers.at(0).running == false);
  BOOST_TEST(app.metrics().at(0).client.has_value() == false);

  test::run_app(io, app, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 5; ++i) co_await app.async_publish(topic, std::string("view"), {}, asio::use_awaitable);
    BOOST_TEST_REQUIRE(co_await test::wait_until([&] { return handled == 5; }, 20s));
    // The report after the commit (auto commit every 5 s by default; wait for it).
    const bool lag_zero = co_await test::wait_until(
        [&] {
          const auto m = app.metrics().at(0);
          if (!m.client) return false;
          const auto* p = m.client->find(topic, 0);
          return p && p->lag == 0 && p->high_watermark == 5;
        },
        20s);
    BOOST_TEST(lag_zero);
    const auto health = app.health();
    BOOST_TEST(health.healthy());
    BOOST_TEST(health.subscribers.at(0).name == "counter");
    BOOST_TEST(health.subscribers.at(0).assigned_partitions == 1u);
    BOOST_TEST(health.subscribers.at(0).last_receive.has_value());
    const auto e = exposition::parse(app.metrics_text());
    BOOST_TEST(e.value("asiokafka_subscriber_handled_total", {{"subscriber", "counter"}}) == 5);
    BOOST_TEST(e.has("asiokafka_consumer_lag"));
    BOOST_TEST(e.has("asiokafka_produced_messages_total"));  // the broker's publisher
  });
  const auto after = app.health();
  BOOST_TEST(after.subscribers.at(0).running == false);
  BOOST_TEST(after.subscribers.at(0).fatal_error == "");

  std::lock_guard lock(log_mutex);
  // The custom sink got the consumer's rebalance lines (the default would print to stderr).
  bool assigned_logged = false;
  for (const auto& l : lines) {
    BOOST_TEST(l.text.find(secret) == std::string::npos, "secret in log line: " << l.facility << " " << l.text);
    if (l.facility == "REBALANCE" && l.text.find("assigned " + topic) != std::string::npos) assigned_logged = true;
  }
  BOOST_TEST(assigned_logged);
  BOOST_TEST(app.explain().find(secret) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(version_macros_agree_with_the_version_string) {
  const std::string expected = std::to_string(ASIOKAFKA_VERSION_MAJOR) + "." + std::to_string(ASIOKAFKA_VERSION_MINOR) +
                               "." + std::to_string(ASIOKAFKA_VERSION_PATCH);
  BOOST_TEST(std::string(asiokafka::version_string) == expected);
  BOOST_TEST(ASIOKAFKA_VERSION ==
             ASIOKAFKA_VERSION_MAJOR * 10000 + ASIOKAFKA_VERSION_MINOR * 100 + ASIOKAFKA_VERSION_PATCH);
}

BOOST_AUTO_TEST_SUITE_END()
