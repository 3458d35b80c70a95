// broker::asyncapi(): the AsyncAPI 3.0 document of a broker with every kind of subscriber and
// a declared publisher, checked structurally here (every reference resolves, schemas say what
// the codec reads); the document is also written to ASIOKAFKA_ASYNCAPI_OUT, which the ctest
// test asyncapi/official_schema validates against the official AsyncAPI 3.0.0 JSON Schema.
#define BOOST_TEST_MODULE test_asyncapi
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/json_schema.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/describe.hpp>
#include <boost/json/parse.hpp>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace bj = boost::json;

namespace shop {
BOOST_DEFINE_ENUM_CLASS(status, pending, paid, shipped)

struct address {
  std::string city;
  std::optional<std::string> zip;
};
BOOST_DESCRIBE_STRUCT(address, (), (city, zip))

struct line {
  std::string sku;
  std::uint16_t qty = 0;
  double price = 0;
};
BOOST_DESCRIBE_STRUCT(line, (), (sku, qty, price))

struct order {
  std::int64_t id = 0;
  status state = status::pending;
  address ship_to;
  std::vector<line> lines;
  std::optional<std::string> note;
  std::map<std::string, std::int32_t> counters;
  bj::value extra;
};
BOOST_DESCRIBE_STRUCT(order, (), (id, state, ship_to, lines, note, counters, extra))

struct receipt {
  std::int64_t order_id = 0;
  bool paid = false;
};
BOOST_DESCRIBE_STRUCT(receipt, (), (order_id, paid))

struct node {  // recursive
  std::string name;
  std::vector<node> children;
};
BOOST_DESCRIBE_STRUCT(node, (), (name, children))

// Not a JSON type: published by its own encoder, read by a custom decoder.
struct parcel {
  std::string wire;
};
}  // namespace shop

namespace {

constexpr const char* secret = "hunter2-not-in-any-document";

// Resolves a local JSON pointer reference ("#/a/b").
const bj::value* resolve(const bj::value& doc, const std::string& ref) {
  if (ref.rfind("#/", 0) != 0) return nullptr;
  boost::system::error_code ec;
  const bj::value* v = doc.find_pointer(ref.substr(1), ec);
  return ec ? nullptr : v;
}

// Every "$ref" anywhere in `v`.
void collect_refs(const bj::value& v, std::vector<std::string>& out) {
  if (const auto* o = v.if_object()) {
    for (const auto& kv : *o) {
      if (kv.key() == "$ref" && kv.value().is_string()) out.emplace_back(kv.value().get_string());
      collect_refs(kv.value(), out);
    }
  } else if (const auto* a = v.if_array()) {
    for (const auto& e : *a) collect_refs(e, out);
  }
}

struct app_fixture {
  asio::io_context io;
  asiokafka::broker app{io.get_executor(), [] {
                          asiokafka::broker_options o;
                          o.config.bootstrap_servers = "127.0.0.1:9092,127.0.0.2:9093";
                          o.config.client_id = "shop";
                          o.config.raw = {{"security.protocol", "SASL_SSL"},
                                          {"sasl.mechanism", "SCRAM-SHA-256"},
                                          {"sasl.username", "shop"},
                                          {"sasl.password", secret}};
                          return o;
                        }()};
  asiokafka::publisher<shop::receipt> receipts = app.publisher<shop::receipt>("receipts", "Receipts of paid orders");
  asiokafka::publisher<shop::receipt> csv_receipts = app.publisher<shop::receipt>(
      "receipts.csv",
      {"text/csv", [](const shop::receipt& r) { return std::to_string(r.order_id) + (r.paid ? ",paid" : ",due"); }},
      "Receipts as CSV rows");
  asiokafka::publisher<shop::parcel> parcels =
      app.publisher<shop::parcel>("parcels", {"application/x-protobuf", [](const shop::parcel& p) { return p.wire; }});
  std::string text;
  bj::value doc;

