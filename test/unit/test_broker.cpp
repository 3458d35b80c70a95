#define BOOST_TEST_MODULE test_broker
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/describe.hpp>

#include <atomic>
#include <future>
#include <map>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::ack_policy;
using asiokafka::broker;
using asiokafka::context;
using asiokafka::message;
using asiokafka::subscriber_options;
using asiokafka::topic_partition_list;
namespace test = asiokafka::test;

namespace shop {
struct person {
  std::string name;
  int age = 0;
  std::optional<std::string> email;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, age, email))

struct greeting {
  std::string text;
};
BOOST_DESCRIBE_STRUCT(greeting, (), (text))
}  // namespace shop

namespace {

struct broker_fixture {
  asiokafka::testing::embedded_kafka kafka;
  asio::io_context io;
  std::string topic = test::unique_name("in");
  std::string group = test::unique_name("g");

  broker_fixture() { kafka.create_topic(topic, 2); }

  asiokafka::broker_options options() {
    asiokafka::broker_options o;
    o.config.bootstrap_servers = kafka.bootstrap_servers();
    o.config.auto_offset_reset = asiokafka::offset_reset::earliest;
    o.graceful_timeout = 2s;
    return o;
  }

  subscriber_options sub(ack_policy ack = ack_policy::ack_after_success) {
    subscriber_options s;
    s.name = "sub";
    s.config.group_id = group;
    s.ack = ack;
    s.retry_backoff = 10ms;
    return s;
  }

  // Produces raw values (no content-type header) to partition 0.
  asio::awaitable<void> produce_raw(const std::vector<std::string>& values, const std::string& to = {}) {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::producer p(ex, test::producer_config(kafka.bootstrap_servers()));
    for (const auto& v : values) p.produce(asiokafka::record{to.empty() ? topic : to, 0, "key", v, {}, {}});
    co_await p.async_flush(asio::use_awaitable);
  }

  // Reads `n` messages of partition 0 of `t` from the beginning.
  asio::awaitable<std::vector<message>> read(const std::string& t, std::size_t n) {
    return test::read_partition0(kafka.bootstrap_servers(), t, n);
  }

  // The group's committed offset of partition 0 of the input topic (-1001 when none).
  asio::awaitable<std::int64_t> committed(int partition = 0) {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::consumer c(ex, test::consumer_config(kafka.bootstrap_servers(), group));
    topic_partition_list q{{topic, partition}};
    auto parts = co_await c.async_committed(std::move(q), {5s}, asio::use_awaitable);
    co_await c.async_close(asio::use_awaitable);
    co_return parts.at(0).offset;
  }

