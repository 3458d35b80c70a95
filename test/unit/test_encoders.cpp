// Encoders, the other half of decoders: a publisher's own (message_encoder<T>) and the broker's
// (broker_options::encoder), writing the record's value and its content-type header; an
// encoder that throws fails its publish with error::encode_failed and produces nothing. On
// the embedded Kafka. (A protobuf round trip through a broker: example/protobuf_orders.)
#define BOOST_TEST_MODULE test_encoders
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <asiokafka/consumer.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/describe.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::broker;
using asiokafka::context;
using asiokafka::error;
using asiokafka::message;
using asiokafka::span_event;
namespace test = asiokafka::test;

namespace shop {
struct person {
  std::string name;
  int age = 0;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, age))

struct reading {
  double value = 0;
};
BOOST_DESCRIBE_STRUCT(reading, (), (value))
}  // namespace shop

namespace {

// Named, for co_await expressions (GCC 12 mis-destroys braced temporaries there).
const asiokafka::publish_options none;

constexpr std::string_view person_type = "text/x-person";

// "name;age", the encoding of the tests' own content type; refuses negative ages.
std::string encode_person(const shop::person& p) {
  if (p.age < 0) throw std::invalid_argument("a person's age cannot be negative");
  return p.name + ";" + std::to_string(p.age);
}

// Its decoder: reads only what carries its content type.
shop::person decode_person(const message& m) {
  const auto ct = asiokafka::wire::content_type(m);
  if (ct != person_type)
    throw asiokafka::decode_failure("expected " + std::string(person_type) + ", got " +
                                    std::string(ct.value_or("no content type")));
  const std::string_view p = m.payload();
  const auto semi = p.find(';');
  if (semi == std::string_view::npos) throw asiokafka::decode_failure("no ';'");
  return shop::person{std::string(p.substr(0, semi)), std::stoi(std::string(p.substr(semi + 1)))};
}

const asiokafka::message_encoder<shop::person> person_encoder{std::string(person_type), encode_person};

std::string header(const message& m, std::string_view name) {
  auto h = m.header(name);
  return h && h->has_value() ? std::string(**h) : std::string("<none>");
}

struct recorded_span {
  span_event::kind kind;
  span_event::phase phase;
  std::string topic;
  asiokafka::error_code error;
  std::string error_text;
};

struct fixture {
  asiokafka::testing::embedded_kafka kafka;
  asio::io_context io;
  std::string topic = test::unique_name("people");
  std::string group = test::unique_name("g");
  test::log_capture logs;
  std::mutex spans_mutex;
  std::vector<recorded_span> spans;

  fixture() { kafka.create_topic(topic, 1); }

  asiokafka::broker_options options() {
    asiokafka::broker_options o;
    o.config.bootstrap_servers = kafka.bootstrap_servers();
    o.config.auto_offset_reset = asiokafka::offset_reset::earliest;
    o.graceful_timeout = 2s;
    o.log = logs.sink();
    o.on_span = [this](const span_event& e) {
      std::lock_guard lock(spans_mutex);
      spans.push_back({e.span_kind, e.span_phase, std::string(e.topic), e.error, std::string(e.error_text)});
    };
    return o;
  }

  asiokafka::subscriber_options sub(const std::string& name) {
    asiokafka::subscriber_options s;
    s.name = name;
    s.config.group_id = group + name;
    return s;
  }

  asio::awaitable<std::vector<message>> read(const std::string& t, std::size_t n) {
    return test::read_partition0(kafka.bootstrap_servers(), t, n);
  }

  // The error text of the end of the publish span to `t` that failed with `ec`, or "<none>".
  std::string failed_publish_span(const std::string& t, asiokafka::error_code ec) {
    std::lock_guard lock(spans_mutex);
    for (const auto& s : spans)
      if (s.kind == span_event::kind::publish && s.phase == span_event::phase::end && s.topic == t && s.error == ec)
        return s.error_text;
    return "<none>";
  }

