// Dead letters keep the failed record's headers verbatim - same bytes, same order, a null or
// malformed one included - and append the error headers; the dead-letter publish is a span,
// child of the handling's, without rewriting the record's traceparent. On the embedded Kafka.
#define BOOST_TEST_MODULE test_dead_letter
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/describe.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;

namespace shop {
struct order {
  std::string id;
};
BOOST_DESCRIBE_STRUCT(order, (), (id))
}  // namespace shop

namespace {

constexpr const char* input_traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

using headers = std::vector<asiokafka::header>;

// The headers of `m`, as a producer writes them.
headers headers_of(const asiokafka::message& m) {
  headers out;
  for (const auto& h : m.headers())
    out.push_back({std::string(h.name), h.value ? std::optional<std::string>(std::string(*h.value)) : std::nullopt});
  return out;
}

std::string describe(const headers& hs) {
  std::string s;
  for (const auto& h : hs) s += std::string(s.empty() ? "" : ", ") + h.name + "=" + h.value.value_or("<null>");
  return s;
}

bool same(const headers& a, const headers& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].value != b[i].value) return false;
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_dead_letter)

BOOST_AUTO_TEST_CASE(dead_letters_keep_the_input_headers_verbatim_and_append_the_error_headers) {
  asiokafka::testing::embedded_kafka kafka;
  const std::string topic = test::unique_name("in"), dlq = test::unique_name("dlq");
  kafka.create_topic(topic, 1);
  kafka.create_topic(dlq, 1);
  asio::io_context io;

  // A valid trace context (with a null header between its two halves), a malformed one, none.
  const std::vector<headers> inputs{
      {{"traceparent", std::string(input_traceparent)},
       {"x-tenant", std::nullopt},
       {"tracestate", std::string("vendor=1")},
       {"content-type", std::string("application/json")},
       {"correlation_id", std::string("c-1")}},
      {{"traceparent", std::string("garbage")}, {"x-bytes", std::string("\x01\xff\x00z", 4)}},
      {},
  };

  std::mutex spans_mutex;
  std::vector<std::pair<std::string, std::optional<std::string>>> dead_letter_spans;  // trace id, parent
  asiokafka::broker_options o;
  o.config.bootstrap_servers = kafka.bootstrap_servers();
  o.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  o.graceful_timeout = 2s;
  o.on_span = [&](const asiokafka::span_event& e) {
    if (e.span_kind != asiokafka::span_event::kind::publish || e.span_phase != asiokafka::span_event::phase::start ||
        e.topic != dlq)
      return;
    std::lock_guard lock(spans_mutex);
    dead_letter_spans.emplace_back(e.context->trace_id_hex(),
                                   e.parent_span_id ? std::optional<std::string>("parent") : std::nullopt);
  };
  asiokafka::broker app(io.get_executor(), o);
  asiokafka::subscriber_options s;
  s.name = "orders";
  s.config.group_id = test::unique_name("g");
  s.ack = asiokafka::ack_policy::reject_on_error;
  s.dead_letter_topic = dlq;
  s.retry_backoff = 10ms;
  const auto& stats = app.subscriber<shop::order>({topic}, s, [](shop::order) -> asio::awaitable<void> { co_return; });

  std::vector<asiokafka::message> dead;
  test::run_app(io, app, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::producer p(ex, test::producer_config(kafka.bootstrap_servers()));
    for (const auto& h : inputs) p.produce(asiokafka::record{topic, 0, "key", "not json", h, {}});
    co_await p.async_flush(asio::use_awaitable);
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.dead_lettered == 3u; }, 30s));
    dead = co_await test::read_partition0(kafka.bootstrap_servers(), dlq, 3);
  });

  const std::vector<std::string> error_headers{"x-asiokafka-error",           "x-asiokafka-error-kind",
                                               "x-asiokafka-original-topic",  "x-asiokafka-original-partition",
                                               "x-asiokafka-original-offset", "x-asiokafka-subscriber"};
  BOOST_REQUIRE_EQUAL(dead.size(), 3u);
  for (std::size_t i = 0; i < dead.size(); ++i) {
    const headers got = headers_of(dead[i]);
    BOOST_TEST_MESSAGE("dead letter " << i << ": " << describe(got));
    BOOST_REQUIRE_EQUAL(got.size(), inputs[i].size() + error_headers.size());
    const headers kept(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(inputs[i].size()));
    BOOST_TEST(same(kept, inputs[i]), "kept " << describe(kept) << ", sent " << describe(inputs[i]));
    for (std::size_t k = 0; k < error_headers.size(); ++k)
      BOOST_TEST(got[inputs[i].size() + k].name == error_headers[k]);
    BOOST_TEST(dead[i].payload() == "not json");
  }
  // Each dead letter was a publish span: the first in the input's trace, child of its handling.
  std::lock_guard lock(spans_mutex);
  BOOST_REQUIRE_EQUAL(dead_letter_spans.size(), 3u);
  BOOST_TEST(dead_letter_spans[0].first == "0af7651916cd43dd8448eb211c80319c");
  for (const auto& [trace, parent] : dead_letter_spans) BOOST_TEST(parent.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