  template <class Drive>
  void run_app(broker& app, Drive drive, std::chrono::seconds timeout = 60s) {
    test::run_app(io, app, std::move(drive), timeout);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_broker, broker_fixture)

BOOST_AUTO_TEST_CASE(typed_handler_receives_decoded_structs) {
  broker app(io.get_executor(), options());
  std::vector<shop::person> seen;
  const auto& stats = app.subscriber<shop::person>({topic}, sub(), [&](shop::person p) -> asio::awaitable<void> {
    seen.push_back(p);
    co_return;
  });
  run_app(app, [&]() -> asio::awaitable<void> {
    std::vector<std::string> values{R"({"name":"ada","age":36})",
                                    R"({"name":"linus","age":54,"email":"l@x","extra":{"ignored":true}})"};
    co_await produce_raw(values);
    BOOST_REQUIRE(co_await test::wait_until([&] { return seen.size() == 2; }, 30s));
  });
  BOOST_TEST(seen.at(0).name == "ada");
  BOOST_TEST(!seen.at(0).email.has_value());
  BOOST_TEST(seen.at(1).age == 54);
  BOOST_TEST(seen.at(1).email.value() == "l@x");
  BOOST_TEST(stats.handled == 2u);
  BOOST_TEST(stats.decode_failed == 0u);
}

BOOST_AUTO_TEST_CASE(handler_forms_context_string_json_raw) {
  broker app(io.get_executor(), options());
  std::string as_string;
  boost::json::value as_json;
  std::int64_t raw_offset = -1;
  std::string ctx_topic;
  app.subscriber<std::string>(
      {topic},
      [&] {
        auto s = sub();
        s.name = "s1";
        s.config.group_id = group + "1";
        return s;
      }(),
      [&](std::string s, context& ctx) -> asio::awaitable<void> {
        as_string = s;
        ctx_topic = std::string(ctx.topic());
        co_return;
      });
  app.subscriber<boost::json::value>(
      {topic},
      [&] {
        auto s = sub();
        s.name = "s2";
        s.config.group_id = group + "2";
        return s;
      }(),
      [&](boost::json::value v) -> asio::awaitable<void> {
        as_json = v;
        co_return;
      });
  app.subscriber<message>(
      {topic},
      [&] {
        auto s = sub();
        s.name = "s3";
        s.config.group_id = group + "3";
        return s;
      }(),
      [&](const message& m) -> asio::awaitable<void> {
        raw_offset = m.offset();
        co_return;
      });
  run_app(app, [&]() -> asio::awaitable<void> {
    std::vector<std::string> values{R"({"a":[1,2]})"};
    co_await produce_raw(values);
    BOOST_REQUIRE(
        co_await test::wait_until([&] { return !as_string.empty() && !as_json.is_null() && raw_offset == 0; }, 30s));
  });
  BOOST_TEST(as_string == R"({"a":[1,2]})");
  BOOST_TEST(ctx_topic == topic);
  BOOST_TEST(as_json.at("a").as_array().size() == 2u);
}

BOOST_AUTO_TEST_CASE(returned_value_goes_to_output_topic_or_reply_to) {
  const auto out = test::unique_name("out");
  const auto reply = test::unique_name("reply");
  kafka.create_topic(out, 1);
  kafka.create_topic(reply, 1);
  broker app(io.get_executor(), options());
  auto s = sub();
  s.output_topic = out;
  app.subscriber<shop::person>({topic}, s, [&](shop::person p) -> asio::awaitable<shop::greeting> {
    co_return shop::greeting{"hello " + p.name};
  });
  std::vector<message> outputs;
  std::vector<message> replies;
  run_app(app, [&]() -> asio::awaitable<void> {
    shop::person ada{"ada", 36, {}};
    co_await app.async_publish(topic, ada, {}, asio::use_awaitable);
    asiokafka::publish_options with_reply;
    with_reply.headers.push_back({"reply-to", reply});
    with_reply.headers.push_back({"correlation-id", "c-1"});
    with_reply.partition = 0;
    shop::person bob{"bob", 7, {}};
    co_await app.async_publish(topic, bob, with_reply, asio::use_awaitable);
    // FastStream's spelling (what FastStream writes).
    shop::person cy{"cy", 9, {}};
    asiokafka::publish_options faststream_style;
    faststream_style.partition = 0;
    faststream_style.correlation_id = "c-2";
    faststream_style.reply_to = reply;
    co_await app.async_publish(topic, cy, faststream_style, asio::use_awaitable);
    outputs = co_await read(out, 1);
    replies = co_await read(reply, 2);
  });
  BOOST_TEST(outputs.at(0).payload() == R"({"text":"hello ada"})");
  BOOST_TEST(outputs.at(0).header("content-type").value().value() == "application/json");
  BOOST_TEST(replies.at(0).payload() == R"({"text":"hello bob"})");
  // Replies carry the request's id in FastStream's spelling, whichever spelling the request used.
  BOOST_TEST(replies.at(0).header("correlation_id").value().value() == "c-1");
  BOOST_TEST(replies.at(1).payload() == R"({"text":"hello cy"})");
  BOOST_TEST(replies.at(1).header("correlation_id").value().value() == "c-2");
  BOOST_TEST(replies.at(1).header("content-type").value().value() == "application/json");
}

BOOST_AUTO_TEST_CASE(poison_messages_are_counted_and_dead_lettered) {
  const auto dlq = test::unique_name("dlq");
  kafka.create_topic(dlq, 1);
  broker app(io.get_executor(), options());
  auto s = sub(ack_policy::reject_on_error);
  s.dead_letter_topic = dlq;
  std::vector<std::string> handled;
  const auto& stats = app.subscriber<shop::person>({topic}, s, [&](shop::person p) -> asio::awaitable<void> {
    if (p.name == "boom") throw std::runtime_error("handler exploded");
    handled.push_back(p.name);
    co_return;
  });
  const std::vector<std::string> values{
      R"({"name":"ok1","age":1})",
      "not json at all",
      R"({"name":"trunc","age":)",
      R"({"name":"wrong","age":"old"})",
      "",
      R"({"name":"boom","age":3})",
      "\xff\xfe{\"name\":\"bin\"}",
      R"({"name":"ok2","age":2,"unknown":1})",
  };
  std::vector<message> dead;
  run_app(app, [&]() -> asio::awaitable<void> {
    co_await produce_raw(values);
    BOOST_REQUIRE(
        co_await test::wait_until([&] { return stats.handled + stats.failed + stats.decode_failed == 8; }, 30s));
    dead = co_await read(dlq, 6);
  });
  BOOST_TEST(handled == (std::vector<std::string>{"ok1", "ok2"}));
  BOOST_TEST(stats.handled == 2u);
  BOOST_TEST(stats.decode_failed == 5u);
  BOOST_TEST(stats.failed == 1u);
  BOOST_TEST(stats.dead_lettered == 6u);
  BOOST_TEST(dead.at(0).payload() == "not json at all");
  BOOST_TEST(dead.at(0).header("x-asiokafka-error-kind").value().value() == "decode");
  BOOST_TEST(dead.at(0).header("x-asiokafka-original-offset").value().value() == "1");
  BOOST_TEST(dead.at(0).key().value() == "key");
  BOOST_TEST(dead.at(2).header("x-asiokafka-error").value().value().find("age") != std::string_view::npos);
  BOOST_TEST(dead.at(4).header("x-asiokafka-error-kind").value().value() == "handler");
  BOOST_TEST(dead.at(4).header("x-asiokafka-error").value().value() == "handler exploded");
  std::int64_t after = 0;
  test::run(io, [&]() -> asio::awaitable<void> { after = co_await committed(); });
  BOOST_TEST(after == 8);  // committed past the poison messages
}

// A tombstone (null value) against an empty value: std::optional<U> subscribers get nullopt
// for the tombstone only; a std::string subscriber cannot tell them apart (both "").
BOOST_AUTO_TEST_CASE(optional_subscribers_tell_tombstones_from_empty_values) {
  broker app(io.get_executor(), options());
  using maybe_text = std::optional<std::string>;
  std::vector<std::optional<shop::person>> people;
  std::vector<maybe_text> texts, batched;
  std::vector<std::string> plain;
  const auto named = [&](std::string name) {
    auto s = sub();
    s.name = name;
    s.config.group_id = group + name;
    return s;
  };
  const auto& people_stats = app.subscriber<std::optional<shop::person>>(
      {topic}, named("people"), [&](std::optional<shop::person> p) -> asio::awaitable<void> {
        people.push_back(std::move(p));
        co_return;
      });
  const auto& text_stats =
      app.subscriber<maybe_text>({topic}, named("texts"), [&](maybe_text t, context&) -> asio::awaitable<void> {
        texts.push_back(std::move(t));
        co_return;
      });
  app.subscriber<maybe_text>({topic}, named("batched"), [&](std::vector<maybe_text> batch) -> asio::awaitable<void> {
    for (auto& t : batch) batched.push_back(std::move(t));
    co_return;
  });
  app.subscriber<std::string>({topic}, named("plain"), [&](std::string t) -> asio::awaitable<void> {
    plain.push_back(std::move(t));
    co_return;
  });
  const std::string ada = R"({"name":"ada","age":36})";
  run_app(app, [&]() -> asio::awaitable<void> {
    asiokafka::producer p(co_await asio::this_coro::executor, test::producer_config(kafka.bootstrap_servers()));
    const std::vector<maybe_text> values{std::nullopt, "", ada, std::nullopt};
    for (const auto& value : values) p.produce(asiokafka::record{topic, 0, "key", value, {}, {}});
    co_await p.async_flush(asio::use_awaitable);
    BOOST_REQUIRE(co_await test::wait_until(
        [&] {
          return people_stats.handled + people_stats.decode_failed == 4 && text_stats.handled == 4 &&
                 batched.size() == 4 && plain.size() == 4;
        },
        30s));
  });
  BOOST_TEST(people_stats.handled == 3u);
  BOOST_TEST(people_stats.decode_failed == 1u);  // the empty value is not JSON
  BOOST_REQUIRE(people.size() == 3u);
  BOOST_TEST(!people[0]);
  BOOST_TEST((people[1] && people[1]->name == "ada" && people[1]->age == 36));
  BOOST_TEST(!people[2]);
  const std::vector<maybe_text> expected{std::nullopt, "", ada, std::nullopt};
  BOOST_TEST((texts == expected));
  BOOST_TEST((batched == expected));
  BOOST_TEST((plain == std::vector<std::string>{"", "", ada, ""}));
}

BOOST_AUTO_TEST_CASE(ack_after_success_counts_failures_and_moves_on) {
  broker app(io.get_executor(), options());
  int calls = 0;
  const auto& stats = app.subscriber<shop::person>({topic}, sub(), [&](shop::person p) -> asio::awaitable<void> {
    ++calls;
    if (p.name == "bad") throw std::runtime_error("cannot handle");
    co_return;
  });
  run_app(app, [&]() -> asio::awaitable<void> {
    std::vector<std::string> values{R"({"name":"bad","age":1})", R"({"name":"good","age":2})"};
    co_await produce_raw(values);
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.handled + stats.failed == 2; }, 30s));
  });
  BOOST_TEST(calls == 2);  // no retry under this policy
  BOOST_TEST(stats.failed == 1u);
  BOOST_TEST(stats.handled == 1u);
  std::int64_t after = 0;
  test::run(io, [&]() -> asio::awaitable<void> { after = co_await committed(); });
  BOOST_TEST(after == 2);  // logged, counted, and not blocking the partition
}

