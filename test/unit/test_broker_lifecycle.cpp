// The broker's lifecycle as an Asio operation: async_run reports what it refuses through its
// handler (an invalid configuration, a second run), a publisher outliving its broker fails
// safely, and start, stop and publishes may come from several threads of a multi-threaded
// io_context (the run's state lives on the broker's strand; run this one under
// `scripts/test --sanitize thread -R test_broker_lifecycle`). The first three need no Kafka.
#define BOOST_TEST_MODULE test_broker_lifecycle
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;
using asiokafka::error_code;

namespace {

// Log lines, kept for the checks.
struct log_lines {
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  asiokafka::log_sink sink() const {
    return [m = mutex, l = lines](asiokafka::log_level, std::string_view, std::string_view line) {
      std::lock_guard lock(*m);
      l->emplace_back(line);
    };
  }
  bool any_contains(const std::string& a, const std::string& b) const {
    std::lock_guard lock(*mutex);
    for (const auto& line : *lines)
      if (line.find(a) != std::string::npos && line.find(b) != std::string::npos) return true;
    return false;
  }
};

// Nothing listens there: a broker that connects to it would only log.
asiokafka::broker_options offline(const log_lines& logs) {
  asiokafka::broker_options o;
  o.config.bootstrap_servers = "127.0.0.1:1";
  o.log = logs.sink();
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_broker_lifecycle)

BOOST_AUTO_TEST_CASE(an_invalid_configuration_completes_async_run_with_invalid_config) {
  asio::io_context io;
  log_lines logs;
  asiokafka::broker app(io.get_executor(), offline(logs));
  asiokafka::subscriber_options s;
  s.name = "orders";
  s.config.group_id = "billing";
  s.ack = asiokafka::ack_policy::reject_on_error;  // without a dead_letter_topic
  app.subscriber<std::string>({"orders"}, s, [](std::string) -> asio::awaitable<void> { co_return; });
  std::optional<error_code> result;
  BOOST_CHECK_NO_THROW(app.async_run([&](error_code ec) { result = ec; }));
  BOOST_TEST(!result.has_value());  // never inline
  io.run_for(5s);
  BOOST_REQUIRE(result.has_value());
  BOOST_TEST(*result == make_error_code(asiokafka::error::invalid_config), result->message());
  BOOST_TEST(logs.any_contains("dead_letter_topic", "\"orders\""));
  BOOST_CHECK_THROW(app.explain(), asiokafka::config_error);  // the error itself, before running
}

BOOST_AUTO_TEST_CASE(a_second_run_completes_with_already_pending_and_the_first_ends_with_stop) {
  asio::io_context io;
  log_lines logs;
  auto o = offline(logs);
  o.graceful_timeout = 2s;
  asiokafka::broker app(io.get_executor(), o);
  asiokafka::subscriber_options s;
  s.config.group_id = "billing";  // its consumer waits for a broker that is not there
  app.subscriber<std::string>({"orders"}, s, [](std::string) -> asio::awaitable<void> { co_return; });
  std::optional<error_code> first, second;
  app.async_run([&](error_code ec) { first = ec; });
  app.async_run([&](error_code ec) { second = ec; });
  io.run_for(200ms);
  BOOST_REQUIRE(second.has_value());
  BOOST_TEST(*second == make_error_code(asiokafka::error::already_pending));
  BOOST_TEST(!first.has_value());
  app.stop();
  io.restart();
  io.run_for(5s);
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(!*first, first->message());
}

BOOST_AUTO_TEST_CASE(a_publisher_that_outlives_its_broker_completes_with_closed) {
  asio::io_context io;
  log_lines logs;
  std::optional<asiokafka::publisher<std::string>> orders;
  {
    asiokafka::broker app(io.get_executor(), offline(logs));
    orders.emplace(app.publisher<std::string>("orders"));
  }
  io.run_for(1s);  // the broker's stop runs; its state goes
  io.restart();
  std::optional<error_code> result;
  asiokafka::delivery_report report;
  const std::string value = "late";
  orders->async_publish(value, {}, [&](error_code ec, asiokafka::delivery_report r) {
    result = ec;
    report = std::move(r);
  });
  io.run_for(5s);
  BOOST_REQUIRE(result.has_value());
  BOOST_TEST(*result == make_error_code(asiokafka::error::closed), result->message());
  BOOST_TEST(report.topic == "orders");
}

// Started from a thread outside the io_context, published to from two more, stopped from a
// fourth, while four threads run the io_context.
BOOST_AUTO_TEST_CASE(start_stop_and_publishes_from_several_threads) {
  asiokafka::testing::embedded_kafka kafka;
  const std::string topic = test::unique_name("mt");
  kafka.create_topic(topic, 4);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::vector<std::thread> runners;
  for (int i = 0; i < 4; ++i) runners.emplace_back([&] { io.run(); });

  asiokafka::broker_options o;
  o.config.bootstrap_servers = kafka.bootstrap_servers();
  o.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  o.graceful_timeout = 2s;
  asiokafka::broker app(io.get_executor(), o);
  asiokafka::subscriber_options s;
  s.config.group_id = test::unique_name("mt");
  std::atomic<int> handled{0};
  app.subscriber<std::string>({topic}, s, [&](std::string) -> asio::awaitable<void> {
    ++handled;
    co_return;
  });

  std::atomic<bool> done{false};
  std::atomic<int> run_result{-1};
  std::thread([&] {
    app.async_run([&](error_code ec) {
      run_result = ec.value();
      done = true;
    });
  }).join();
  constexpr int per_thread = 200;
  std::atomic<int> delivered{0}, failed{0};
  std::vector<std::thread> publishers;
  for (int t = 0; t < 2; ++t)
    publishers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const std::string value = std::to_string(t) + "-" + std::to_string(i);
        app.async_publish(topic, value, {},
                          [&](error_code ec, asiokafka::delivery_report) { ++(ec ? failed : delivered); });
      }
    });
  for (auto& p : publishers) p.join();
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (handled.load() < 2 * per_thread && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  std::thread([&] { app.stop(); }).join();
  while (!done.load() && std::chrono::steady_clock::now() < deadline + 30s) std::this_thread::sleep_for(20ms);
  work.reset();
  io.stop();
  for (auto& r : runners) r.join();

  BOOST_TEST(done.load());
  BOOST_TEST(run_result.load() == 0);
  BOOST_TEST(delivered.load() == 2 * per_thread);
  BOOST_TEST(failed.load() == 0);
  BOOST_TEST(handled.load() >= 2 * per_thread);
}

BOOST_AUTO_TEST_SUITE_END()