  void finish_stopping() {
    io.restart();
    io.run_for(30s);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_encoders, fixture)

// The record a publish makes, without a broker: the encoder's bytes and content type; an
// explicit content type still wins; what an encoder throws is kept, nothing is encoded.
BOOST_AUTO_TEST_CASE(outbound_records_carry_what_the_encoder_wrote) {
  using asiokafka::detail::make_outbound;
  auto own = make_outbound("t", shop::person{"ada", 36}, {}, {}, &person_encoder);
  BOOST_TEST(own.rec.value.value() == "ada;36");
  BOOST_TEST(own.content_type.value() == person_type);
  BOOST_TEST(!own.encode_failure);
  auto overridden =
      make_outbound("t", shop::person{"ada", 36}, {.content_type = std::string("text/x-v2")}, {}, &person_encoder);
  BOOST_TEST(overridden.content_type.value() == "text/x-v2");

  const asiokafka::payload_encoder envelope{
      "application/x-envelope", [](const boost::json::value& v) { return "<" + boost::json::serialize(v) + ">"; }};
  auto broker_wide = make_outbound("t", shop::person{"ada", 36}, {}, envelope);
  BOOST_TEST(broker_wide.rec.value.value() == R"(<{"name":"ada","age":36}>)");
  BOOST_TEST(broker_wide.content_type.value() == "application/x-envelope");
  // Strings and bytes are published as they are, whatever the broker's encoder.
  auto text = make_outbound("t", std::string("hi"), {}, envelope);
  BOOST_TEST(text.rec.value.value() == "hi");
  BOOST_TEST(text.content_type.value() == "text/plain");
  auto json = make_outbound("t", shop::person{"ada", 36}, {});
  BOOST_TEST(json.rec.value.value() == R"({"name":"ada","age":36})");
  BOOST_TEST(json.content_type.value() == "application/json");

  auto refused = make_outbound("t", shop::person{"bob", -1}, {}, {}, &person_encoder);
  BOOST_TEST(refused.encode_failure.value() == "a person's age cannot be negative");
  BOOST_TEST(!refused.rec.value);
  auto not_json = make_outbound("t", shop::reading{std::numeric_limits<double>::quiet_NaN()}, {});
  BOOST_TEST(not_json.encode_failure.has_value());
}

// A publisher with its own encoder writes its content type; a subscriber with the matching
// decoder reads it back; the broker's other publishes stay JSON.
BOOST_AUTO_TEST_CASE(publisher_encoder_sets_its_content_type_and_a_decoder_reads_it_back) {
  broker app(io.get_executor(), options());
  auto people = app.publisher<shop::person>(topic, person_encoder, "People as name;age");
  std::vector<shop::person> decoded;
  const auto& stats = app.subscriber<shop::person>(
      {topic}, sub("reader"),
      [&](shop::person p) -> asio::awaitable<void> {
        decoded.push_back(p);
        co_return;
      },
      decode_person);
  std::vector<message> records;
  test::run_app(io, app, [&]() -> asio::awaitable<void> {
    const shop::person ada{"ada", 36};
    const shop::person linus{"linus", 54};
    co_await people.async_publish(ada, none, asio::use_awaitable);
    co_await people.async_publish(linus, none, asio::use_awaitable);
    // Not through the publisher: the broker's encoding, JSON (the decoder refuses it).
    co_await app.async_publish(topic, ada, none, asio::use_awaitable);
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.handled + stats.decode_failed == 3; }, 30s));
    records = co_await read(topic, 3);
  });
  BOOST_TEST_MESSAGE("publisher encoder: " << records.size() << " records, " << decoded.size()
                                           << " decoded by its decoder, " << stats.decode_failed
                                           << " JSON record refused");
  BOOST_REQUIRE(decoded.size() == 2u);
  BOOST_TEST(decoded[0].name == "ada");
  BOOST_TEST(decoded[0].age == 36);
  BOOST_TEST(decoded[1].name == "linus");
  BOOST_TEST(stats.decode_failed == 1u);
  BOOST_TEST(logs.contains("expected text/x-person, got application/json"));
  BOOST_TEST(records.at(0).payload() == "ada;36");
  BOOST_TEST(header(records.at(0), "content-type") == person_type);
  // The other wire headers are written as for any publish.
  BOOST_TEST(header(records.at(0), "correlation_id") != "<none>");
  BOOST_TEST(header(records.at(0), "traceparent") != "<none>");
  BOOST_TEST(header(records.at(2), "content-type") == "application/json");
  BOOST_TEST(records.at(2).payload() == R"({"name":"ada","age":36})");
}