  app_fixture() {
    asiokafka::subscriber_options billing;
    billing.name = "billing";
    billing.description = "Bills orders";
    billing.config.group_id = "billing";
    app.subscriber<shop::order>({"orders"}, billing, [](shop::order) -> asio::awaitable<void> { co_return; });

    asiokafka::subscriber_options payer;
    payer.name = "payer";
    payer.config.group_id = "payer";
    payer.output_topic = "receipts";
    app.subscriber<shop::order>({"orders"}, payer, [](shop::order o) -> asio::awaitable<shop::receipt> {
      co_return shop::receipt{o.id, true};
    });

    asiokafka::subscriber_options replier;
    replier.name = "replier";
    replier.config.group_id = "replier";
    app.subscriber<std::string>(
        {"questions"}, replier,
        [](std::string q, asiokafka::context&) -> asio::awaitable<std::string> { co_return q; });

    asiokafka::subscriber_options audit;
    audit.name = "audit";
    audit.config.group_id = "audit";
    app.subscriber<bj::value>({"^audit-.*"}, audit, [](bj::value) -> asio::awaitable<void> { co_return; });

    asiokafka::subscriber_options raw;
    raw.name = "raw";
    raw.config.group_id = "raw";
    app.subscriber<asiokafka::message>({"bytes", "more-bytes"}, raw,
                                       [](const asiokafka::message&) -> asio::awaitable<void> { co_return; });

    asiokafka::subscriber_options trees;
    trees.name = "trees";
    trees.config.group_id = "trees";
    app.subscriber<shop::node>({"trees"}, trees, [](shop::node) -> asio::awaitable<void> { co_return; });

    asiokafka::subscriber_options unpacker;
    unpacker.name = "unpacker";
    unpacker.config.group_id = "unpacker";
    app.subscriber<shop::parcel>(
        {"parcels"}, unpacker, [](shop::parcel) -> asio::awaitable<void> { co_return; },
        [](const asiokafka::message& m) { return shop::parcel{std::string(m.payload())}; });

    asiokafka::subscriber_options ledger;  // a batch subscriber
    ledger.name = "ledger";
    ledger.config.group_id = "ledger";
    app.subscriber<shop::order>(
        {"orders"}, ledger,
        [](std::vector<shop::order>, asiokafka::batch_context&) -> asio::awaitable<void> { co_return; });

    text = app.asyncapi({.title = "shop", .version = "2.1.0", .description = "An example shop"});
    doc = bj::parse(text);
  }

