// Request/reply, correlation ids and trace propagation through the broker layer, on the
// embedded Kafka. (Against FastStream itself: test/faststream.)
#define BOOST_TEST_MODULE test_request_reply
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/cancel_after.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/describe.hpp>

#include <iostream>
#include <mutex>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::broker;
using asiokafka::context;
using asiokafka::message;
using asiokafka::span_event;
using asiokafka::trace_context;
namespace test = asiokafka::test;

namespace shop {
struct question {
  std::string text;
  int n = 0;
};
BOOST_DESCRIBE_STRUCT(question, (), (text, n))
struct answer {
  std::string text;
  int n = 0;
};
BOOST_DESCRIBE_STRUCT(answer, (), (text, n))
}  // namespace shop

namespace {

const asiokafka::publish_options first_partition{.partition = 0};
const std::string incoming_traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

struct recorded_span {
  span_event::kind kind;
  span_event::phase phase;
  std::string name;
  std::string trace_id;
  std::string span_id;
  std::string parent;
  std::string correlation_id;
  asiokafka::error_code error;
};

struct fixture {
  asiokafka::testing::embedded_kafka kafka;
  asio::io_context io;
  std::string topic = test::unique_name("requests");
  std::string replies = test::unique_name("replies");
  std::string group = test::unique_name("g");
  test::log_capture logs;
  std::mutex spans_mutex;
  std::vector<recorded_span> spans;

  fixture() {
    kafka.create_topic(topic, 2);
    kafka.create_topic(replies, 1);
  }

  asiokafka::broker_options options() {
    asiokafka::broker_options o;
    o.config.bootstrap_servers = kafka.bootstrap_servers();
    o.config.auto_offset_reset = asiokafka::offset_reset::earliest;
    o.graceful_timeout = 2s;
    o.reply_topic = replies;
    o.log = logs.sink();
    o.on_span = [this](const span_event& e) {
      std::lock_guard lock(spans_mutex);
      spans.push_back({e.span_kind, e.span_phase, std::string(e.name), e.context->trace_id_hex(),
                       e.context->span_id_hex(),
                       e.parent_span_id ? trace_context::hex(*e.parent_span_id) : std::string(),
                       std::string(e.correlation_id), e.error});
    };
    return o;
  }

  asiokafka::subscriber_options sub(std::string name = "responder") {
    asiokafka::subscriber_options s;
    s.name = std::move(name);
    s.config.group_id = group;
    return s;
  }

  // Reads `n` messages of partition 0 of `t` from the beginning.
  asio::awaitable<std::vector<message>> read(const std::string& t, std::size_t n) {
    return test::read_partition0(kafka.bootstrap_servers(), t, n);
  }

  // Produces one record to partition 0 as another client would, headers as given.
  asio::awaitable<void> produce_raw(const std::string& t, std::string value, std::vector<asiokafka::header> headers) {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::producer p(ex, test::producer_config(kafka.bootstrap_servers()));
    asiokafka::record r;
    r.topic = t;
    r.partition = 0;
    r.value = std::move(value);
    r.headers = std::move(headers);
    co_await p.async_produce(std::move(r), asio::use_awaitable);
    co_await p.async_close(asio::use_awaitable);
  }

  // test::run stops the io_context when its coroutine ends; what stop() started (closing the
  // publisher and the reply consumer) finishes here, as it would in an application that runs
  // its io_context until it runs out of work.
  void finish_stopping() {
    io.restart();
    io.run_for(30s);
    BOOST_TEST(io.stopped(), "the broker's close did not finish");
  }

