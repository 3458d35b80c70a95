#define BOOST_TEST_MODULE test_producer
#include <boost/test/unit_test.hpp>

#include <asiokafka/cancel_after.hpp>
#include <asiokafka/consumer_options.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include <librdkafka/rdkafka.h>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <set>
#include <type_traits>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::delivery_report;
using asiokafka::error_code;
using asiokafka::producer;
using asiokafka::record;
namespace test = asiokafka::test;

namespace {

struct producer_fixture {
  asiokafka::testing::embedded_kafka kafka;
  asio::io_context io;
  std::string topic = test::unique_name("p");

  producer_fixture() { kafka.create_topic(topic, 3); }

  producer make_producer(test::raw_config raw = {}) {
    return producer(io.get_executor(), test::producer_config(kafka.bootstrap_servers(), std::move(raw)));
  }
};

asio::awaitable<void> yield() { co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable); }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_producer, producer_fixture)

BOOST_AUTO_TEST_CASE(each_record_gets_its_delivery_report) {
  test::run(io, [&]() -> asio::awaitable<void> {
    auto p = make_producer();
    std::map<std::int32_t, std::int64_t> next_offset;
    for (int i = 0; i < 30; ++i) {
      const std::int32_t partition = i % 3;
      // Records are built before co_await: GCC 12 mishandles non-trivial temporaries that live
      // across a suspension point inside a co_await expression.
      record r{topic, partition, "k", "v" + std::to_string(i), {}, {}};
      auto dr = co_await p.async_produce(std::move(r), asio::use_awaitable);
      BOOST_TEST(dr.topic == topic);
      BOOST_TEST(dr.partition == partition);
      BOOST_TEST(dr.offset == next_offset[partition]++);
    }
    BOOST_TEST(p.delivered() == 30u);
    BOOST_TEST(p.failed() == 0u);
    BOOST_TEST(p.in_flight() == 0u);
    co_await p.async_close(asio::use_awaitable);
  });
}

BOOST_AUTO_TEST_CASE(unknown_partition_fails_with_its_error) {
  test::run(io, [&]() -> asio::awaitable<void> {
    auto p = make_producer({{"topic.metadata.propagation.max.ms", "200"}, {"message.timeout.ms", "5000"}});
    record r{topic, 7, {}, "v", {}, {}};  // the topic has 3 partitions
    auto [ec, dr] = co_await p.async_produce(std::move(r), asio::as_tuple(asio::use_awaitable));
    BOOST_TEST((ec.value() == -190));  // __UNKNOWN_PARTITION
  });
}

BOOST_AUTO_TEST_CASE(full_queue_waits_instead_of_failing) {
  test::run(io, [&]() -> asio::awaitable<void> {
    auto p = make_producer({{"queue.buffering.max.messages", "5"}, {"linger.ms", "1"}});
    constexpr int n = 500;
    int ok = 0;
    int failed = 0;
    std::set<std::pair<std::int32_t, std::int64_t>> positions;
    for (int i = 0; i < n; ++i) {
      p.async_produce(record{topic, {}, {}, "v" + std::to_string(i), {}, {}}, [&](error_code ec, delivery_report dr) {
        if (ec) {
          ++failed;
          return;
        }
        ++ok;
        positions.insert({dr.partition, dr.offset});
      });
    }
    // 5 fit in librdkafka's queue; the rest wait in order for room.
    BOOST_TEST(p.in_flight() == static_cast<std::size_t>(n));
    co_await p.async_flush(asio::use_awaitable);
    BOOST_TEST(ok == n);
    BOOST_TEST(failed == 0);
    BOOST_TEST(positions.size() == static_cast<std::size_t>(n));
  });
}

BOOST_AUTO_TEST_CASE(waiting_produce_can_be_cancelled) {
  test::run(io, [&]() -> asio::awaitable<void> {
    auto p = make_producer({{"queue.buffering.max.messages", "1"}, {"linger.ms", "50"}});
    std::vector<error_code> results(4);
    std::vector<bool> done(4, false);
    asio::cancellation_signal signal;
    for (int i = 0; i < 4; ++i) {
      auto handler = [&, i](error_code ec, delivery_report) {
        results[i] = ec;
        done[i] = true;
      };
      if (i == 3)
        p.async_produce(record{topic, 0, {}, "x", {}, {}}, asio::bind_cancellation_slot(signal.slot(), handler));
      else
        p.async_produce(record{topic, 0, {}, "x", {}, {}}, handler);
    }
    signal.emit(asio::cancellation_type::terminal);  // record 3 is still waiting for room
    co_await p.async_flush(asio::use_awaitable);
    for (int i = 0; i < 10 && !done[3]; ++i) co_await yield();
    BOOST_TEST(!results[0]);
    BOOST_TEST(!results[1]);
    BOOST_TEST(!results[2]);
    BOOST_TEST((results[3] == asio::error::operation_aborted));
    BOOST_TEST(p.delivered() == 3u);
  });
}