// As FastStream reads them: JSON types, text/plain and no content-type are parsed as JSON;
// another type is a decode failure.
BOOST_AUTO_TEST_CASE(content_types_are_read_as_faststream_reads_them) {
  broker app(io.get_executor(), options());
  std::vector<std::string> names;
  const auto& stats = app.subscriber<shop::person>({topic}, sub(), [&](shop::person p) -> asio::awaitable<void> {
    names.push_back(p.name);
    co_return;
  });
  run_app(app, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::producer p(ex, test::producer_config(kafka.bootstrap_servers()));
    const std::string body = R"({"name":"x","age":1})";
    p.produce(asiokafka::record{topic, 0, {}, body, {{"content-type", "text/plain"}}, {}});
    p.produce(asiokafka::record{topic, 0, {}, body, {{"content-type", "application/json; charset=utf-8"}}, {}});
    p.produce(asiokafka::record{topic, 0, {}, body, {{"content-type", "application/vnd.shop+json"}}, {}});
    p.produce(asiokafka::record{topic, 0, {}, body, {{"content-type", ""}}, {}});  // FastStream's bytes
    p.produce(asiokafka::record{topic, 0, {}, body, {}, {}});
    p.produce(asiokafka::record{topic, 0, {}, body, {{"content-type", "application/x-protobuf"}}, {}});
    co_await p.async_flush(asio::use_awaitable);
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.handled + stats.decode_failed == 6; }, 30s));
  });
  BOOST_TEST(stats.decode_failed == 1u);
  BOOST_TEST(names.size() == 5u);
}

