// The wire conventions shared with FastStream, without Kafka: W3C trace context parsing and
// propagation, content-type classification, and the headers the publish path writes.
#define BOOST_TEST_MODULE test_wire
#include <boost/test/unit_test.hpp>

#include <asiokafka/trace_context.hpp>
#include <asiokafka/wire.hpp>

#include "broker/publish_path.hpp"

#include <regex>
#include <set>

using asiokafka::trace_context;
using asiokafka::wire::content_kind;

namespace {

const std::string valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// The header's value ("<null>" for a null value, "<absent>" when missing).
std::string header_value(const asiokafka::record& r, std::string_view name) {
  std::string out = "<absent>";
  int count = 0;
  for (const auto& h : r.headers)
    if (h.name == name) {
      out = h.value.value_or("<null>");
      ++count;
    }
  BOOST_TEST(count <= 1, "header " << name << " written " << count << " times");
  return out;
}

bool is_uuid4(const std::string& s) {
  static const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  return std::regex_match(s, uuid);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_trace_context)

BOOST_AUTO_TEST_CASE(valid_traceparent_is_read_field_by_field) {
  auto t = trace_context::parse(valid, "vendor=abc");
  BOOST_REQUIRE(t);
  BOOST_TEST(t->trace_id_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  BOOST_TEST(t->span_id_hex() == "00f067aa0ba902b7");
  BOOST_TEST(t->flags() == 1u);
  BOOST_TEST(t->sampled());
  BOOST_TEST(t->tracestate() == "vendor=abc");
  BOOST_TEST(t->traceparent() == valid);
}

BOOST_AUTO_TEST_CASE(flags_other_than_sampled_are_kept) {
  // OpenTelemetry's Python SDK writes 03 (sampled + random trace id).
  auto t = trace_context::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
  BOOST_REQUIRE(t);
  BOOST_TEST(t->flags() == 3u);
  BOOST_TEST(t->child().traceparent().substr(52) == "-03");
}

BOOST_AUTO_TEST_CASE(malformed_traceparents_are_ignored) {
  const std::vector<std::string> bad{
      "",
      "garbage",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",      // short
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",     // uppercase
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",     // zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",     // zero span id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // forbidden version
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xx",  // version 00 has 4 fields
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // separator
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",     // not hex
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",    // later version: '-' must follow
  };
  for (const auto& v : bad) BOOST_TEST(!trace_context::parse(v), "accepted \"" << v << "\"");
}

BOOST_AUTO_TEST_CASE(a_later_version_is_read_by_its_first_four_fields) {
  auto t = trace_context::parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds");
  BOOST_REQUIRE(t);
  BOOST_TEST(t->trace_id_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  BOOST_TEST(t->traceparent() == valid);  // written as version 00
}

BOOST_AUTO_TEST_CASE(a_child_keeps_the_trace_and_gets_a_new_span) {
  const auto parent = *trace_context::parse(valid, "k=v");
  const auto child = parent.child();
  BOOST_TEST(child.trace_id_hex() == parent.trace_id_hex());
  BOOST_TEST(child.span_id_hex() != parent.span_id_hex());
  BOOST_TEST(child.flags() == parent.flags());
  BOOST_TEST(child.tracestate() == "k=v");
  BOOST_TEST(trace_context::parse(child.traceparent()).has_value());
}

BOOST_AUTO_TEST_CASE(new_roots_are_valid_sampled_and_distinct) {
  std::set<std::string> traces;
  for (int i = 0; i < 1000; ++i) {
    const auto root = trace_context::new_root();
    BOOST_TEST(root.sampled());
    BOOST_REQUIRE(trace_context::parse(root.traceparent()));
    traces.insert(root.trace_id_hex());
  }
  BOOST_TEST(traces.size() == 1000u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(test_content_type)

BOOST_AUTO_TEST_CASE(content_types_are_read_as_faststream_reads_them) {
  using asiokafka::wire::classify_content_type;
  BOOST_TEST((classify_content_type(std::nullopt) == content_kind::unspecified));
  BOOST_TEST((classify_content_type("") == content_kind::unspecified));
  BOOST_TEST((classify_content_type("application/json") == content_kind::json));
  BOOST_TEST((classify_content_type("application/json; charset=utf-8") == content_kind::json));
  BOOST_TEST((classify_content_type("Application/JSON") == content_kind::json));
  BOOST_TEST((classify_content_type("application/vnd.shop+json") == content_kind::json));
  BOOST_TEST((classify_content_type("text/plain") == content_kind::text));
  BOOST_TEST((classify_content_type("text/plain; charset=utf-8") == content_kind::text));
  BOOST_TEST((classify_content_type("application/x-protobuf") == content_kind::other));
  BOOST_TEST((classify_content_type("json") == content_kind::other));
}

BOOST_AUTO_TEST_CASE(correlation_ids_are_uuid4_text) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    const auto id = asiokafka::wire::new_correlation_id();
    BOOST_TEST(is_uuid4(id), id);
    ids.insert(id);
  }
  BOOST_TEST(ids.size() == 1000u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(test_wire_headers)

using asiokafka::detail::outbound_record;
using asiokafka::detail::publish_origin;
using asiokafka::detail::write_wire_headers;

BOOST_AUTO_TEST_CASE(a_publish_outside_a_handler_gets_a_new_correlation_id_and_trace) {
  auto out = asiokafka::detail::make_outbound("t", std::string("hi"), {});
  const auto span = trace_context::new_root();
  write_wire_headers(out, {}, span);
  BOOST_TEST(header_value(out.rec, "content-type") == "text/plain");
  BOOST_TEST(is_uuid4(header_value(out.rec, "correlation_id")));
  BOOST_TEST(header_value(out.rec, "traceparent") == span.traceparent());
  BOOST_TEST(header_value(out.rec, "reply_to") == "<absent>");
  BOOST_TEST(header_value(out.rec, "tracestate") == "<absent>");
  BOOST_TEST(header_value(out.rec, "correlation-id") == "<absent>");  // FastStream's spelling only
}

BOOST_AUTO_TEST_CASE(content_types_by_value_type) {
  auto bytes = asiokafka::detail::make_outbound("t", asiokafka::bytes{"\x01\x02"}, {});
  auto json = asiokafka::detail::make_outbound("t", boost::json::value{{"a", 1}}, {});
  auto custom =
      asiokafka::detail::make_outbound("t", std::string("x"), {.content_type = std::string("application/x-thing")});
  BOOST_TEST(bytes.content_type.value_or("<none>") == "");
  BOOST_TEST(bytes.rec.value.value_or("") == "\x01\x02");
  BOOST_TEST(json.content_type.value_or("<none>") == "application/json");
  BOOST_TEST(json.rec.value.value_or("") == R"({"a":1})");
  BOOST_TEST(custom.content_type.value_or("<none>") == "application/x-thing");
}

BOOST_AUTO_TEST_CASE(correlation_id_given_beats_propagated_beats_new) {
  const auto span = trace_context::new_root();
  const publish_origin origin{std::string_view("from-request"), &span};

  auto given = asiokafka::detail::make_outbound("t", std::string("x"), {.correlation_id = std::string("given")});
  write_wire_headers(given, origin, span.child());
  BOOST_TEST(header_value(given.rec, "correlation_id") == "given");

  auto propagated = asiokafka::detail::make_outbound("t", std::string("x"), {});
  write_wire_headers(propagated, origin, span.child());
  BOOST_TEST(header_value(propagated.rec, "correlation_id") == "from-request");

  auto in_headers =
      asiokafka::detail::make_outbound("t", std::string("x"), {.headers = {{"correlation_id", std::string("mine")}}});
  write_wire_headers(in_headers, origin, span.child());
  BOOST_TEST(header_value(in_headers.rec, "correlation_id") == "mine");
}

BOOST_AUTO_TEST_CASE(a_copied_traceparent_is_replaced_by_the_publish_span) {
  // A record whose headers were copied from another one: its traceparent becomes the span's.
  outbound_record dead_letter;
  dead_letter.rec.topic = "dlq";
  dead_letter.rec.headers = {{"traceparent", valid}, {"tracestate", std::string("old=1")}, {"x", std::nullopt}};
  const auto handling = trace_context::parse(valid, "k=v")->child();
  const auto span = handling.child();
  write_wire_headers(dead_letter, {std::nullopt, &handling}, span);
  BOOST_TEST(header_value(dead_letter.rec, "traceparent") == span.traceparent());
  BOOST_TEST(header_value(dead_letter.rec, "tracestate") == "k=v");
  BOOST_TEST(header_value(dead_letter.rec, "x") == "<null>");
  BOOST_TEST(header_value(dead_letter.rec, "content-type") == "<absent>");  // none given, none invented
  BOOST_TEST(span.trace_id_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
}

BOOST_AUTO_TEST_CASE(verbatim_headers_are_written_as_they_are) {
  // A dead letter: the input's headers, malformed traceparent and null values included, stay
  // as they were; nothing is added (no content-type, correlation_id or traceparent).
  outbound_record dead_letter;
  dead_letter.rec.topic = "dlq";
  dead_letter.verbatim_headers = true;
  dead_letter.rec.headers = {
      {"traceparent", std::string("garbage")}, {"x", std::nullopt}, {"tracestate", std::string("a=1")}};
  const auto before = dead_letter.rec.headers;
  const auto handling = trace_context::parse(valid, "k=v")->child();
  write_wire_headers(dead_letter, {std::string_view("c-1"), &handling}, handling.child());
  BOOST_REQUIRE_EQUAL(dead_letter.rec.headers.size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    BOOST_TEST(dead_letter.rec.headers[i].name == before[i].name);
    BOOST_TEST((dead_letter.rec.headers[i].value == before[i].value));
  }
}

BOOST_AUTO_TEST_CASE(reply_to_is_written_when_asked) {
  auto out = asiokafka::detail::make_outbound("t", std::string("x"), {.reply_to = std::string("replies")});
  write_wire_headers(out, {}, trace_context::new_root());
  BOOST_TEST(header_value(out.rec, "reply_to") == "replies");
  BOOST_TEST(asiokafka::detail::written_correlation_id(out.rec) == header_value(out.rec, "correlation_id"));
}

BOOST_AUTO_TEST_SUITE_END()