BOOST_AUTO_TEST_CASE(produce_waiting_past_cancel_after_is_never_produced) {
  test::run(io, [&]() -> asio::awaitable<void> {
    auto p = make_producer({{"queue.buffering.max.messages", "1"}, {"linger.ms", "500"}});
    error_code first;
    error_code second;
    bool done = false;
    p.async_produce(record{topic, 0, {}, "in the queue", {}, {}}, [&](error_code ec, delivery_report) { first = ec; });
    // No room until the first record is delivered, 500 ms from now: the deadline comes first.
    p.async_produce(record{topic, 0, {}, "waiting", {}, {}},
                    asiokafka::cancel_after(20ms, [&](error_code ec, delivery_report) {
                      second = ec;
                      done = true;
                    }));
    co_await p.async_flush(asio::use_awaitable);
    for (int i = 0; i < 10 && !done; ++i) co_await yield();
    BOOST_TEST(!first);
    BOOST_TEST((second == asio::error::operation_aborted));
    BOOST_TEST(p.delivered() == 1u);
  });
}

// The failure's context is the error_info's fields, not only text: the operation, the topic
// and the partition the record was produced to.
BOOST_AUTO_TEST_CASE(fire_and_forget_failures_reach_error_sink) {
  struct failure {
    error_code code;
    std::string operation, topic, line;
    std::int32_t partition;
  };
  std::vector<failure> failures;
  test::run(io, [&]() -> asio::awaitable<void> {
    asiokafka::producer_options opts;
    opts.on_error = [&](const asiokafka::error_info& e) {
      failures.push_back({e.code, std::string(e.operation), std::string(e.topic), e.describe(), e.partition});
    };
    producer p(io.get_executor(),
               test::producer_config(kafka.bootstrap_servers(),
                                     {{"topic.metadata.propagation.max.ms", "200"}, {"message.timeout.ms", "3000"}}),
               opts);
    p.produce(record{topic, 0, {}, "good", {}, {}});
    p.produce(record{topic, 7, {}, "bad partition", {}, {}});
    co_await p.async_flush(asio::use_awaitable);
    BOOST_TEST(p.delivered() == 1u);
    BOOST_TEST(p.failed() == 1u);
  });
  BOOST_REQUIRE_EQUAL(failures.size(), 1u);
  BOOST_TEST((failures[0].code == asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)));
  BOOST_TEST(failures[0].operation == "delivery");
  BOOST_TEST(failures[0].topic == topic);
  BOOST_TEST(failures[0].partition == 7);
  BOOST_TEST(failures[0].line == "delivery " + topic + "[7]");
}

BOOST_AUTO_TEST_CASE(produce_after_close_reports_closed) {
  test::run(io, [&]() -> asio::awaitable<void> {
    auto p = make_producer();
    co_await p.async_close(asio::use_awaitable);
    record r{topic, 0, {}, "late", {}, {}};
    auto [ec, dr] = co_await p.async_produce(std::move(r), asio::as_tuple(asio::use_awaitable));
    BOOST_TEST((ec == asiokafka::error::closed));
  });
}

BOOST_AUTO_TEST_SUITE_END()

// Consumers and producers take the same sink types: one error sink or statistics sink serves
// both, and options spelled with designated initializers keep compiling.
BOOST_AUTO_TEST_SUITE(test_producer_options)

BOOST_AUTO_TEST_CASE(sinks_are_shared_with_the_consumer) {
  int errors = 0;
  asiokafka::producer_options popts{.on_error = [&](const asiokafka::error_info&) { ++errors; },
                                    .on_statistics = [](std::string_view) {}};
  asiokafka::consumer_options copts{.on_error = popts.on_error, .on_statistics = popts.on_statistics};
  static_assert(std::is_same_v<decltype(popts.on_error), asiokafka::error_sink>);
  static_assert(std::is_same_v<decltype(copts.on_statistics), decltype(popts.on_statistics)>);
  copts.on_error({.code = asiokafka::error::closed});
  popts.on_error({.code = asiokafka::error::closed});
  BOOST_TEST(errors == 2);
}

BOOST_AUTO_TEST_SUITE_END()