BOOST_AUTO_TEST_CASE(nack_on_error_retries_in_place) {
  broker app(io.get_executor(), options());
  int calls = 0;
  const auto& stats =
      app.subscriber<shop::person>({topic}, sub(ack_policy::nack_on_error), [&](shop::person) -> asio::awaitable<void> {
        if (++calls < 3) throw std::runtime_error("transient");
        co_return;
      });
  run_app(app, [&]() -> asio::awaitable<void> {
    std::vector<std::string> values{R"({"name":"x","age":1})"};
    co_await produce_raw(values);
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.handled == 1u; }, 30s));
  });
  BOOST_TEST(calls == 3);
  BOOST_TEST(stats.retried == 2u);
  BOOST_TEST(stats.failed == 0u);
}

BOOST_AUTO_TEST_CASE(manual_ack_commits_only_acked_prefix) {
  const auto dlq = test::unique_name("dlq");
  kafka.create_topic(dlq, 1);
  broker app(io.get_executor(), options());
  auto s = sub(ack_policy::manual);
  s.dead_letter_topic = dlq;
  int seen = 0;
  app.subscriber<shop::person>({topic}, s, [&](shop::person p, context& ctx) -> asio::awaitable<void> {
    ++seen;
    if (p.name == "reject")
      ctx.reject("not for us");
    else if (p.name != "undecided")
      ctx.ack();
    co_return;
  });
  std::vector<message> dead;
  run_app(app, [&]() -> asio::awaitable<void> {
    std::vector<std::string> values{R"({"name":"a","age":1})", R"({"name":"reject","age":1})",
                                    R"({"name":"b","age":1})", R"({"name":"undecided","age":1})",
                                    R"({"name":"c","age":1})"};
    co_await produce_raw(values);
    BOOST_REQUIRE(co_await test::wait_until([&] { return seen == 5; }, 30s));
    dead = co_await read(dlq, 1);
  });
  BOOST_TEST(dead.at(0).header("x-asiokafka-error").value().value() == "not for us");
  std::int64_t after = 0;
  test::run(io, [&]() -> asio::awaitable<void> { after = co_await committed(); });
  BOOST_TEST(after == 3);  // a, reject (dead-lettered), b; "undecided" holds the partition back
}