// Inside a handler, ctx.publish(publisher, value) uses the publisher's encoder and carries
// the handled message's correlation id.
BOOST_AUTO_TEST_CASE(handler_publishes_through_a_declared_publisher_with_its_encoder) {
  const auto out = test::unique_name("out");
  kafka.create_topic(out, 1);
  broker app(io.get_executor(), options());
  auto people = app.publisher<shop::person>(out, person_encoder);
  app.subscriber<shop::person>({topic}, sub("forwarder"), [&](shop::person p, context& ctx) -> asio::awaitable<void> {
    p.age += 1;
    co_await ctx.publish(people, p, none);
  });
  std::vector<message> forwarded;
  test::run_app(io, app, [&]() -> asio::awaitable<void> {
    const shop::person ada{"ada", 36};
    const asiokafka::publish_options chained{.correlation_id = std::string("chain-7")};
    co_await app.async_publish(topic, ada, chained, asio::use_awaitable);
    forwarded = co_await read(out, 1);
  });
  BOOST_TEST_MESSAGE("handler publish through a publisher: " << forwarded.size() << " record, "
                                                             << forwarded.at(0).payload().size() << " bytes");
  BOOST_TEST(forwarded.at(0).payload() == "ada;37");
  BOOST_TEST(header(forwarded.at(0), "content-type") == person_type);
  BOOST_TEST(header(forwarded.at(0), "correlation_id") == "chain-7");
}

// The broker-wide encoder writes what the broker publishes as JSON (publishes, handler
// results) with its content type, the broker-wide decoder reads it back; strings stay text
// and a publisher's own encoder wins.
BOOST_AUTO_TEST_CASE(broker_wide_encoder_and_decoder_round_trip) {
  const auto results = test::unique_name("results");
  kafka.create_topic(results, 1);
  auto o = options();
  o.encoder = {"application/x-envelope",
               [](const boost::json::value& v) { return "<" + boost::json::serialize(v) + ">"; }};
  o.decoder = [](const message& m) -> boost::json::value {
    if (asiokafka::wire::content_type(m) != "application/x-envelope") throw std::invalid_argument("not an envelope");
    const std::string_view p = m.payload();
    if (p.size() < 2 || p.front() != '<' || p.back() != '>') throw std::invalid_argument("no <>");
    return boost::json::parse(p.substr(1, p.size() - 2));
  };
  broker app(io.get_executor(), o);
  auto people = app.publisher<shop::person>(topic, person_encoder);
  std::vector<shop::person> typed;
  std::vector<std::string> raw_types;
  auto s = sub("typed");
  s.output_topic = results;
  const auto& stats = app.subscriber<shop::person>({topic}, s, [&](shop::person p) -> asio::awaitable<shop::person> {
    typed.push_back(p);
    p.age *= 2;
    co_return p;
  });
  app.subscriber<message>({topic}, sub("raw"), [&](const message& m) -> asio::awaitable<void> {
    raw_types.push_back(header(m, "content-type"));
    co_return;
  });
  std::vector<message> published;
  std::vector<message> result_records;
  test::run_app(io, app, [&]() -> asio::awaitable<void> {
    const shop::person ada{"ada", 36};
    co_await app.async_publish(topic, ada, none, asio::use_awaitable);
    const std::string text = "plain text";
    co_await app.async_publish(topic, text, none, asio::use_awaitable);
    co_await people.async_publish(ada, none, asio::use_awaitable);
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.handled + stats.decode_failed == 3; }, 30s));
    published = co_await read(topic, 3);
    result_records = co_await read(results, 1);
  });
  BOOST_TEST_MESSAGE("broker-wide encoder: " << published.size() << " records, " << typed.size()
                                             << " decoded by the broker decoder, " << stats.decode_failed
                                             << " refused, " << result_records.size() << " result");
  BOOST_TEST(published.at(0).payload() == R"(<{"name":"ada","age":36}>)");
  BOOST_TEST(header(published.at(0), "content-type") == "application/x-envelope");
  BOOST_TEST(published.at(1).payload() == "plain text");
  BOOST_TEST(header(published.at(1), "content-type") == "text/plain");
  BOOST_TEST(published.at(2).payload() == "ada;36");
  BOOST_TEST(header(published.at(2), "content-type") == person_type);
  BOOST_REQUIRE(typed.size() == 1u);  // the broker's decoder reads its encoder's envelope only
  BOOST_TEST(typed[0].name == "ada");
  BOOST_TEST(typed[0].age == 36);
  BOOST_TEST(stats.decode_failed == 2u);
  BOOST_TEST(result_records.at(0).payload() == R"(<{"name":"ada","age":72}>)");
  BOOST_TEST(header(result_records.at(0), "content-type") == "application/x-envelope");
}