  std::string header(const message& m, std::string_view name) {
    auto h = m.header(name);
    return h && h->has_value() ? std::string(**h) : std::string("<none>");
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_request_reply, fixture)

BOOST_AUTO_TEST_CASE(requests_in_flight_get_their_own_replies) {
  broker app(io.get_executor(), options());
  app.subscriber<shop::question>({topic}, sub(), [](shop::question q) -> asio::awaitable<shop::answer> {
    co_return shop::answer{"re: " + q.text, q.n * 2};
  });
  constexpr int requests = 50;
  int matched = 0;
  test::run_app(
      io, app,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        int done = 0;
        for (int i = 0; i < requests; ++i)
          asio::co_spawn(
              ex,
              [&, i]() -> asio::awaitable<void> {
                shop::question value1{"q" + std::to_string(i), i};  // a local across co_await (GCC 12)
                asiokafka::request_options ro;
                ro.timeout = 30s;
                auto [ec, a] =
                    co_await app.async_request<shop::answer>(topic, value1, ro, asio::as_tuple(asio::use_awaitable));
                BOOST_TEST(!ec, ec.message());
                if (!ec && a.n == 2 * i && a.text == "re: q" + std::to_string(i)) ++matched;
                ++done;
              },
              asio::detached);
        BOOST_REQUIRE(co_await test::wait_until([&] { return done == requests; }, 60s));
      },
      90s);
  std::cout << "requests " << requests << ", replies matched " << matched << ", handled by the responder "
            << app.stats("responder")->handled << ", unmatched replies " << app.requests().unmatched_replies << "\n";
  BOOST_TEST(matched == requests);
  BOOST_TEST(app.requests().sent == std::uint64_t(requests));
  BOOST_TEST(app.requests().answered == std::uint64_t(requests));
  BOOST_TEST(app.requests().unmatched_replies == 0u);
}

BOOST_AUTO_TEST_CASE(unanswered_request_times_out_and_its_late_reply_is_counted) {
  broker app(io.get_executor(), options());
  const auto nobody = test::unique_name("nobody");
  kafka.create_topic(nobody, 1);
  test::run(io, [&]() -> asio::awaitable<void> {
    const auto started = std::chrono::steady_clock::now();
    shop::question q{"anyone?", 1};
    asiokafka::request_options ro;
    ro.timeout = 500ms;
    ro.correlation_id = "late-1";
    auto [ec, a] = co_await app.async_request<shop::answer>(nobody, q, ro, asio::as_tuple(asio::use_awaitable));
    const auto waited = std::chrono::steady_clock::now() - started;
    BOOST_TEST((ec == asiokafka::error::timeout), ec.message());
    BOOST_TEST((waited >= 500ms && waited < 1500ms));
    // A reply after the timeout, and one nobody asked for.
    shop::answer value2{std::string("too late"), 1};  // a local across co_await (GCC 12)
    asiokafka::publish_options late;
    late.correlation_id = "late-1";
    co_await app.async_publish(replies, value2, late, asio::use_awaitable);
    shop::answer value3{std::string("who?"), 2};  // a local across co_await (GCC 12)
    asiokafka::publish_options unknown;
    unknown.correlation_id = "never-sent";
    co_await app.async_publish(replies, value3, unknown, asio::use_awaitable);
    BOOST_REQUIRE(co_await test::wait_until(
        [&] { return app.requests().late_replies == 1u && app.requests().unmatched_replies == 1u; }, 30s));
    app.stop();
  });
  finish_stopping();
  BOOST_TEST(app.requests().timed_out == 1u);
  BOOST_TEST(logs.contains("never-sent"));
  BOOST_TEST(logs.contains("late reply"));
}

BOOST_AUTO_TEST_CASE(cancelled_request_completes_at_once_with_operation_aborted) {
  broker app(io.get_executor(), options());
  const auto nobody = test::unique_name("nobody");
  kafka.create_topic(nobody, 1);
  test::run(io, [&]() -> asio::awaitable<void> {
    shop::question q{"anyone?", 1};
    asiokafka::request_options ro;
    ro.timeout = 30s;
    auto [ec, a] = co_await app.async_request<shop::answer>(
        nobody, q, ro, asiokafka::cancel_after(200ms, asio::as_tuple(asio::use_awaitable)));
    BOOST_TEST((ec == asio::error::operation_aborted), ec.message());
    app.stop();
  });
  finish_stopping();
  BOOST_TEST(app.requests().cancelled == 1u);
  BOOST_TEST(app.requests().timed_out == 0u);
}

BOOST_AUTO_TEST_CASE(handler_publishes_carry_the_correlation_id_and_a_child_span) {
  const auto out = test::unique_name("out");
  kafka.create_topic(out, 1);
  broker app(io.get_executor(), options());
  std::string seen_correlation;
  std::string handling_span;
  app.subscriber<shop::question>(
      {topic}, sub("forwarder"), [&](shop::question q, context& ctx) -> asio::awaitable<void> {
        seen_correlation = std::string(ctx.correlation_id().value_or(std::string_view("<none>")));
        handling_span = ctx.trace().span_id_hex();
        shop::answer value4{q.text, q.n};  // a local across co_await (GCC 12)
        co_await ctx.publish(out, value4);
      });
  std::vector<message> forwarded;
  test::run_app(io, app, [&]() -> asio::awaitable<void> {
    // As another service writes it.
    std::vector<asiokafka::header> headers;
    headers.push_back({"traceparent", incoming_traceparent});
    headers.push_back({"correlation_id", "chain-1"});
    co_await produce_raw(topic, R"({"text":"hi","n":1})", std::move(headers));
    forwarded = co_await read(out, 1);
  });
  BOOST_TEST(seen_correlation == "chain-1");
  const auto& m = forwarded.at(0);
  BOOST_TEST(header(m, "correlation_id") == "chain-1");
  BOOST_TEST(header(m, "content-type") == "application/json");
  const auto outgoing = trace_context::parse(header(m, "traceparent"));
  BOOST_REQUIRE(outgoing);
  BOOST_TEST(outgoing->trace_id_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");  // the same trace
  BOOST_TEST(outgoing->span_id_hex() != "00f067aa0ba902b7");

  // Spans: the handling is a child of the incoming span, the publish a child of the handling,
  // and the record's traceparent is the publish span.
  std::lock_guard lock(spans_mutex);
  const recorded_span* process = nullptr;
  const recorded_span* publish = nullptr;
  for (const auto& s : spans) {
    if (s.phase != span_event::phase::end || s.trace_id != "4bf92f3577b34da6a3ce929d0e0e4736") continue;
    if (s.kind == span_event::kind::process) process = &s;
    if (s.kind == span_event::kind::publish) publish = &s;
  }
  BOOST_REQUIRE(process);
  BOOST_REQUIRE(publish);
  BOOST_TEST(process->name == topic + " process");
  BOOST_TEST(process->parent == "00f067aa0ba902b7");
  BOOST_TEST(process->span_id == handling_span);
  BOOST_TEST(process->correlation_id == "chain-1");
  BOOST_TEST(publish->name == out + " publish");
  BOOST_TEST(publish->parent == process->span_id);
  BOOST_TEST(publish->span_id == outgoing->span_id_hex());
}

BOOST_AUTO_TEST_CASE(malformed_traceparent_is_counted_and_starts_a_new_trace) {
  const auto out = test::unique_name("out");
  kafka.create_topic(out, 1);
  broker app(io.get_executor(), options());
  const auto& stats = app.subscriber<shop::question>(
      {topic}, sub("forwarder"), [&](shop::question q, context& ctx) -> asio::awaitable<void> {
        shop::answer value6{q.text, q.n};  // a local across co_await (GCC 12)
        co_await ctx.publish(out, value6);
      });
  std::vector<message> forwarded;
  test::run_app(io, app, [&]() -> asio::awaitable<void> {
    std::vector<asiokafka::header> headers;
    headers.push_back({"traceparent", "00-zz-1"});
    co_await produce_raw(topic, R"({"text":"bad","n":1})", std::move(headers));
    shop::question value8{std::string("good"), 2};  // a local across co_await (GCC 12)
    co_await app.async_publish(topic, value8, first_partition, asio::use_awaitable);
    forwarded = co_await read(out, 2);
  });
  BOOST_TEST(stats.invalid_trace_context == 1u);
  BOOST_TEST(stats.handled == 2u);
  BOOST_TEST(logs.contains("malformed traceparent \"00-zz-1\""));
  BOOST_TEST(trace_context::parse(header(forwarded.at(0), "traceparent")).has_value());
}

BOOST_AUTO_TEST_CASE(result_with_nowhere_to_go_is_counted_and_not_a_failure) {
  broker app(io.get_executor(), options());
  const auto& stats =
      app.subscriber<shop::question>({topic}, sub(), [](shop::question q) -> asio::awaitable<shop::answer> {
        co_return shop::answer{q.text, q.n};
      });
  test::run_app(io, app, [&]() -> asio::awaitable<void> {
    shop::question value9{std::string("x"), 1};  // a local across co_await (GCC 12)
    co_await app.async_publish(topic, value9, first_partition, asio::use_awaitable);
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.handled == 1u; }, 30s));
  });
  BOOST_TEST(stats.replies_unroutable == 1u);
  BOOST_TEST(stats.failed == 0u);
  BOOST_TEST(logs.contains("has nowhere to go (no reply_to header, no output_topic)"));
  BOOST_TEST(logs.contains(topic + "[0]@0"));
}

