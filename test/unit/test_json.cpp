#define BOOST_TEST_MODULE test_json
#include <boost/test/unit_test.hpp>

#include <asiokafka/json.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json/parse.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shop {

BOOST_DEFINE_ENUM_CLASS(color, red, green, blue)

struct address {
  std::string street;
  std::string zip;
  bool operator==(const address&) const = default;
};
BOOST_DESCRIBE_STRUCT(address, (), (street, zip))

struct item {
  std::string sku;
  std::uint32_t qty = 0;
  double price = 0;
  bool operator==(const item&) const = default;
};
BOOST_DESCRIBE_STRUCT(item, (), (sku, qty, price))

struct order {
  std::int64_t id = 0;
  std::string customer;
  address ship_to;
  std::vector<item> items;
  std::optional<std::string> note;
  std::optional<address> bill_to;
  color kind = color::red;
  std::map<std::string, int> labels;
  std::vector<color> palette;
  bool gift = false;
  std::uint8_t priority = 0;
  float weight = 0;
  bool operator==(const order&) const = default;
};
BOOST_DESCRIBE_STRUCT(order, (),
                      (id, customer, ship_to, items, note, bill_to, kind, labels, palette, gift, priority, weight))

struct person {
  std::string name;
  int age = 0;
  bool operator==(const person&) const = default;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, age))

struct employee : person {
  std::string team;
};
BOOST_DESCRIBE_STRUCT(employee, (person), (team))

struct envelope {
  std::string type;
  boost::json::value body;
  std::optional<boost::json::object> meta;
};
BOOST_DESCRIBE_STRUCT(envelope, (), (type, body, meta))

struct tree {
  std::string name;
  std::vector<tree> children;
  bool operator==(const tree&) const = default;
};
BOOST_DESCRIBE_STRUCT(tree, (), (name, children))

struct numbers {
  std::uint8_t u8 = 0;
  std::int8_t i8 = 0;
  std::int64_t i64 = 0;
  std::uint64_t u64 = 0;
  double d = 0;
  float f = 0;
};
BOOST_DESCRIBE_STRUCT(numbers, (), (u8, i8, i64, u64, d, f))

struct blob {
  std::string data;
  std::vector<std::int32_t> values;
};
BOOST_DESCRIBE_STRUCT(blob, (), (data, values))

// Every member kind the flat-struct path takes (asiokafka/detail/json_direct.hpp).
struct flat {
  bool b = false;
  std::uint8_t u8 = 0;
  std::int8_t i8 = 0;
  std::int64_t i64 = 0;
  std::uint64_t u64 = 0;
  double d = 0;
  float f = 0;
  std::string s;
  color c = color::red;
  std::optional<std::string> os;
  std::optional<std::int32_t> oi;
  std::optional<color> oc;
  bool operator==(const flat&) const = default;
};
BOOST_DESCRIBE_STRUCT(flat, (), (b, u8, i8, i64, u64, d, f, s, c, os, oi, oc))

struct not_described {
  int x;
};

}  // namespace shop

namespace json = asiokafka::json;
using namespace shop;

static_assert(json::is_json_codable_v<order>);
static_assert(json::is_json_codable_v<tree>);
static_assert(json::is_json_codable_v<std::vector<std::optional<std::map<std::string, color>>>>);
static_assert(json::is_json_codable_v<boost::json::value>);
static_assert(json::is_json_codable_v<std::string>);
static_assert(json::is_json_codable_v<char>);
static_assert(!json::is_json_codable_v<not_described>);
static_assert(!json::is_json_codable_v<std::vector<not_described>>);
static_assert(!json::is_json_codable_v<std::map<int, int>>);
static_assert(!json::is_json_codable_v<const char*>);
static_assert(json::detail::is_flat_struct_v<flat>);
static_assert(json::detail::is_flat_struct_v<person>);
static_assert(json::detail::is_flat_struct_v<employee>);   // inherited members count
static_assert(!json::detail::is_flat_struct_v<order>);     // nested structs, vectors, maps
static_assert(!json::detail::is_flat_struct_v<envelope>);  // a DOM member
static_assert(!json::detail::is_flat_struct_v<std::string>);

