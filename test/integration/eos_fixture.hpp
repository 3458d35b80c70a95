// What the exactly-once real-broker tests share: the event they transform, and a fixture with
// the broker options, an exactly-once subscriber's options, the transform, the input filler
// and the read_committed check of the output.
#pragma once

#include <asiokafka/broker.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/json.hpp>
#include <asiokafka/producer.hpp>

#include "kafka_helpers.hpp"
#include "output_check.hpp"
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/describe.hpp>
#include <boost/test/unit_test.hpp>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::ack_policy;
using asiokafka::broker;
using asiokafka::context;
using asiokafka::error_code;
using asiokafka::message;
using asiokafka::processing_guarantee;
using asiokafka::subscriber_options;
namespace test = asiokafka::test;

namespace eos_model {
struct event {
  int seq = 0;
  std::string body;
};
BOOST_DESCRIBE_STRUCT(event, (), (seq, body))
}  // namespace eos_model

namespace eos_test {

constexpr asiokafka::call_options txn_call{.timeout = 30s};

struct eos_fixture {
  asio::io_context io;
  std::string brokers = test::real_brokers();
  std::string in = test::unique_name("eos-in");
  std::string out = test::unique_name("eos-out");

  asiokafka::broker_options options(const std::string& base = "pod-a") {
    asiokafka::broker_options o;
    o.config.bootstrap_servers = brokers;
    o.config.auto_offset_reset = asiokafka::offset_reset::earliest;
    o.config.transactional_id = test::unique_name(base);
    o.graceful_timeout = 10s;
    return o;
  }

  subscriber_options exactly_once(const std::string& name, const std::string& group) {
    subscriber_options s;
    s.name = name;
    s.config.group_id = group;
    s.guarantee = processing_guarantee::exactly_once;
    s.transaction.max_time = 50ms;
    return s;
  }

  // The transform: each input event becomes its sequence number on the same partition of `out`.
  static asio::awaitable<void> transform(const std::string& topic, const eos_model::event& e, context& ctx) {
    asiokafka::publish_options po;
    po.partition = ctx.partition();
    po.key = std::to_string(e.seq);
    const std::string value = std::to_string(e.seq);
    co_await ctx.publish(topic, value, po);
  }

  asio::awaitable<void> fill(int from, int to, int partitions) {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::producer p(ex, test::producer_config(brokers, {{"linger.ms", "5"}, {"enable.idempotence", "true"}}));
    for (int i = from; i < to; ++i) {
      eos_model::event e{i, "payload-" + std::to_string(i)};
      p.produce(asiokafka::record{in, i % partitions, std::to_string(i), asiokafka::json::encode(e), {}, {}});
    }
    co_await p.async_flush(asio::use_awaitable);
    BOOST_REQUIRE_EQUAL(p.failed(), 0u);
  }

  test::sequence_count committed_output(int n, int partitions) {
    std::vector<message> records;
    test::run(
        io,
        [&]() -> asio::awaitable<void> {
          records = co_await test::read_topic(brokers, out, partitions, "read_committed", static_cast<std::size_t>(n));
        },
        180s);
    return test::count_payload_sequences(records, n);
  }

  std::size_t uncommitted_records(int n, int partitions) {
    std::vector<message> records;
    test::run(
        io,
        [&]() -> asio::awaitable<void> {
          records =
              co_await test::read_topic(brokers, out, partitions, "read_uncommitted", static_cast<std::size_t>(n));
        },
        180s);
    return records.size();
  }
};

}  // namespace eos_test

using eos_test::eos_fixture;
using eos_test::txn_call;
