// libFuzzer target: asiokafka::json::decoder on arbitrary payloads, decoding into a described
// struct that has every shape the codec supports (nested struct, vector, optional, enum, map,
// integers with range checks, floating point, a DOM member). A decoder is reused across
// inputs, as subscribers do, so state left behind by a failed decode is exercised too.
//
// Any payload must either decode or fail with a decode_error; a successful decode must
// encode again and decode back to the same encoding; a flat struct must decode the same
// through the flat-struct path and through the document. Anything else (an exception other than
// std::bad_alloc, a crash, a sanitizer report) is a finding.
#include <asiokafka/json.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz {

BOOST_DEFINE_ENUM_CLASS(status, pending, paid, shipped)

struct line {
  std::string sku;
  std::uint16_t qty = 0;
  std::optional<double> price;
  bool operator==(const line&) const = default;
};
BOOST_DESCRIBE_STRUCT(line, (), (sku, qty, price))

struct address {
  std::string city;
  std::optional<std::string> zip;
  bool operator==(const address&) const = default;
};
BOOST_DESCRIBE_STRUCT(address, (), (city, zip))

struct order {
  std::int64_t id = 0;
  status state = status::pending;
  address ship_to;
  std::optional<address> bill_to;
  std::vector<line> lines;
  std::map<std::string, std::int32_t> counters;
  std::optional<std::vector<status>> history;
  std::map<std::string, std::vector<std::string>> tags;
  bool gift = false;
  std::uint8_t priority = 0;
  float weight = 0;
  std::optional<boost::json::value> extra;
};
BOOST_DESCRIBE_STRUCT(order, (),
                      (id, state, ship_to, bill_to, lines, counters, history, tags, gift, priority, weight, extra))

// Every member kind the flat-struct path takes: decoded by it and by the document path,
// which must agree on every payload.
struct flat {
  bool b = false;
  std::uint8_t u8 = 0;
  std::int16_t i16 = 0;
  std::int64_t i64 = 0;
  std::uint64_t u64 = 0;
  double d = 0;
  float f = 0;
  std::string s;
  status st = status::pending;
  std::optional<std::string> os;
  std::optional<std::int32_t> oi;
  std::optional<status> ost;
  bool operator==(const flat&) const = default;
};
BOOST_DESCRIBE_STRUCT(flat, (), (b, u8, i16, i64, u64, d, f, s, st, os, oi, ost))

}  // namespace fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static asiokafka::json::decoder decoder(asiokafka::json::decoder_options{
      .max_depth = 64, .initial_buffer_size = 256, .max_retained_buffer_size = 64 * 1024});
  const std::string_view payload(reinterpret_cast<const char*>(data), size);

  // The flat-struct path against the document path: same outcome, same values, same error.
  static asiokafka::json::decoder document_only(asiokafka::json::decoder_options{
      .max_depth = 64, .initial_buffer_size = 256, .max_retained_buffer_size = 64 * 1024, .direct_structs = false});
  {
    fuzz::flat direct, document;
    asiokafka::json::decode_error direct_err, document_err;
    const bool ok = decoder.decode(payload, direct, direct_err);
    if (ok != document_only.decode(payload, document, document_err)) std::abort();
    if (ok && !(direct == document)) std::abort();
    if (!ok && direct_err.what() != document_err.what()) std::abort();
  }

  static fuzz::order reused;  // reused like a subscriber's decode target
  asiokafka::json::decode_error err;
  if (!decoder.decode(payload, reused, err)) {
    if (err.message.empty()) std::abort();  // a failure must say why
    (void)err.what();
  }

  fuzz::order fresh;
  asiokafka::json::decode_error fresh_err;
  if (!decoder.decode(payload, fresh, fresh_err)) return 0;

  // What decoded must encode (no decode yields NaN or infinity) and survive a round trip
  // unchanged (doubles are read correctly rounded).
  std::string encoded;
  asiokafka::json::encode(fresh, encoded);
  fuzz::order again;
  asiokafka::json::decode_error again_err;
  if (!decoder.decode(encoded, again, again_err)) std::abort();
  std::string reencoded;
  asiokafka::json::encode(again, reencoded);
  if (reencoded != encoded) std::abort();

  boost::json::value dom;
  (void)decoder.decode(payload, dom, err);
  return 0;
}