namespace {

order sample_order() {
  order o;
  o.id = -9007199254740993;
  o.customer = "Zoë \"the\" customer\\\n\t\x01";
  o.ship_to = {"1 Main St", "02139"};
  o.items = {{"A-1", 2, 9.99}, {"B-2", 1, 0.1}, {"C-3", 4000000000u, 1e300}};
  o.note = "leave at door";
  o.kind = color::blue;
  o.labels = {{"env", 1}, {"a.b", -2}};
  o.palette = {color::green, color::red};
  o.gift = true;
  o.priority = 255;
  o.weight = 0.1f;
  return o;
}

// Decodes with a fresh decoder, expecting failure; returns the error.
template <class T>
json::decode_error decode_failure(std::string_view payload) {
  json::decoder d;
  T out{};
  json::decode_error err;
  BOOST_TEST_REQUIRE(!d.decode(payload, out, err), "decoding unexpectedly succeeded");
  return err;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_json)

BOOST_AUTO_TEST_CASE(nested_struct_round_trip_equal) {
  const order original = sample_order();
  const std::string text = json::encode(original);
  BOOST_TEST_INFO(text);
  BOOST_TEST((json::decode<order>(text) == original));

  // The text is plain JSON that any parser reads, with members in declaration order.
  const boost::json::value parsed = boost::json::parse(text);
  BOOST_TEST(parsed.at("kind").as_string() == "blue");
  BOOST_TEST(parsed.at("bill_to").is_null());
  BOOST_TEST(text.starts_with(R"({"id":-9007199254740993,"customer":)"));

  // to_value produces the same document, and from_value reads it back.
  const boost::json::value dom = json::to_value(original);
  BOOST_TEST(dom == parsed);
  order back;
  json::decode_error err;
  BOOST_TEST_REQUIRE(json::from_value(dom, back, err), err.what());
  BOOST_TEST((back == original));
}

BOOST_AUTO_TEST_CASE(encode_into_reused_string_replaces_contents) {
  std::string out = "previous contents that must go away";
  json::encode(person{"ann", 7}, out);
  BOOST_TEST(out == R"({"name":"ann","age":7})");
  json::encode(std::vector<int>{1, 2}, out);
  BOOST_TEST(out == "[1,2]");
}

BOOST_AUTO_TEST_CASE(recursive_and_inherited_structs_round_trip) {
  const tree t{"root", {{"a", {}}, {"b", {{"c", {}}}}}};
  BOOST_TEST((json::decode<tree>(json::encode(t)) == t));

  const auto e = json::decode<employee>(R"({"team":"core","name":"bo","age":41})");
  BOOST_TEST(e.name == "bo");
  BOOST_TEST(e.age == 41);
  BOOST_TEST(e.team == "core");
  BOOST_TEST(json::encode(e) == R"({"name":"bo","age":41,"team":"core"})");
}

BOOST_AUTO_TEST_CASE(unknown_fields_ignored) {
  const auto p =
      json::decode<person>(R"({"extra":{"deep":[1,2,{"x":null}]},"name":"ann","v2_field":true,"age":30,"z":[]})");
  BOOST_TEST(p.name == "ann");
  BOOST_TEST(p.age == 30);

  const auto o = json::decode<order>(
      R"({"id":1,"customer":"c","ship_to":{"street":"s","zip":"z","country":"NL"},
          "items":[{"sku":"x","qty":1,"price":2,"discount":0.5}],"kind":"red",
          "labels":{},"palette":[],"gift":false,"priority":0,"weight":0,"new_top":"level"})");
  BOOST_TEST(o.ship_to.zip == "z");
  BOOST_TEST(o.items.at(0).price == 2.0);
}

BOOST_AUTO_TEST_CASE(duplicate_keys_last_wins) {
  BOOST_TEST(json::decode<person>(R"({"age":1,"name":"a","age":2})").age == 2);
}

BOOST_AUTO_TEST_CASE(missing_optional_leaves_nullopt) {
  json::decoder d;
  order o = sample_order();  // engaged optionals must be reset by a payload that lacks them
  json::decode_error err;
  const bool ok = d.decode(
      R"({"id":1,"customer":"c","ship_to":{"street":"s","zip":"z"},"items":[],"kind":"green",
          "labels":{},"palette":[],"gift":false,"priority":0,"weight":0})",
      o, err);
  BOOST_TEST_REQUIRE(ok, err.what());
  BOOST_TEST(!o.note.has_value());
  BOOST_TEST(!o.bill_to.has_value());
  BOOST_TEST(o.items.empty());
  BOOST_TEST(o.labels.empty());
}