BOOST_AUTO_TEST_CASE(reply_to_an_invalid_topic_is_a_counted_handler_failure) {
  broker app(io.get_executor(), options());
  const auto& stats =
      app.subscriber<shop::question>({topic}, sub(), [](shop::question q) -> asio::awaitable<shop::answer> {
        co_return shop::answer{q.text, q.n};
      });
  test::run_app(io, app, [&]() -> asio::awaitable<void> {
    shop::question value10{std::string("x"), 1};  // a local across co_await (GCC 12)
    asiokafka::publish_options to_bad;
    to_bad.partition = 0;
    to_bad.reply_to = "bad topic!";
    co_await app.async_publish(topic, value10, to_bad, asio::use_awaitable);
    shop::question value11{std::string("y"), 2};  // a local across co_await (GCC 12)
    asiokafka::publish_options to_good;
    to_good.partition = 0;
    to_good.reply_to = replies;
    co_await app.async_publish(topic, value11, to_good, asio::use_awaitable);
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.handled + stats.failed == 2u; }, 30s));
  });
  BOOST_TEST(stats.replies_failed == 1u);
  BOOST_TEST(stats.failed == 1u);
  BOOST_TEST(stats.handled == 1u);
  BOOST_TEST(logs.contains("invalid topic \"bad topic!\""));
  // The failed handling's span ends with the error; the good one's without.
  std::lock_guard lock(spans_mutex);
  int failed_spans = 0;
  int good_spans = 0;
  for (const auto& s : spans)
    if (s.kind == span_event::kind::process && s.phase == span_event::phase::end)
      (s.error == asiokafka::error::handler_failed ? failed_spans : good_spans)++;
  BOOST_TEST(failed_spans == 1);
  BOOST_TEST(good_spans == 1);
}