// A batch handler's publishes go through the same encoders as a single-record handler's: the
// broker-wide encoder for a plain publish, a publisher's own encoder through the publisher
// (batch_context::publish ignored broker_options::encoder before).
BOOST_AUTO_TEST_CASE(batch_context_publishes_through_the_broker_and_publisher_encoders) {
  const auto out = test::unique_name("batch-out");
  kafka.create_topic(out, 1);
  auto o = options();
  o.encoder = {"application/x-envelope",
               [](const boost::json::value& v) { return "<" + boost::json::serialize(v) + ">"; }};
  broker app(io.get_executor(), o);
  auto people = app.publisher<shop::person>(topic, person_encoder);
  auto forwarded = app.publisher<shop::person>(out, person_encoder);
  const auto s = sub("batch");  // a handler taking a vector makes it a batch subscriber
  std::size_t handled = 0;
  app.subscriber<shop::person>(
      {topic}, s,
      [&](std::vector<shop::person> batch, asiokafka::batch_context& ctx) -> asio::awaitable<void> {
        for (const auto& p : batch) {
          co_await ctx.publish(out, p, none);
          co_await ctx.publish(forwarded, p, none);
          ++handled;
        }
      },
      decode_person);
  std::vector<message> records;
  test::run_app(io, app, [&]() -> asio::awaitable<void> {
    const shop::person ada{"ada", 36};
    co_await people.async_publish(ada, none, asio::use_awaitable);
    BOOST_REQUIRE(co_await test::wait_until([&] { return handled == 1; }, 30s));
    records = co_await read(out, 2);
  });
  BOOST_REQUIRE_EQUAL(records.size(), 2u);
  BOOST_TEST(records.at(0).payload() == R"(<{"name":"ada","age":36}>)");
  BOOST_TEST(header(records.at(0), "content-type") == "application/x-envelope");
  BOOST_TEST(records.at(1).payload() == "ada;36");
  BOOST_TEST(header(records.at(1), "content-type") == person_type);
}