BOOST_AUTO_TEST_CASE(graceful_stop_waits_for_in_flight_handler) {
  broker app(io.get_executor(), options());
  bool started = false;
  bool finished = false;
  app.subscriber<shop::person>({topic}, sub(), [&](shop::person) -> asio::awaitable<void> {
    started = true;
    co_await test::sleep_for(500ms);
    finished = true;
  });
  run_app(app, [&]() -> asio::awaitable<void> {
    std::vector<std::string> values{R"({"name":"slow","age":1})"};
    co_await produce_raw(values);
    BOOST_REQUIRE(co_await test::wait_until([&] { return started; }, 30s));
  });  // stop() while the handler sleeps
  BOOST_TEST(finished);
  std::int64_t after = 0;
  test::run(io, [&]() -> asio::awaitable<void> { after = co_await committed(); });
  BOOST_TEST(after == 1);
}

BOOST_AUTO_TEST_CASE(ack_first_commits_even_when_handler_never_finishes) {
  auto o = options();
  o.graceful_timeout = 300ms;
  broker app(io.get_executor(), o);
  bool started = false;
  asio::steady_timer forever(io, std::chrono::hours(1));
  app.subscriber<shop::person>({topic}, sub(ack_policy::ack_first), [&](shop::person) -> asio::awaitable<void> {
    started = true;
    co_await forever.async_wait(asio::use_awaitable);
  });
  run_app(app, [&]() -> asio::awaitable<void> {
    std::vector<std::string> values{R"({"name":"stuck","age":1})"};
    co_await produce_raw(values);
    BOOST_REQUIRE(co_await test::wait_until([&] { return started; }, 30s));
  });
  forever.cancel();
  std::int64_t after = 0;
  test::run(io, [&]() -> asio::awaitable<void> { after = co_await committed(); });
  BOOST_TEST(after == 1);  // at-most-once: stored before the handler ran
}

BOOST_AUTO_TEST_CASE(custom_decoders_per_subscriber_and_broker) {
  // Broker-wide decoder: payloads are "name;age" envelopes, turned into JSON values that each
  // typed subscriber converts to its type.
  auto o = options();
  o.decoder = [](const message& m) -> boost::json::value {
    const std::string_view p = m.payload();
    const auto semi = p.find(';');
    if (semi == std::string_view::npos) throw std::invalid_argument("no ';' in the envelope");
    const std::string_view age = p.substr(semi + 1);
    boost::json::object out;
    out["name"] = p.substr(0, semi);
    if (!age.empty() && age.find_first_not_of("0123456789") == std::string_view::npos)
      out["age"] = std::stoi(std::string(age));
    else
      out["age"] = age;  // not a number: the conversion to person names the field
    return out;
  };
  test::log_capture logs;
  o.log = logs.sink();
  broker app(io.get_executor(), o);
  auto named = [&](const char* name) {
    auto s = sub();
    s.name = name;
    s.config.group_id = group + name;
    return s;
  };
  std::vector<shop::person> typed_seen;
  std::vector<shop::person> own_seen;
  std::vector<std::string> bytes_seen;
  const auto& typed =
      app.subscriber<shop::person>({topic}, named("typed"), [&](shop::person p) -> asio::awaitable<void> {
        typed_seen.push_back(p);
        co_return;
      });
  // A subscriber's own decoder beats the broker's.
  const auto& own = app.subscriber<shop::person>(
      {topic}, named("own"),
      [&](shop::person p) -> asio::awaitable<void> {
        own_seen.push_back(p);
        co_return;
      },
      [](const message& m) {
        if (m.payload().starts_with('!')) throw std::runtime_error("refused by the subscriber's decoder");
        return shop::person{std::string(m.payload()), static_cast<int>(m.payload().size()), {}};
      });
  // Strings are the payload bytes, whatever the broker decodes.
  const auto& bytes = app.subscriber<std::string>({topic}, named("bytes"), [&](std::string s) -> asio::awaitable<void> {
    bytes_seen.push_back(s);
    co_return;
  });
  run_app(app, [&]() -> asio::awaitable<void> {
    std::vector<std::string> values{"ada;36", "linus;x", "garbage", "!bang;1"};
    co_await produce_raw(values);
    BOOST_REQUIRE(co_await test::wait_until(
        [&] {
          return typed.handled + typed.decode_failed == 4 && own.handled + own.decode_failed == 4 && bytes.handled == 4;
        },
        30s));
  });
  BOOST_REQUIRE(typed_seen.size() == 2u);
  BOOST_TEST(typed_seen[0].name == "ada");
  BOOST_TEST(typed_seen[0].age == 36);
  BOOST_TEST(typed_seen[1].name == "!bang");
  BOOST_TEST(typed.decode_failed == 2u);
  BOOST_REQUIRE(own_seen.size() == 3u);
  BOOST_TEST(own_seen[1].name == "linus;x");
  BOOST_TEST(own_seen[1].age == 7);
  BOOST_TEST(own.decode_failed == 1u);
  BOOST_TEST(bytes_seen == (std::vector<std::string>{"ada;36", "linus;x", "garbage", "!bang;1"}),
             boost::test_tools::per_element());
  BOOST_TEST(logs.contains("field \"age\""));
  BOOST_TEST(logs.contains("broker decoder: no ';' in the envelope"));
  BOOST_TEST(logs.contains("refused by the subscriber's decoder"));
}