BOOST_AUTO_TEST_CASE(missing_required_error_names_path) {
  auto err = decode_failure<person>(R"({"name":"ann"})");
  BOOST_TEST(err.path == "age");
  BOOST_TEST(err.message == "missing");
  BOOST_TEST(err.what() == R"(field "age": missing)");

  err = decode_failure<order>(
      R"({"id":1,"customer":"c","ship_to":{"street":"s"},"items":[],"kind":"red",
          "labels":{},"palette":[],"gift":false,"priority":0,"weight":0})");
  BOOST_TEST(err.what() == R"(field "ship_to.zip": missing)");

  err = decode_failure<std::vector<item>>(
      R"([{"sku":"a","qty":1,"price":1},{"sku":"b","qty":1,"price":1},{"sku":"c","price":1}])");
  BOOST_TEST(err.what() == R"(field "[2].qty": missing)");
}

BOOST_AUTO_TEST_CASE(wrong_type_error_names_nested_path) {
  const std::string head = R"({"id":1,"customer":"c","ship_to":{"street":"s","zip":"z"},)";
  const std::string tail = R"("kind":"red","labels":{},"palette":[],"gift":false,"priority":0,"weight":0})";

  auto err = decode_failure<order>(
      head + R"("items":[{"sku":"a","qty":1,"price":1},{"sku":"b","qty":"2","price":1}],)" + tail);
  BOOST_TEST(err.path == "items[1].qty");
  BOOST_TEST(err.what() == R"(field "items[1].qty": expected integer, got string)");

  err = decode_failure<order>(R"({"id":1,"customer":"c","ship_to":{"street":"s","zip":2139},"items":[],)" + tail);
  BOOST_TEST(err.what() == R"(field "ship_to.zip": expected string, got number)");

  err = decode_failure<order>(head + R"("items":[],"kind":"red","labels":{"env":1,"a.b":"x"},)"
                                     R"("palette":[],"gift":false,"priority":0,"weight":0})");
  BOOST_TEST(err.what() == R"(field "labels["a.b"]": expected integer, got string)");

  err = decode_failure<order>(head + R"("items":[],"kind":"red","labels":{"env":[]},)"
                                     R"("palette":[],"gift":false,"priority":0,"weight":0})");
  BOOST_TEST(err.what() == R"(field "labels.env": expected integer, got array)");

  err = decode_failure<person>(R"([1,2])");
  BOOST_TEST(err.path.empty());
  BOOST_TEST(err.what() == "expected object, got array");

  err = decode_failure<order>(head + R"("items":{},)" + tail);
  BOOST_TEST(err.what() == R"(field "items": expected array, got object)");

  err = decode_failure<order>(head + R"("items":[],"kind":"red","labels":{},"palette":[],)"
                                     R"("gift":"yes","priority":0,"weight":0})");
  BOOST_TEST(err.what() == R"(field "gift": expected boolean, got string)");
}

BOOST_AUTO_TEST_CASE(unknown_enumerator_error_names_enum) {
  const std::string head = R"({"id":1,"customer":"c","ship_to":{"street":"s","zip":"z"},)";
  auto err = decode_failure<order>(head + R"("items":[],"kind":"x","labels":{},"palette":[],)"
                                          R"("gift":false,"priority":0,"weight":0})");
  BOOST_TEST(err.what() == R"(field "kind": unknown enumerator "x" for enum shop::color)");

  err = decode_failure<std::vector<color>>(R"(["red","Green"])");
  BOOST_TEST(err.what() == R"(field "[1]": unknown enumerator "Green" for enum shop::color)");

  err = decode_failure<color>("2");
  BOOST_TEST(err.what() == "expected string, got number");

  // A long bogus value is cut in the message.
  err = decode_failure<color>("\"" + std::string(1000, 'q') + "\"");
  BOOST_TEST(err.message.size() < 150u);
}