// An encoder that throws fails that publish with error::encode_failed: the encoder's message
// is logged, is the publish span's error text and is in ctx.publish's exception; nothing is
// produced, and the publishes after it go on.
BOOST_AUTO_TEST_CASE(throwing_encoder_fails_the_publish_and_produces_nothing) {
  const auto out = test::unique_name("out");
  kafka.create_topic(out, 1);
  auto o = options();
  broker app(io.get_executor(), o);
  auto people = app.publisher<shop::person>(topic, person_encoder);
  auto forwarded = app.publisher<shop::person>(out, person_encoder);
  std::string handler_error;
  asiokafka::error_code handler_code;
  const auto& stats = app.subscriber<shop::person>(
      {topic}, sub("forwarder"),
      [&](shop::person p, context& ctx) -> asio::awaitable<void> {
        p.age = -p.age;  // refused by the encoder
        try {
          co_await ctx.publish(forwarded, p, none);
        } catch (const boost::system::system_error& e) {
          handler_error = e.what();
          handler_code = e.code();
        }
      },
      decode_person);
  asiokafka::error_code refused, nan_refused, good;
  asiokafka::delivery_report refused_report, good_report;
  std::vector<message> records;
  test::run_app(io, app, [&]() -> asio::awaitable<void> {
    const shop::person bad{"bob", -3};
    std::tie(refused, refused_report) = co_await people.async_publish(bad, none, asio::as_tuple(asio::use_awaitable));
    // The default JSON encoding refuses what JSON cannot say, the same way.
    const shop::reading nan{std::nan("")};
    std::tie(nan_refused, std::ignore) =
        co_await app.async_publish(topic, nan, none, asio::as_tuple(asio::use_awaitable));
    const shop::person ada{"ada", 36};
    std::tie(good, good_report) = co_await people.async_publish(ada, none, asio::as_tuple(asio::use_awaitable));
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.handled == 1; }, 30s));
    records = co_await read(topic, 1);
  });
  BOOST_TEST_MESSAGE("throwing encoder: 3 publishes (2 refused: " << refused.message() << "), " << records.size()
                                                                  << " record on the topic at offset "
                                                                  << records.at(0).offset());
  BOOST_TEST((refused == error::encode_failed));
  BOOST_TEST(refused.message() == "the value could not be encoded");
  BOOST_TEST(refused_report.topic == topic);
  BOOST_TEST((nan_refused == error::encode_failed));
  BOOST_TEST(!good);
  // Nothing of the refused values was produced: the good one is the topic's first record.
  BOOST_TEST(good_report.offset == 0);
  BOOST_TEST(records.at(0).offset() == 0);
  BOOST_TEST(records.at(0).payload() == "ada;36");
  BOOST_TEST(logs.contains("publish to \"" + topic +
                           "\" failed, nothing produced: the value could not be encoded: "
                           "a person's age cannot be negative"));
  BOOST_TEST(failed_publish_span(topic, error::encode_failed) == "a person's age cannot be negative");
  // Inside a handler: the exception names the topic and carries the encoder's message.
  BOOST_TEST((handler_code == error::encode_failed));
  BOOST_TEST(handler_error.find("publish to \"" + out + "\": a person's age cannot be negative") != std::string::npos,
             handler_error);
  BOOST_TEST(failed_publish_span(out, error::encode_failed) == "a person's age cannot be negative");
  // The handler's refused publish produced nothing either.
  std::size_t on_out = 0;
  test::run(io, [&]() -> asio::awaitable<void> {
    asiokafka::consumer c(co_await asio::this_coro::executor,
                          test::consumer_config(kafka.bootstrap_servers(), test::unique_name("count")));
    const auto marks = co_await c.async_watermarks(out, 0, {10s}, asio::use_awaitable);
    on_out = static_cast<std::size_t>(marks.high - marks.low);
    co_await c.async_close(asio::use_awaitable);
  });
  BOOST_TEST_MESSAGE("throwing encoder in a handler: " << on_out << " records on " << out);
  BOOST_TEST(on_out == 0u);
}

// A broker-wide encoder that throws fails the publish the same way; a request whose value
// cannot be encoded fails with the publish's error.
BOOST_AUTO_TEST_CASE(throwing_broker_encoder_fails_publishes_and_requests) {
  auto o = options();
  o.encoder = {"application/x-never", [](const boost::json::value&) -> std::string {
                 throw std::runtime_error("this broker encodes nothing");
               }};
  o.reply_topic = test::unique_name("replies");
  kafka.create_topic(o.reply_topic, 1);
  broker app(io.get_executor(), o);
  asiokafka::error_code published, requested, text;
  test::run(io, [&]() -> asio::awaitable<void> {
    const shop::person ada{"ada", 36};
    std::tie(published, std::ignore) =
        co_await app.async_publish(topic, ada, none, asio::as_tuple(asio::use_awaitable));
    const asiokafka::request_options bounded{.timeout = 10s};
    std::tie(requested, std::ignore) =
        co_await app.async_request<message>(topic, ada, bounded, asio::as_tuple(asio::use_awaitable));
    // Strings do not go through the broker's encoder.
    const std::string hello = "hello";
    std::tie(text, std::ignore) = co_await app.async_publish(topic, hello, none, asio::as_tuple(asio::use_awaitable));
    app.stop();
  });
  finish_stopping();
  BOOST_TEST_MESSAGE("throwing broker encoder: publish " << published.message() << ", request " << requested.message()
                                                         << ", string publish "
                                                         << (text ? text.message() : std::string("delivered")));
  BOOST_TEST((published == error::encode_failed));
  BOOST_TEST((requested == error::encode_failed));
  BOOST_TEST(!text);
  BOOST_TEST(logs.contains("this broker encodes nothing"));
  BOOST_TEST(app.requests().failed == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