BOOST_AUTO_TEST_CASE(stop_without_async_run_closes_publisher_and_reply_consumer) {
  // A broker used only to publish and request: stop() flushes and closes what it opened, and
  // the io_context then runs out of work by itself.
  broker app(io.get_executor(), options());
  app.subscriber<shop::question>({topic}, sub(), [](shop::question q) -> asio::awaitable<shop::answer> {
    co_return shop::answer{q.text, q.n};
  });
  bool published = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        shop::question q{"ping", 1};
        co_await app.async_publish(topic, q, first_partition, asio::use_awaitable);
        asiokafka::request_options ro;
        ro.timeout = 300ms;
        auto [ec, a] = co_await app.async_request<shop::answer>(topic, q, ro, asio::as_tuple(asio::use_awaitable));
        BOOST_TEST((ec == asiokafka::error::timeout));  // nobody runs the subscriber
        published = true;
        app.stop();
        app.stop();  // twice: the second finds the first closing
      },
      asio::detached);
  const auto started = std::chrono::steady_clock::now();
  io.run_for(60s);
  BOOST_TEST(published);
  BOOST_TEST(io.stopped(), "work left on the io_context after stop()");
  BOOST_TEST((std::chrono::steady_clock::now() - started < 30s));
  BOOST_TEST(!logs.contains("closing the reply consumer"));  // no close raced another
}

BOOST_AUTO_TEST_SUITE_END()