BOOST_AUTO_TEST_CASE(integer_out_of_range_error) {
  auto err = decode_failure<numbers>(R"({"u8":300,"i8":0,"i64":0,"u64":0,"d":0,"f":0})");
  BOOST_TEST(err.what() == R"(field "u8": value 300 out of range [0, 255])");

  err = decode_failure<numbers>(R"({"u8":0,"i8":-129,"i64":0,"u64":0,"d":0,"f":0})");
  BOOST_TEST(err.what() == R"(field "i8": value -129 out of range [-128, 127])");

  err = decode_failure<numbers>(R"({"u8":0,"i8":0,"i64":9223372036854775808,"u64":0,"d":0,"f":0})");
  BOOST_TEST(err.path == "i64");

  err = decode_failure<numbers>(R"({"u8":0,"i8":0,"i64":0,"u64":-1,"d":0,"f":0})");
  BOOST_TEST(err.what() == R"(field "u64": value -1 out of range [0, 18446744073709551615])");

  // Beyond uint64 Boost.JSON yields a double; still a range error, not a wrap-around.
  err = decode_failure<numbers>(R"({"u8":0,"i8":0,"i64":0,"u64":1e20,"d":0,"f":0})");
  BOOST_TEST(err.path == "u64");

  err = decode_failure<numbers>(R"({"u8":0,"i8":0,"i64":0,"u64":0,"d":0,"f":1e300})");
  BOOST_TEST(err.what() == R"(field "f": value 1e+300 out of range for float)");

  err = decode_failure<numbers>(R"({"u8":2.5,"i8":0,"i64":0,"u64":0,"d":0,"f":0})");
  BOOST_TEST(err.what() == R"(field "u8": expected integer, got number 2.5)");
}

BOOST_AUTO_TEST_CASE(numbers_at_type_limits_decode) {
  const auto n = json::decode<numbers>(R"({"u8":255,"i8":-128,"i64":-9223372036854775808,"u64":18446744073709551615,)"
                                       R"("d":7,"f":3.0})");
  BOOST_TEST(n.u8 == 255);
  BOOST_TEST(n.i8 == -128);
  BOOST_TEST(n.i64 == std::numeric_limits<std::int64_t>::min());
  BOOST_TEST(n.u64 == std::numeric_limits<std::uint64_t>::max());
  BOOST_TEST(n.d == 7.0);  // integers are accepted for floating-point members
  BOOST_TEST(n.f == 3.0f);
  BOOST_TEST(json::decode<int>("4.0") == 4);  // an integral float is accepted for an integer
  BOOST_TEST(json::encode(n) == R"({"u8":255,"i8":-128,"i64":-9223372036854775808,)"
                                R"("u64":18446744073709551615,"d":7.0,"f":3.0})");
}

BOOST_AUTO_TEST_CASE(null_handling_optional_only) {
  auto o = json::decode<std::optional<int>>("null");
  BOOST_TEST(!o.has_value());
  o = json::decode<std::optional<int>>("5");
  BOOST_TEST((o == 5));

  const auto p = json::decode<envelope>(R"({"type":"t","body":null,"meta":null})");
  BOOST_TEST(p.body.is_null());  // a DOM member takes null as a value
  BOOST_TEST(!p.meta.has_value());

  auto err = decode_failure<person>(R"({"name":null,"age":1})");
  BOOST_TEST(err.what() == R"(field "name": expected string, got null)");
  err = decode_failure<std::vector<int>>(R"([1,null])");
  BOOST_TEST(err.what() == R"(field "[1]": expected integer, got null)");
  err = decode_failure<person>("null");
  BOOST_TEST(err.what() == "expected object, got null");

  BOOST_TEST(json::encode(std::optional<int>{}) == "null");
  BOOST_TEST(json::encode(std::vector<std::optional<int>>{1, std::nullopt}) == "[1,null]");
}

BOOST_AUTO_TEST_CASE(non_json_bytes_error) {
  const auto err = decode_failure<person>("\x01\x02 not json");
  BOOST_TEST(err.path.empty());
  BOOST_TEST(err.message.starts_with("not JSON: "), err.message);
  BOOST_TEST(err.message.ends_with(" at offset 0"), err.message);

  const auto mid = decode_failure<person>(R"({"name":"a","age":1x})");
  BOOST_TEST(mid.message.ends_with(" at offset 19"), mid.message);
}

BOOST_AUTO_TEST_CASE(truncated_json_error) {
  const std::string full = R"({"name":"ann","age":30})";
  for (std::size_t n = 1; n < full.size(); ++n) {
    const auto err = decode_failure<person>(full.substr(0, n));
    BOOST_TEST(err.message.starts_with("not JSON: "), n << ": " << err.message);
  }
}

BOOST_AUTO_TEST_CASE(empty_payload_error) {
  BOOST_TEST(decode_failure<person>("").what() == "empty payload");
  BOOST_TEST(decode_failure<boost::json::value>("").what() == "empty payload");
  BOOST_TEST(decode_failure<person>("  \n").message.starts_with("not JSON: "));
}