  const bj::object& schema(const std::string& name) { return doc.at("components").at("schemas").at(name).as_object(); }
  const bj::object& operation(const std::string& id) { return doc.at("operations").at(id).as_object(); }
};

std::vector<std::string> strings(const bj::value& array) {
  std::vector<std::string> out;
  for (const auto& v : array.as_array()) out.emplace_back(v.as_string());
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_asyncapi, app_fixture)

BOOST_AUTO_TEST_CASE(document_has_info_servers_and_no_secret) {
  BOOST_TEST(doc.at("asyncapi").as_string() == "3.0.0");
  BOOST_TEST(doc.at("info").at("title").as_string() == "shop");
  BOOST_TEST(doc.at("info").at("version").as_string() == "2.1.0");
  const auto& servers = doc.at("servers").as_object();
  BOOST_TEST(servers.size() == 2u);
  std::vector<std::string> hosts;
  for (const auto& kv : servers) {
    hosts.emplace_back(kv.value().at("host").as_string());
    BOOST_TEST(kv.value().at("protocol").as_string() == "kafka-secure");  // SASL_SSL
  }
  BOOST_TEST((hosts == std::vector<std::string>{"127.0.0.1:9092", "127.0.0.2:9093"}), boost::test_tools::per_element());
  BOOST_TEST(text.find(secret) == std::string::npos);
  BOOST_TEST(text.find("sasl") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_reference_resolves) {
  std::vector<std::string> refs;
  collect_refs(doc, refs);
  BOOST_TEST(refs.size() > 20u);
  for (const auto& ref : refs) BOOST_TEST(resolve(doc, ref) != nullptr, "unresolved " << ref);
  // An operation's messages belong to its channel.
  for (const auto& kv : doc.at("operations").as_object()) {
    const std::string channel_ref(kv.value().at("channel").at("$ref").as_string());
    for (const auto& m : kv.value().at("messages").as_array()) {
      const std::string message_ref(m.at("$ref").as_string());
      BOOST_TEST(message_ref.rfind(channel_ref + "/messages/", 0) == 0, kv.key() << ": " << message_ref);
    }
  }
}

BOOST_AUTO_TEST_CASE(one_operation_per_subscriber_channel_and_publisher) {
  const auto& billing = operation("billing");
  BOOST_TEST(billing.at("action").as_string() == "receive");
  BOOST_TEST(billing.at("description").as_string() == "Bills orders");
  BOOST_TEST(billing.at("channel").at("$ref").as_string() == "#/channels/orders");
  BOOST_TEST(billing.at("bindings").at("kafka").at("groupId").at("enum").at(0).as_string() == "billing");
  BOOST_TEST(billing.at("bindings").at("kafka").at("clientId").at("enum").at(0).as_string() == "shop");
  BOOST_TEST(operation("payer").at("action").as_string() == "receive");
  // The payer's results go to its output topic, where the declared publisher sends too.
  BOOST_TEST(operation("payer.result").at("action").as_string() == "send");
  BOOST_TEST(operation("payer.result").at("channel").at("$ref").as_string() == "#/channels/receipts");
  BOOST_TEST(operation("publish.receipts").at("action").as_string() == "send");
  BOOST_TEST(operation("publish.receipts").at("description").as_string() == "Receipts of paid orders");
  // Without an output topic, results go to the reply-to header's topic: no fixed address.
  const std::string reply_channel(operation("replier.result").at("channel").at("$ref").as_string());
  BOOST_TEST(resolve(doc, reply_channel)->at("address").is_null());
  // A pattern has no fixed address either; a subscriber of two topics has an operation each.
  const std::string audit_channel(operation("audit").at("channel").at("$ref").as_string());
  BOOST_TEST(resolve(doc, audit_channel)->at("address").is_null());
  BOOST_TEST(operation("raw.bytes").at("channel").at("$ref").as_string() == "#/channels/bytes");
  BOOST_TEST(operation("raw.more-bytes").at("channel").at("$ref").as_string() == "#/channels/more-bytes");
  BOOST_TEST(doc.at("channels").at("orders").at("address").as_string() == "orders");
  BOOST_TEST(doc.at("operations").as_object().size() == 14u);
}

BOOST_AUTO_TEST_CASE(messages_carry_content_type_and_payload) {
  const auto& messages = doc.at("components").at("messages");
  BOOST_TEST(messages.at("shop.order").at("contentType").as_string() == "application/json");
  BOOST_TEST(messages.at("shop.order").at("payload").at("$ref").as_string() == "#/components/schemas/shop.order");
  BOOST_TEST(messages.at("string").at("contentType").as_string() == "text/plain");
  BOOST_TEST(messages.at("string").at("payload").at("type").as_string() == "string");
  BOOST_TEST(messages.at("raw").at("contentType").as_string() == "application/octet-stream");
  BOOST_TEST(messages.at("json").at("payload").as_object().empty());  // any JSON
}

BOOST_AUTO_TEST_CASE(batch_subscriber_receives_an_array_of_its_type) {
  const auto& ledger = operation("ledger");
  BOOST_TEST(ledger.at("action").as_string() == "receive");
  BOOST_TEST(ledger.at("channel").at("$ref").as_string() == "#/channels/orders");
  BOOST_TEST(ledger.at("messages").at(0).at("$ref").as_string() == "#/channels/orders/messages/shop.order_batch");
  const auto& batch = doc.at("components").at("messages").at("shop.order_batch");
  BOOST_TEST(batch.at("contentType").as_string() == "application/json");
  BOOST_TEST(batch.at("payload").at("type").as_string() == "array");
  BOOST_TEST(batch.at("payload").at("items").at("$ref").as_string() == "#/components/schemas/shop.order");
  // The per-record subscribers of the same topic keep their own message.
  BOOST_TEST(operation("billing").at("messages").at(0).at("$ref").as_string() ==
             "#/channels/orders/messages/shop.order");
}

BOOST_AUTO_TEST_CASE(schemas_say_what_the_codec_reads) {
  const auto& order = schema("shop.order");
  BOOST_TEST(order.at("type").as_string() == "object");
  // Required: exactly the non-optional members.
  BOOST_TEST((strings(order.at("required")) ==
              std::vector<std::string>{"id", "state", "ship_to", "lines", "counters", "extra"}),
             boost::test_tools::per_element());
  const auto& p = order.at("properties");
  BOOST_TEST(p.at("id").at("type").as_string() == "integer");
  BOOST_TEST(p.at("id").at("minimum").as_int64() == INT64_MIN);
  BOOST_TEST(p.at("state").at("$ref").as_string() == "#/components/schemas/shop.status");
  BOOST_TEST(p.at("lines").at("type").as_string() == "array");
  BOOST_TEST(p.at("lines").at("items").at("$ref").as_string() == "#/components/schemas/shop.line");
  BOOST_TEST(p.at("note").at("anyOf").at(0).at("type").as_string() == "string");
  BOOST_TEST(p.at("note").at("anyOf").at(1).at("type").as_string() == "null");
  BOOST_TEST(p.at("counters").at("additionalProperties").at("maximum").as_int64() == INT32_MAX);
  BOOST_TEST(p.at("extra").as_object().empty());
  BOOST_TEST((strings(schema("shop.status").at("enum")) == std::vector<std::string>{"pending", "paid", "shipped"}),
             boost::test_tools::per_element());
  const auto& line = schema("shop.line").at("properties");
  BOOST_TEST(line.at("qty").at("minimum").as_int64() == 0);
  BOOST_TEST(line.at("qty").at("maximum").to_number<std::uint64_t>() == 65535u);
  BOOST_TEST(line.at("price").at("type").as_string() == "number");
  BOOST_TEST((strings(schema("shop.address").at("required")) == std::vector<std::string>{"city"}),
             boost::test_tools::per_element());
  // A recursive type refers to itself.
  BOOST_TEST(schema("shop.node").at("properties").at("children").at("items").at("$ref").as_string() ==
             "#/components/schemas/shop.node");
  BOOST_TEST(schema("shop.receipt").at("properties").at("paid").at("type").as_string() == "boolean");
}

// A publisher's encoder gives its messages the encoder's content type: a message of their
// own beside the type's JSON one (with the type's schema), or bytes for a type JSON does not
// know.
BOOST_AUTO_TEST_CASE(encoders_give_their_messages_their_content_type) {
  const auto& messages = doc.at("components").at("messages");
  const auto& csv = messages.at("shop.receipt.text_csv");
  BOOST_TEST(csv.at("name").as_string() == "shop.receipt");
  BOOST_TEST(csv.at("contentType").as_string() == "text/csv");
  BOOST_TEST(csv.at("payload").at("$ref").as_string() == "#/components/schemas/shop.receipt");
  BOOST_TEST(messages.at("shop.receipt").at("contentType").as_string() == "application/json");
  BOOST_TEST(operation("publish.receipts.csv").at("messages").at(0).at("$ref").as_string() ==
             "#/channels/receipts.csv/messages/shop.receipt.text_csv");
  BOOST_TEST(operation("publish.receipts.csv").at("description").as_string() == "Receipts as CSV rows");

  const auto& sent = messages.at("shop.parcel.application_x-protobuf");
  BOOST_TEST(sent.at("contentType").as_string() == "application/x-protobuf");
  BOOST_TEST(sent.at("payload").at("type").as_string() == "string");
  BOOST_TEST(sent.at("payload").at("format").as_string() == "binary");
  // Read by a custom decoder: bytes, whatever their content type.
  BOOST_TEST(messages.at("shop.parcel").at("contentType").as_string() == "application/octet-stream");
  BOOST_TEST(operation("unpacker").at("messages").at(0).at("$ref").as_string() ==
             "#/channels/parcels/messages/shop.parcel");
  BOOST_TEST(operation("publish.parcels").at("messages").at(0).at("$ref").as_string() ==
             "#/channels/parcels/messages/shop.parcel.application_x-protobuf");
}

// With a broker-wide encoder, what the broker sends as JSON (declared publishers without an
// encoder, handler results) has the encoder's content type; what it receives is unchanged,
// and a publisher's own encoder wins.
BOOST_AUTO_TEST_CASE(broker_wide_encoder_gives_sent_json_types_its_content_type) {
  asiokafka::broker_options o;
  o.config.bootstrap_servers = "127.0.0.1:9092";
  o.encoder = {"application/cbor", [](const bj::value&) { return std::string(); }};
  asiokafka::broker cbor(io.get_executor(), o);
  cbor.publisher<shop::receipt>("receipts");
  cbor.publisher<std::string>("notes");
  cbor.publisher<shop::receipt>("receipts.csv", {"text/csv", [](const shop::receipt&) { return std::string(); }});
  asiokafka::subscriber_options payer;
  payer.name = "payer";
  payer.config.group_id = "payer";
  payer.output_topic = "receipts";
  cbor.subscriber<shop::order>({"orders"}, payer, [](shop::order o) -> asio::awaitable<shop::receipt> {
    co_return shop::receipt{o.id, true};
  });
  const bj::value d = bj::parse(cbor.asyncapi());
  const auto& ops = d.at("operations");
  BOOST_TEST(ops.at("publish.receipts").at("messages").at(0).at("$ref").as_string() ==
             "#/channels/receipts/messages/shop.receipt.application_cbor");
  BOOST_TEST(ops.at("payer.result").at("messages").at(0).at("$ref").as_string() ==
             "#/channels/receipts/messages/shop.receipt.application_cbor");
  BOOST_TEST(ops.at("payer").at("messages").at(0).at("$ref").as_string() == "#/channels/orders/messages/shop.order");
  const auto& messages = d.at("components").at("messages");
  BOOST_TEST(messages.at("shop.receipt.application_cbor").at("contentType").as_string() == "application/cbor");
  BOOST_TEST(messages.at("shop.order").at("contentType").as_string() == "application/json");
  BOOST_TEST(messages.at("string").at("contentType").as_string() == "text/plain");
  BOOST_TEST(messages.at("shop.receipt.text_csv").at("contentType").as_string() == "text/csv");
}

// A subscriber of std::optional<U> receives U's message (nullopt is a tombstone: no payload).
BOOST_AUTO_TEST_CASE(an_optional_subscriber_receives_its_value_types_message) {
  const auto text = asiokafka::detail::contract_of<std::optional<std::string>>();
  BOOST_TEST(text.name == "string");
  BOOST_TEST(text.content_type == "text/plain");
  const auto order = asiokafka::detail::contract_of<std::optional<shop::order>>();
  BOOST_TEST(order.name == asiokafka::detail::contract_of<shop::order>().name);
  BOOST_TEST(order.content_type == "application/json");
  BOOST_TEST(order.json_encoded);
}

// A document a decoder accepts: the codec reads what the schema describes.
BOOST_AUTO_TEST_CASE(schema_set_is_usable_on_its_own) {
  asiokafka::json::schema_set set("#/definitions/");
  const bj::value v = set.schema_of<std::vector<std::optional<shop::line>>>();
  BOOST_TEST(v.at("items").at("anyOf").at(0).at("$ref").as_string() == "#/definitions/shop.line");
  BOOST_TEST(set.definitions().size() == 1u);
}

// For the ctest test asyncapi/official_schema (scripts/asyncapi-validate).
BOOST_AUTO_TEST_CASE(document_written_for_schema_validation) {
  const char* out = std::getenv("ASIOKAFKA_ASYNCAPI_OUT");
  BOOST_TEST_REQUIRE(out != nullptr, "ASIOKAFKA_ASYNCAPI_OUT is not set");
  std::ofstream file(out, std::ios::trunc);
  file << text;
  file.close();
  BOOST_TEST(file.good(), "cannot write " << out);
}

BOOST_AUTO_TEST_CASE(invalid_subscriber_config_fails_like_async_run) {
  asiokafka::subscriber_options nogroup;
  nogroup.name = "nogroup";
  app.subscriber<shop::order>({"orders"}, nogroup, [](shop::order) -> asio::awaitable<void> { co_return; });
  BOOST_CHECK_THROW(app.asyncapi(), asiokafka::config_error);
}

BOOST_AUTO_TEST_SUITE_END()
