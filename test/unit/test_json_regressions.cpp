// Inputs found by the libFuzzer targets in fuzz/ (scripts/fuzz), kept as unit tests.
#define BOOST_TEST_MODULE test_json_regressions
#include <boost/test/unit_test.hpp>

#include <asiokafka/json.hpp>

#include <boost/describe/class.hpp>

#include <cmath>
#include <iomanip>
#include <optional>
#include <string>

namespace regression_model {
struct priced {
  std::optional<double> price;
  float weight = 0;
};
BOOST_DESCRIBE_STRUCT(priced, (), (price, weight))
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

// fuzz_json_decoder: Boost.JSON 1.81's parser is not correctly rounded. "3.1e39" reads as
// 3.0999999999999996e39; the encoder writes that double's shortest text, which the same parser
// reads as 3.099999999999999e39, one ULP lower: each decode/encode hop (a handler republishing
// what it got) can move a double. Expected to fail until the decoder reads numbers correctly
// rounded (e.g. std::from_chars on the number's text); reported to the lead.
BOOST_AUTO_TEST_CASE(encoded_double_reads_back_unchanged, *boost::unit_test::expected_failures(1)) {
  asiokafka::json::decoder decoder;
  regression_model::priced first, second;
  asiokafka::json::decode_error err;
  BOOST_TEST_REQUIRE(decoder.decode(R"({"price":3.1e39,"weight":0})", first, err));
  const std::string encoded = asiokafka::json::encode(first);
  BOOST_TEST_REQUIRE(decoder.decode(encoded, second, err));
  BOOST_TEST_MESSAGE("3.1e39 -> " << encoded << " -> " << asiokafka::json::encode(second));
  BOOST_TEST((*first.price == *second.price), std::setprecision(17) << *first.price << " != " << *second.price);
}

// Whatever decodes must encode: no non-finite value may come out of a decode.
BOOST_AUTO_TEST_CASE(decoded_values_encode_again) {
  asiokafka::json::decoder decoder;
  for (const char* payload : {R"({"price":1.7976931348623157e308,"weight":3.4e38})", R"({"price":-0.0,"weight":-1e-45})",
                              R"({"price":null,"weight":0})"}) {
    regression_model::priced out;
    asiokafka::json::decode_error err;
    BOOST_TEST_REQUIRE(decoder.decode(payload, out, err), payload << ": " << err.what());
    BOOST_TEST(std::isfinite(out.price.value_or(0)));
    BOOST_CHECK_NO_THROW(asiokafka::json::encode(out));
  }
}

BOOST_AUTO_TEST_SUITE_END()