BOOST_AUTO_TEST_CASE(startup_and_shutdown_hooks_run_around_the_subscribers) {
  broker app(io.get_executor(), options());
  std::vector<std::string> events;
  app.on_startup([&]() -> asio::awaitable<void> {
    co_await test::sleep_for(50ms);  // a coroutine: the next hook waits for it
    events.push_back("startup 1");
  });
  app.on_startup([&]() -> asio::awaitable<void> {
    events.push_back("startup 2");
    co_return;
  });
  app.subscriber<shop::person>({topic}, sub(), [&](shop::person p) -> asio::awaitable<void> {
    events.push_back("handled " + p.name);
    co_return;
  });
  app.on_shutdown([&]() -> asio::awaitable<void> {
    events.push_back("shutdown");
    co_return;
  });
  run_app(app, [&]() -> asio::awaitable<void> {
    std::vector<std::string> values{R"({"name":"ada","age":36})"};
    co_await produce_raw(values);
    BOOST_REQUIRE(co_await test::wait_until([&] { return events.size() == 3; }, 30s));
  });
  BOOST_TEST(events == (std::vector<std::string>{"startup 1", "startup 2", "handled ada", "shutdown"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(failing_startup_hook_ends_the_run_before_any_subscriber_starts) {
  auto o = options();
  test::log_capture logs;
  o.log = logs.sink();
  broker app(io.get_executor(), o);
  bool later_startup = false;
  bool handled = false;
  bool shutdown = false;
  const std::string out = test::unique_name("out");
  kafka.create_topic(out, 1);
  app.on_startup([&]() -> asio::awaitable<void> {
    // Published without waiting, then the hook fails: the record is still flushed.
    app.async_publish(out, std::string("published by the failing hook"), {}, asio::detached);
    throw std::runtime_error("database unreachable");
    co_return;
  });
  app.on_startup([&]() -> asio::awaitable<void> {
    later_startup = true;
    co_return;
  });
  app.subscriber<shop::person>({topic}, sub(), [&](shop::person) -> asio::awaitable<void> {
    handled = true;
    co_return;
  });
  app.on_shutdown([&]() -> asio::awaitable<void> {
    shutdown = true;
    co_return;
  });
  asiokafka::error_code ec;
  test::run(io, [&]() -> asio::awaitable<void> {
    std::vector<std::string> values{R"({"name":"ada","age":36})"};
    co_await produce_raw(values);
    auto [e] = co_await app.async_run(asio::as_tuple(asio::use_awaitable));
    ec = e;
  });
  BOOST_TEST((ec == asiokafka::error::hook_failed));
  BOOST_TEST(!later_startup);
  BOOST_TEST(!handled);
  BOOST_TEST(!shutdown);
  BOOST_TEST(logs.contains("startup hook #1 failed: database unreachable"));
  std::vector<message> published;
  test::run(io, [&]() -> asio::awaitable<void> { published = co_await read(out, 1); });
  BOOST_TEST(published.at(0).payload() == "published by the failing hook");
}

BOOST_AUTO_TEST_CASE(failing_shutdown_hook_is_reported_and_the_others_still_run) {
  auto o = options();
  test::log_capture logs;
  o.log = logs.sink();
  broker app(io.get_executor(), o);
  std::size_t handled = 0;
  bool second_shutdown = false;
  app.subscriber<shop::person>({topic}, sub(), [&](shop::person) -> asio::awaitable<void> {
    ++handled;
    co_return;
  });
  app.on_shutdown([]() -> asio::awaitable<void> {
    throw std::runtime_error("flush to audit log failed");
    co_return;
  });
  app.on_shutdown([&]() -> asio::awaitable<void> {
    second_shutdown = true;
    co_return;
  });
  const auto ec = test::run_app_for_result(io, app, [&]() -> asio::awaitable<void> {
    std::vector<std::string> values{R"({"name":"ada","age":36})"};
    co_await produce_raw(values);
    BOOST_REQUIRE(co_await test::wait_until([&] { return handled == 1; }, 30s));
  });
  BOOST_TEST((ec == asiokafka::error::hook_failed));
  BOOST_TEST(second_shutdown);
  BOOST_TEST(logs.contains("shutdown hook #1 failed: flush to audit log failed"));
}

// Two brokers on one io_context are independent: each runs its subscribers, and stopping
// one leaves the other consuming.
BOOST_AUTO_TEST_CASE(two_brokers_share_one_io_context) {
  broker first(io.get_executor(), options());
  broker second(io.get_executor(), options());
  std::vector<std::string> first_seen;
  std::vector<std::string> second_seen;
  auto in_group = [&](const std::string& g) {
    auto s = sub();
    s.config.group_id = g;
    return s;
  };
  first.subscriber<std::string>({topic}, in_group(group + "-a"), [&](std::string v) -> asio::awaitable<void> {
    first_seen.push_back(v);
    co_return;
  });
  second.subscriber<std::string>({topic}, in_group(group + "-b"), [&](std::string v) -> asio::awaitable<void> {
    second_seen.push_back(v);
    co_return;
  });
  asiokafka::error_code first_ec = asiokafka::error::closed;
  asiokafka::error_code second_ec = asiokafka::error::closed;
  bool first_done = false;
  test::run(io, [&]() -> asio::awaitable<void> {
    first.async_run([&](asiokafka::error_code ec) {
      first_ec = ec;
      first_done = true;
    });
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          std::vector<std::string> before{"1", "2"};
          co_await produce_raw(before);
          BOOST_REQUIRE(
              co_await test::wait_until([&] { return first_seen.size() == 2 && second_seen.size() == 2; }, 30s));
          first.stop();
          BOOST_REQUIRE(co_await test::wait_until([&] { return first_done; }, 30s));
          std::vector<std::string> after{"3"};
          co_await produce_raw(after);
          BOOST_REQUIRE(co_await test::wait_until([&] { return second_seen.size() == 3; }, 30s));
          second.stop();
        },
        asio::detached);
    auto [ec] = co_await second.async_run(asio::as_tuple(asio::use_awaitable));
    second_ec = ec;
  });
  BOOST_TEST(!first_ec);
  BOOST_TEST(!second_ec);
  BOOST_TEST(first_seen == (std::vector<std::string>{"1", "2"}), boost::test_tools::per_element());
  BOOST_TEST(second_seen == (std::vector<std::string>{"1", "2", "3"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(middlewares_wrap_handlers_in_order) {
  broker app(io.get_executor(), options());
  std::vector<std::string> trace;
  auto mw = [&](std::string name) {
    return [&trace, name](context&, std::function<asio::awaitable<void>()> next) -> asio::awaitable<void> {
      trace.push_back(name + ">");
      co_await next();
      trace.push_back("<" + name);
    };
  };
  app.use(mw("outer"));
  app.use(mw("inner"));
  app.subscriber<shop::person>({topic}, sub(), [&](shop::person) -> asio::awaitable<void> {
    trace.push_back("handler");
    co_return;
  });
  run_app(app, [&]() -> asio::awaitable<void> {
    std::vector<std::string> values{R"({"name":"m","age":1})"};
    co_await produce_raw(values);
    BOOST_REQUIRE(co_await test::wait_until([&] { return trace.size() == 5; }, 30s));
  });
  BOOST_TEST(trace == (std::vector<std::string>{"outer>", "inner>", "handler", "<inner", "<outer"}));
}

BOOST_AUTO_TEST_CASE(bad_configuration_fails_at_startup) {
  broker app(io.get_executor(), options());
  app.subscriber<shop::person>({topic}, sub(ack_policy::reject_on_error),
                               [](shop::person) -> asio::awaitable<void> { co_return; });
  BOOST_CHECK_EXCEPTION(app.explain(), asiokafka::config_error, [](const asiokafka::config_error& e) {
    return e.key() == "dead_letter_topic" && e.subscriber() == "sub";
  });

  broker twins(io.get_executor(), options());
  auto a = sub();
  a.name = "a";
  a.config.group_instance_id = "same";
  auto b = sub();
  b.name = "b";
  b.config.group_instance_id = "same";
  twins.subscriber<shop::person>({topic}, a, [](shop::person) -> asio::awaitable<void> { co_return; });
  twins.subscriber<shop::person>({topic}, b, [](shop::person) -> asio::awaitable<void> { co_return; });
  try {
    twins.explain();
    BOOST_FAIL("duplicate static ids were accepted");
  } catch (const asiokafka::config_error& e) {
    const std::string what = e.what();
    BOOST_TEST_MESSAGE(what);
    BOOST_TEST(what.find("\"a\"") != std::string::npos);
    BOOST_TEST(what.find("\"b\"") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(batch_subscriber_refuses_manual_exactly_once_and_empty_limits_at_startup) {
  const auto batch_handler = [](std::vector<shop::person>) -> asio::awaitable<void> { co_return; };
  const auto refused = [&](subscriber_options s, const std::string& key) {
    broker app(io.get_executor(), options());
    s.name = "batcher";
    app.subscriber<shop::person>({topic}, s, batch_handler);
    try {
      app.explain();
      BOOST_ERROR(key << " was accepted");
    } catch (const asiokafka::config_error& e) {
      BOOST_TEST_MESSAGE(e.what());
      BOOST_TEST(e.key() == key);
      BOOST_TEST(e.subscriber() == "batcher");
    }
  };
  refused(sub(ack_policy::manual), "ack");
  auto eos = sub();
  eos.guarantee = asiokafka::processing_guarantee::exactly_once;
  eos.config.transactional_id = "tx";
  refused(eos, "guarantee");
  auto empty = sub();
  empty.batch.max_records = 0;
  refused(empty, "batch.max_records");
  auto no_wait = sub();
  no_wait.batch.max_wait = 0ms;
  refused(no_wait, "batch.max_wait");
  // The same options with a per-record handler are fine (batch options are not used).
  broker per_record(io.get_executor(), options());
  per_record.subscriber<shop::person>({topic}, empty, [](shop::person) -> asio::awaitable<void> { co_return; });
  BOOST_CHECK_NO_THROW(per_record.explain());
}

BOOST_AUTO_TEST_CASE(subscribers_on_multithreaded_context_never_overlap_themselves) {
  asio::thread_pool pool(4);
  broker app(pool.get_executor(), options());
  std::atomic<int> running_a{0}, running_b{0}, overlap{0}, done{0};
  auto handler = [&](std::atomic<int>& running) {
    return [&](shop::person) -> asio::awaitable<void> {
      if (++running > 1) ++overlap;
      co_await test::sleep_for(1ms);
      --running;
      ++done;
    };
  };
  auto a = sub();
  a.name = "a";
  a.config.group_id = group + "a";
  auto b = sub();
  b.name = "b";
  b.config.group_id = group + "b";
  app.subscriber<shop::person>({topic}, a, handler(running_a));
  app.subscriber<shop::person>({topic}, b, handler(running_b));
  std::promise<void> finished;
  app.async_run([&](asiokafka::error_code) { finished.set_value(); });
  // The test's own producer is not thread-safe either: its coroutine gets a strand.
  asio::co_spawn(
      asio::make_strand(pool),
      [&]() -> asio::awaitable<void> {
        std::vector<std::string> values(100, R"({"name":"p","age":1})");
        co_await produce_raw(values);
        co_await test::wait_until([&] { return done == 200; }, 30s);
        app.stop();
      },
      asio::detached);
  BOOST_REQUIRE((finished.get_future().wait_for(60s) == std::future_status::ready));
  pool.join();
  BOOST_TEST(done == 200);
  BOOST_TEST(overlap == 0);
}

BOOST_AUTO_TEST_SUITE_END()
