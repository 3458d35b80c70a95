// Inputs found by the libFuzzer targets in fuzz/ (scripts/fuzz), kept as unit tests.
#define BOOST_TEST_MODULE test_json_regressions
#include <boost/test/unit_test.hpp>

#include <asiokafka/json.hpp>

#include <boost/describe/class.hpp>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <limits>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <vector>

// The largest single heap request this executable made, to catch allocation sizes that grow
// with the number of payloads decoded.
namespace {
std::atomic<std::size_t> largest_allocation{0};
}  // namespace

void* operator new(std::size_t n) {
  std::size_t seen = largest_allocation.load(std::memory_order_relaxed);
  while (n > seen && !largest_allocation.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// GCC cannot see that the operator new above is malloc: the pairing is right.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace regression_model {
struct priced {
  std::optional<double> price;
  float weight = 0;
};
BOOST_DESCRIBE_STRUCT(priced, (), (price, weight))

struct listed {
  std::vector<std::string> values;
};
BOOST_DESCRIBE_STRUCT(listed, (), (values))

struct with_dom {
  std::optional<boost::json::value> extra;
};
BOOST_DESCRIBE_STRUCT(with_dom, (), (extra))
}  // namespace regression_model

BOOST_AUTO_TEST_SUITE(test_json_regressions)

// fuzz_json_decoder: `8e308` is beyond double's range. It decoded to +infinity, which
// json::encode then refuses (std::invalid_argument), so a handler echoing its input failed
// while publishing. Like `float` beyond its range, it must be a decode error naming the field.
BOOST_AUTO_TEST_CASE(number_beyond_double_range_is_a_decode_error) {
  asiokafka::json::decoder decoder;
  regression_model::priced out;
  asiokafka::json::decode_error err;
  const bool ok = decoder.decode(R"({"price":8e308,"weight":1})", out, err);
  BOOST_TEST_MESSAGE("decoded: " << ok << ", price " << out.price.value_or(0) << ", error: " << err.what());
  BOOST_TEST((!ok && err.path == "price"));
}

// The float case the double case should match.
BOOST_AUTO_TEST_CASE(number_beyond_float_range_is_a_decode_error) {
  asiokafka::json::decoder decoder;
  regression_model::priced out;
  asiokafka::json::decode_error err;
  BOOST_TEST(!decoder.decode(R"({"price":1.5,"weight":1e39})", out, err));
  BOOST_TEST(err.path == "weight");
}

// fuzz_json_decoder: Boost.JSON 1.81's parser is not correctly rounded. "3.1e39" read as
// 3.0999999999999996e39, and that double's shortest text read back one ULP lower, so each
// decode/encode hop (a handler republishing what it got) could move a double. The decoder now
// reads every floating-point number with std::from_chars: the literal's nearest double, and
// every finite double survives encode -> decode bit for bit.
BOOST_AUTO_TEST_CASE(encoded_double_reads_back_unchanged) {
  asiokafka::json::decoder decoder;
  regression_model::priced first, second;
  asiokafka::json::decode_error err;
  BOOST_TEST_REQUIRE(decoder.decode(R"({"price":3.1e39,"weight":0})", first, err));
  BOOST_TEST(*first.price == 3.1e39, std::setprecision(17) << *first.price);
  const std::string encoded = asiokafka::json::encode(first);
  BOOST_TEST_REQUIRE(decoder.decode(encoded, second, err));
  BOOST_TEST((*first.price == *second.price), std::setprecision(17) << *first.price << " != " << *second.price);

  std::mt19937_64 bits(20261124);
  int moved = 0;
  for (int i = 0; i < 200000; ++i) {
    const double d = std::bit_cast<double>(bits());
    if (!std::isfinite(d)) continue;
    regression_model::priced in{d, 0}, out;
    BOOST_TEST_REQUIRE(decoder.decode(asiokafka::json::encode(in), out, err), err.what());
    if (std::bit_cast<std::uint64_t>(*out.price) != std::bit_cast<std::uint64_t>(d) && moved++ < 5)
      BOOST_TEST_MESSAGE(std::setprecision(17) << d << " read back as " << *out.price);
  }
  BOOST_TEST(moved == 0);
}

// Whatever decodes must encode: no non-finite value may come out of a decode.
BOOST_AUTO_TEST_CASE(decoded_values_encode_again) {
  asiokafka::json::decoder decoder;
  for (const char* payload : {R"({"price":1.7976931348623157e308,"weight":3.4e38})",
                              R"({"price":-0.0,"weight":-1e-45})", R"({"price":null,"weight":0})"}) {
    regression_model::priced out;
    asiokafka::json::decode_error err;
    BOOST_TEST_REQUIRE(decoder.decode(payload, out, err), payload << ": " << err.what());
    BOOST_TEST(std::isfinite(out.price.value_or(0)));
    BOOST_CHECK_NO_THROW(asiokafka::json::encode(out));
  }
}

// fuzz_json_decoder (out-of-memory: malloc of 2 GiB): a decoder whose retained buffer is
// capped smaller than the payloads borrows for each of them, and Boost.JSON's arena kept
// doubling the size of what it borrowed from one payload to the next. Decoding many
// same-sized oversized payloads must keep asking for the same amount.
BOOST_AUTO_TEST_CASE(oversized_payloads_do_not_grow_borrowing) {
  asiokafka::json::decoder decoder(
      asiokafka::json::decoder_options{.max_depth = 64, .initial_buffer_size = 256, .max_retained_buffer_size = 4096});
  std::string payload = R"({"values":[)";
  for (int i = 0; i < 2000; ++i) payload += (i ? ",\"x\"" : "\"x\"");
  payload += "]}";
  regression_model::listed out;
  asiokafka::json::decode_error err;
  const std::size_t before = largest_allocation.load();
  for (int i = 0; i < 64; ++i) {
    BOOST_REQUIRE(decoder.decode(payload, out, err));
    BOOST_REQUIRE_EQUAL(out.values.size(), 2000u);
  }
  const std::size_t largest = largest_allocation.load();
  BOOST_TEST_MESSAGE("largest single allocation: before " << before << " B, after " << largest << " B");
  BOOST_TEST(largest < std::size_t{1} << 20);
}

// fuzz_json_decoder: a number beyond double's range inside a member decoded as a DOM
// (boost::json::value) became infinity, and encoding the struct again wrote `Infinity`, which
// is not JSON. Such a number is a decode error naming where it is, for DOM members and whole
// DOM payloads alike, and encode refuses a DOM holding infinity.
BOOST_AUTO_TEST_CASE(number_beyond_double_range_inside_a_dom_is_a_decode_error) {
  asiokafka::json::decoder decoder;
  regression_model::with_dom out;
  asiokafka::json::decode_error err;
  BOOST_TEST(!decoder.decode(R"({"extra":{"any":[2,3e999]}})", out, err));
  BOOST_TEST(err.path == "extra.any[1]", "path: " << err.path << ", message: " << err.message);
  BOOST_TEST(err.message.find("out of range for double") != std::string::npos, err.message);

  boost::json::value dom;
  BOOST_TEST(!decoder.decode(R"([1,{"x":-1e400}])", dom, err));
  BOOST_TEST(err.path == "[1].x", "path: " << err.path);
  BOOST_TEST(decoder.decode(R"({"extra":{"any":[2,3e99]}})", out, err));

  boost::json::value infinite = boost::json::array{1.0, std::numeric_limits<double>::infinity()};
  BOOST_CHECK_THROW(asiokafka::json::encode(infinite), std::invalid_argument);
  out.extra = infinite;
  BOOST_CHECK_THROW(asiokafka::json::encode(out), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
