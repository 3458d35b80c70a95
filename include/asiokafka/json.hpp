// asiokafka::json - the JSON codec that turns Kafka payloads into typed handler arguments
// and handler results back into payloads.
//
// Supported types, for decoding and encoding alike:
//  * structs described with BOOST_DESCRIBE_STRUCT (their public members, inherited ones
//    included; members may themselves be described structs) -> JSON objects;
//  * enums described with BOOST_DESCRIBE_ENUM -> the enumerator's name as a JSON string;
//  * std::vector<T> -> arrays; std::map<std::string, T> -> objects;
//  * std::optional<T> -> T or null;
//  * std::string, bool, every integral type (char included, as a number), float, double,
//    long double;
//  * boost::json::value, boost::json::object, boost::json::array, passed through.
//
// Decoding is tolerant, so that producers may evolve their schema:
//  * object keys that name no member are ignored;
//  * a missing member of type std::optional<T> becomes std::nullopt, null does too;
//  * a missing member of any other type is an error, and so is null for it;
//  * integers are range-checked against the target type (300 into std::uint8_t fails);
//    a float written with an integral value (3.0) is accepted for an integer;
//  * floating-point targets accept integers; float rejects values beyond its range;
//  * enums accept exactly the enumerator names (case-sensitive).
// Input must be one complete JSON text in valid UTF-8: an empty payload, trailing bytes after
// the value, invalid UTF-8 inside strings and nesting deeper than decoder_options::max_depth
// are errors. Duplicate keys: the last one wins.
//
// Errors name the failing field with a path such as `address.zip`, `items[2].qty` or
// `labels.env` (a map key; keys that are not plain identifiers are written `labels["a.b"]`):
//   field "items[2].qty": missing
//   field "address.zip": expected string, got number
//   field "kind": unknown enumerator "x" for enum shop::color   (the enum's qualified name)
//   not JSON: syntax error at offset 17
//   empty payload
//
// Encoding writes compact JSON: struct members in declaration order, a disengaged optional
// as null, map entries in key order. Floating-point values use the shortest text that reads
// back to the same value, with a fraction even when whole (2.0); DOM values are written by
// Boost.JSON's serializer (its number format, e.g. 2.5E0). NaN and infinities have no JSON form and make encoding throw
// std::invalid_argument, as does an enum value that is not a described enumerator. Strings
// are written as they are (escaping quotes, backslashes and control characters), so they
// must hold UTF-8.
#pragma once