BOOST_AUTO_TEST_CASE(trailing_garbage_error) {
  const auto err = decode_failure<person>(R"({"name":"a","age":1} {})");
  BOOST_TEST(err.message.starts_with("not JSON: "), err.message);
  BOOST_TEST(err.message.ends_with(" at offset 21"), err.message);
  // Trailing whitespace is not garbage.
  BOOST_TEST(json::decode<person>("{\"name\":\"a\",\"age\":1} \n").age == 1);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_error) {
  for (const std::string bad : {"\xff", "\xc3", "\xed\xa0\x80", "\xc0\xaf"}) {
    const auto err = decode_failure<person>(R"({"name":")" + bad + R"(","age":1})");
    BOOST_TEST(err.message.starts_with("not JSON: "), err.message);
  }
  BOOST_TEST(json::decode<person>("{\"name\":\"Zo\xc3\xab\",\"age\":1}").name == "Zo\xc3\xab");
}

BOOST_AUTO_TEST_CASE(deep_nesting_error_not_crash) {
  const std::string open(10000, '[');
  BOOST_TEST(decode_failure<boost::json::value>(open).message.starts_with("not JSON: "));
  BOOST_TEST(decode_failure<person>(open + std::string(10000, ']')).message.starts_with("not JSON: "));
  std::string objects;
  for (int i = 0; i < 10000; ++i) objects += R"({"a":)";
  BOOST_TEST(decode_failure<envelope>(objects).message.starts_with("not JSON: "));

  // The limit is an option; within it nesting is fine.
  json::decoder d(json::decoder_options{.max_depth = 200});
  boost::json::value v;
  json::decode_error err;
  BOOST_TEST(d.decode(std::string(150, '[') + std::string(150, ']'), v, err), err.what());
  BOOST_TEST(!d.decode(std::string(250, '[') + std::string(250, ']'), v, err));
}

BOOST_AUTO_TEST_CASE(decoder_reuse_matches_one_shot) {
  std::vector<std::string> payloads;
  for (int i = 0; i < 300; ++i) {
    order o = sample_order();
    o.id = i;
    o.customer = std::string(static_cast<std::size_t>(i % 40), 'c');
    o.items.resize(static_cast<std::size_t>(i % 5));
    if (i % 3 == 0) o.note.reset();
    if (i % 4 == 0) o.bill_to = address{"b", std::to_string(i)};
    if (i % 50 == 7) o.customer = std::string(200000, 'x');  // forces the arena to grow
    std::string text = json::encode(o);
    if (i % 11 == 0) text.pop_back();                                     // truncated
    if (i % 13 == 0) text.replace(text.find("\"kind\""), 6, "\"kinx\"");  // missing member
    payloads.push_back(std::move(text));
  }

  json::decoder reused(json::decoder_options{.initial_buffer_size = 256});
  order out;  // reused across calls: nothing from the previous payload may leak through
  for (const auto& payload : payloads) {
    json::decode_error err;
    const bool ok = reused.decode(payload, out, err);
    try {
      const order expected = json::decode<order>(payload);
      BOOST_TEST_REQUIRE(ok, err.what());
      BOOST_TEST_REQUIRE((out == expected));
    } catch (const json::decode_exception& e) {
      BOOST_TEST_REQUIRE(!ok);
      BOOST_TEST_REQUIRE(err.what() == e.error().what());
      BOOST_TEST_REQUIRE(std::string(e.what()) == e.error().what());
    }
  }
}

BOOST_AUTO_TEST_CASE(json_value_passthrough) {
  const std::string text = R"({"a":[1,2.5,"x",null,true],"b":{"c":{}}})";
  const auto v = json::decode<boost::json::value>(text);
  BOOST_TEST(v == boost::json::parse(text));
  BOOST_TEST(boost::json::parse(json::encode(v)) == v);

  const auto obj = json::decode<boost::json::object>(text);
  BOOST_TEST(obj.at("b").at("c").as_object().empty());
  BOOST_TEST(decode_failure<boost::json::array>(text).what() == "expected array, got object");
  BOOST_TEST(json::decode<boost::json::array>("[1]").size() == 1u);

  // A DOM member outlives the decoder's per-call memory.
  envelope e;
  {
    json::decoder d;
    json::decode_error err;
    BOOST_TEST_REQUIRE(d.decode(R"({"type":"t","body":{"k":[1,{"z":"long enough string"}]}})", e, err), err.what());
    person other;  // reuses the arena the first document lived in
    BOOST_TEST_REQUIRE(d.decode(R"({"name":"overwrites the arena memory","age":1})", other, err), err.what());
  }
  BOOST_TEST(e.body.at("k").at(1).at("z").as_string() == "long enough string");
  BOOST_TEST(!e.meta.has_value());
  BOOST_TEST(json::encode(e) == R"({"type":"t","body":{"k":[1,{"z":"long enough string"}]},"meta":null})");
}