#include <asiokafka/detail/json_codec.hpp>
#include <asiokafka/detail/json_direct.hpp>
#include <asiokafka/detail/json_encode.hpp>

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asiokafka::json {

/// True when T can be decoded from and encoded to JSON by this codec. Described structs count
/// as codable without their members being inspected (recursive types must work); a member
/// of an unsupported type is a compile-time error, with a message, where the struct is
/// decoded or encoded.
template <class T>
inline constexpr bool is_json_codable_v = detail::is_codable<T>::value;

/// Why a payload did not decode.
struct decode_error {
  /// The failing field, e.g. "items[2].qty"; empty when the payload as a whole is at fault
  /// (not JSON, empty, wrong top-level type).
  std::string path;
  /// What is wrong, e.g. "missing", "expected string, got number".
  std::string message;

  /// The full sentence: `field "items[2].qty": missing`, or just `message` when `path` is
  /// empty.
  std::string what() const;
};

/// Thrown by the throwing decode functions.
class decode_exception : public std::runtime_error {
 public:
  explicit decode_exception(decode_error error);
  const decode_error& error() const noexcept { return error_; }

 private:
  decode_error error_;
};

struct decoder_options {
  /// Deepest nesting of arrays and objects accepted; deeper input is an error, not a stack
  /// overflow. Keep it in the hundreds at most: the parser recurses.
  std::size_t max_depth = 64;
  /// Size of the buffer the parsed document is built in; a payload whose document needs
  /// more makes the buffer grow (up to max_retained_buffer_size) for the following calls.
  std::size_t initial_buffer_size = 4096;
  /// The buffer never grows beyond this; a larger document borrows heap memory for the
  /// duration of one call only.
  std::size_t max_retained_buffer_size = std::size_t{1} << 20;
  /// A flat struct (a described struct whose members are all bool, numbers, std::string,
  /// described enums or std::optional of those) is decoded straight from the parser's events,
  /// without building a document. Whatever that path does not take as is, every error
  /// included, is decoded again through the document, so the values and the errors are the
  /// same either way; false always builds the document.
  bool direct_structs = true;
};

/// Decodes a stream of payloads without avoidable heap traffic: it keeps one parser and an
/// arena in which each payload's document is built and thrown away, so decoding a ~100-byte
/// message into a struct allocates only what the struct's own members need (and nothing when
/// `out` is reused and its strings and vectors already have the capacity).
///
/// Thread safety: a decoder is not synchronized; use one per strand (or per thread).
/// Distinct decoders are independent. Movable, not copyable; a moved-from decoder may only be
/// assigned to or destroyed.
class decoder {
 public:
  decoder();
  explicit decoder(const decoder_options& options);
  decoder(decoder&&) noexcept;
  decoder& operator=(decoder&&) noexcept;
  ~decoder();

  /// Decodes `payload` into `out`. On success returns true and `out` holds exactly what the
  /// payload says (whatever it held before is overwritten, reusing its capacity; `err` is not
  /// touched). On failure returns false, fills `err`, and leaves `out` valid but partly
  /// assigned. Throws only std::bad_alloc.
  template <class T>
  bool decode(std::string_view payload, T& out, decode_error& err) {
    static_assert(is_json_codable_v<T>, "asiokafka::json: unsupported type");
    if constexpr (std::is_same_v<T, boost::json::value>) {
      return parse_into(payload, out, err);
    } else if constexpr (std::is_same_v<T, boost::json::object>) {
      boost::json::value v(out.storage());
      if (!parse_into(payload, v, err)) return false;
      if (!v.is_object()) return detail::fail_kind(err, "object", v);
      out = std::move(v.get_object());
      return true;
    } else if constexpr (std::is_same_v<T, boost::json::array>) {
      boost::json::value v(out.storage());
      if (!parse_into(payload, v, err)) return false;
      if (!v.is_array()) return detail::fail_kind(err, "array", v);
      out = std::move(v.get_array());
      return true;
    } else {
      if constexpr (detail::is_flat_struct_v<T>) {
        if (decode_direct(payload, &out, detail::direct_schema_of<T>())) return true;
      }
      const boost::json::value* document = parse(payload, err);
      if (!document) return false;
      const release_guard guard{*this};
      return detail::read(*document, out, err);
    }
  }

  /// Decodes `payload` into a new T (default-constructed first). Throws decode_exception.
  template <class T>
  T decode(std::string_view payload) {
    T out{};
    decode_error err;
    if (!decode(payload, out, err)) throw decode_exception(std::move(err));
    return out;
  }

 private:
  struct impl;
  struct release_guard {
    decoder& self;
    ~release_guard() { self.release(); }
  };

  // The flat-struct path (detail/json_direct.hpp); false when the document path must decide.
  bool decode_direct(std::string_view payload, void* out, detail::direct_schema schema);
  // Parses into the arena; the document stays valid until release(). nullptr on error.
  const boost::json::value* parse(std::string_view payload, decode_error& err);
  // Parses straight into `out`, built with out's storage: DOM targets get no copy.
  bool parse_into(std::string_view payload, boost::json::value& out, decode_error& err);
  void release() noexcept;

  std::unique_ptr<impl> impl_;
};

/// One-shot decode with a temporary decoder; prefer a long-lived decoder for a stream of
/// payloads. Throws decode_exception. Thread-safe.
template <class T>
T decode(std::string_view payload) {
  decoder d;
  return d.decode<T>(payload);
}

/// Converts an already parsed value. Same rules and errors as decoder::decode, minus the
/// parsing ones. Returns false and fills `err` on failure.
template <class T>
bool from_value(const boost::json::value& v, T& out, decode_error& err) {
  static_assert(is_json_codable_v<T>, "asiokafka::json: unsupported type");
  return detail::read(v, out, err);
}

/// Serializes `value` as compact JSON into `out`, replacing its contents (its capacity is
/// reused). Throws std::invalid_argument for NaN/infinity or an unnamed enum value.
template <class T>
void encode(const T& value, std::string& out) {
  static_assert(is_json_codable_v<T>, "asiokafka::json: unsupported type");
  out.clear();
  detail::write(out, value);
}

/// Serializes `value` as compact JSON.
template <class T>
std::string encode(const T& value) {
  std::string out;
  encode(value, out);
  return out;
}

/// Converts `value` to a DOM whose memory comes from `sp`. Throws std::invalid_argument like
/// encode.
template <class T>
boost::json::value to_value(const T& value, const boost::json::storage_ptr& sp = {}) {
  static_assert(is_json_codable_v<T>, "asiokafka::json: unsupported type");
  return detail::make_value(value, sp);
}

}  // namespace asiokafka::json