BOOST_AUTO_TEST_CASE(strings_with_escapes_round_trip) {
  std::string all;
  for (int c = 0; c < 128; ++c) all += static_cast<char>(c);
  all += "\xe2\x82\xac \xf0\x9f\x98\x80";
  const std::string text = json::encode(all);
  BOOST_TEST(boost::json::parse(text).as_string() == all);
  BOOST_TEST(json::decode<std::string>(text) == all);
  BOOST_TEST(json::encode(std::string("a\"b\\c\n\x1f")) == R"("a\"b\\c\n\u001f")");
}

BOOST_AUTO_TEST_CASE(unencodable_values_throw) {
  BOOST_CHECK_THROW(json::encode(std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
  BOOST_CHECK_THROW(json::encode(std::vector<float>{1, std::numeric_limits<float>::infinity()}), std::invalid_argument);
  BOOST_CHECK_THROW(json::to_value(std::numeric_limits<double>::infinity()), std::invalid_argument);
  BOOST_CHECK_THROW(json::encode(static_cast<color>(42)), std::invalid_argument);
  BOOST_CHECK_THROW(json::to_value(static_cast<color>(42)), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(throwing_decode_carries_error) {
  try {
    json::decode<person>(R"({"name":"a"})");
    BOOST_FAIL("expected decode_exception");
  } catch (const json::decode_exception& e) {
    BOOST_TEST(e.error().path == "age");
    BOOST_TEST(std::string(e.what()) == R"(field "age": missing)");
  }
}

BOOST_AUTO_TEST_CASE(vector_of_bool_and_top_level_scalars_round_trip) {
  const std::vector<bool> bits{true, false, true};
  BOOST_TEST(json::encode(bits) == "[true,false,true]");
  BOOST_TEST((json::decode<std::vector<bool>>("[true,false,true]") == bits));
  BOOST_TEST(json::decode<std::string>(R"("hi")") == "hi");
  BOOST_TEST(json::decode<double>("1e-3") == 1e-3);
  BOOST_TEST(json::encode(0.1) == "0.1");
  BOOST_TEST(json::encode(2.0) == "2.0");
  BOOST_TEST(json::encode(char{65}) == "65");
  BOOST_TEST(json::encode(std::map<std::string, color>{{"x", color::green}}) == R"({"x":"green"})");
}

BOOST_AUTO_TEST_CASE(megabyte_payload_decodes) {
  blob b;
  b.data.assign(1 << 20, 'x');
  for (int i = 0; i < 100000; ++i) b.values.push_back(i * 7 - 300000);
  const std::string text = json::encode(b);
  BOOST_TEST(text.size() > 1500000u);

  json::decoder d(json::decoder_options{.max_retained_buffer_size = 1 << 16});
  blob out;
  json::decode_error err;
  BOOST_TEST_REQUIRE(d.decode(text, out, err), err.what());
  BOOST_TEST((out.data == b.data));
  BOOST_TEST((out.values == b.values));
  // The decoder stays usable for small payloads after a big one.
  BOOST_TEST_REQUIRE(d.decode(R"({"data":"s","values":[1]})", out, err), err.what());
  BOOST_TEST(out.data == "s");
  BOOST_TEST(out.values.size() == 1u);
}

// The flat-struct path and the document path accept the same payloads, yield the same
// values and word the same errors; one decoder of each is reused across the corpus, as a
// subscriber reuses its decoder, and each decodes into a target left dirty by the last.
BOOST_AUTO_TEST_CASE(flat_struct_path_matches_the_document_path) {
  const std::string full =
      R"({"b":true,"u8":255,"i8":-128,"i64":-9007199254740993,"u64":18446744073709551615,)"
      R"("d":3.0999999999999996e+39,"f":0.1,"s":"x\"y\u00e9\n","c":"blue","os":"o","oi":-7,"oc":"green"})";
  const std::vector<std::string> corpus = {
      full,
      R"({"b":false,"u8":0,"i8":0,"i64":0,"u64":0,"d":0,"f":0,"s":"","c":"red"})",  // optionals absent
      R"({"c":"red","s":"","f":0,"d":0,"u64":0,"i64":0,"i8":0,"u8":0,"b":false,"os":null,"oi":null,"oc":null})",
      R"({"b":true,"u8":3.0,"i8":-1e0,"i64":1e3,"u64":2,"d":1,"f":-2,"s":"\ud83d\ude00","c":"green"})",
      R"({"x":{"b":1,"s":[1,{"c":2}]},"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":"s","c":"red","y":[[]]})",
      R"(  {"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1e-320,"f":1,"s":"s","c":"red"}  )",
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":"s","c":"red","b":false})",  // duplicate
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":"s","c":"red","s":"again"})",
      R"({"b":true,"u8":256,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":"s","c":"red"})",  // out of range
      R"({"b":true,"u8":1,"i8":-129,"i64":1,"u64":1,"d":1,"f":1,"s":"s","c":"red"})",
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":-1,"d":1,"f":1,"s":"s","c":"red"})",
      R"({"b":true,"u8":1.5,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":"s","c":"red"})",    // not an integer
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1e400,"f":1,"s":"s","c":"red"})",  // infinity
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1e39,"s":"s","c":"red"})",   // beyond float
      R"({"b":1,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":"s","c":"red"})",         // wrong types
      R"({"b":true,"u8":"1","i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":"s","c":"red"})",
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":5,"c":"red"})",
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":null,"c":"red"})",
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":{"a":1},"c":"red"})",
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":["a"],"c":"red"})",
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":"s","c":"purple"})",  // unknown enumerator
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":"s","c":"red","oc":"RED"})",
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":"s","c":"red","oi":2147483648})",
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":"s"})",  // missing
      R"({})",
      R"([])",
      R"("flat")",
      R"(null)",
      R"(42)",
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":"s","c":"red"} x)",  // trailing
      R"({"b":true,"u8":1,"i8":1,"i64":1,"u64":1,"d":1,"f":1,"s":"s","c":"red")",     // truncated
      R"({"b":true,"s":"\ud800"})",                                                   // bad escape
      "{\"s\":\"\xff\"}",                                                             // bad UTF-8
      "",
      std::string(70, '[') + std::string(70, ']'),
      R"({"deep":)" + std::string(70, '[') + std::string(70, ']') + "}",
  };
  json::decoder direct;
  json::decoder document(json::decoder_options{.direct_structs = false});
  flat via_direct, via_document;
  int decoded = 0;
  for (const auto& payload : corpus) {
    BOOST_TEST_CONTEXT("payload " << payload) {
      json::decode_error direct_err, document_err;
      const bool ok = direct.decode(payload, via_direct, direct_err);
      BOOST_TEST(ok == document.decode(payload, via_document, document_err));
      if (ok) {
        ++decoded;
        BOOST_TEST((via_direct == via_document));
      } else {
        BOOST_TEST(direct_err.what() == document_err.what());
        BOOST_TEST(!direct_err.message.empty());
      }
    }
  }
  BOOST_TEST(decoded == 8);  // the first eight (a duplicate key: the last one wins)
  // Values as written, escapes and correct rounding included.
  flat f;
  json::decode_error err;
  BOOST_TEST_REQUIRE(direct.decode(full, f, err));
  BOOST_TEST(f.i64 == -9007199254740993);
  BOOST_TEST(f.u64 == std::numeric_limits<std::uint64_t>::max());
  BOOST_TEST(f.d == 3.0999999999999996e+39);
  BOOST_TEST(f.s == "x\"y\u00e9\n");
  BOOST_TEST((f.c == color::blue && f.oc == color::green && f.oi == -7 && f.os == "o"));
}

BOOST_AUTO_TEST_CASE(moved_decoder_keeps_working) {
  json::decoder a;
  json::decoder b(std::move(a));
  person p;
  json::decode_error err;
  BOOST_TEST(b.decode(R"({"name":"x","age":2})", p, err), err.what());
  a = std::move(b);
  BOOST_TEST(a.decode(R"({"name":"y","age":3})", p, err), err.what());
  BOOST_TEST(p.name == "y");
}

BOOST_AUTO_TEST_SUITE_END()
