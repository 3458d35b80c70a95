// Internal: the type-driven JSON conversions behind asiokafka/json.hpp.
//
//  * read()      boost::json::value -> T, tolerant of unknown keys, reporting the failing
//                field path through decode_error (built on the way back up, so the success
//                path never touches a string).
//  * write(), make_value(): json_encode.hpp.
//
// Cold work (error messages, escaping, number formatting) lives out of line in
// src/json/codec_support.cpp so that the templates instantiated per type stay small.
#pragma once

#include <boost/core/type_name.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <bitset>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace asiokafka::json {
struct decode_error;
}  // namespace asiokafka::json

namespace asiokafka::json::detail {

// ---------------------------------------------------------------------------------------------
// Type classification

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
struct is_string_map : std::false_type {};
template <class T, class C, class A>
struct is_string_map<std::map<std::string, T, C, A>> : std::true_type {};

template <class T>
inline constexpr bool is_json_dom_v = std::is_same_v<T, boost::json::value> || std::is_same_v<T, boost::json::object> ||
                                      std::is_same_v<T, boost::json::array>;

template <class T>
inline constexpr bool is_described_enum_v = std::is_enum_v<T>&& boost::describe::has_describe_enumerators<T>::value;

template <class T>
inline constexpr bool is_described_struct_v =
    std::is_class_v<T> && !std::is_union_v<T> && boost::describe::has_describe_members<T>::value;

template <class T>
inline constexpr bool is_integer_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// Public and inherited public members, the ones a user can see and set.
template <class T>
using described_members =
    boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;

// Described structs count as codable without looking at their members, so that recursive
// types (a node holding std::vector<node>) work; an unsupported member type is reported by
// the static_assert in read()/write() when the codec is instantiated for the struct.
template <class T>
struct is_codable : std::bool_constant<std::is_same_v<T, bool> || is_integer_v<T> || std::is_floating_point_v<T> ||
                                       std::is_same_v<T, std::string> || is_json_dom_v<T> || is_described_enum_v<T> ||
                                       is_described_struct_v<T>> {};
template <class T>
struct is_codable<std::optional<T>> : is_codable<T> {};
template <class T, class A>
struct is_codable<std::vector<T, A>> : is_codable<T> {};
template <class T, class C, class A>
struct is_codable<std::map<std::string, T, C, A>> : is_codable<T> {};

template <class T>
inline constexpr bool dependent_false_v = false;

// ---------------------------------------------------------------------------------------------
// Out-of-line failure reporting. Each sets err (path cleared, message set) and returns false;
// callers on the way up prepend their path segment.

bool fail_kind(decode_error& err, std::string_view expected, const boost::json::value& got);
bool fail_integer_range(decode_error& err, const boost::json::value& got, std::intmax_t min, std::uintmax_t max);
bool fail_float_range(decode_error& err, double got);
// A DOM taken as is (boost::json::value, object or array) must not hold a number the parser
// turned into infinity (a literal beyond double's range): encoding it again would fail.
bool check_finite(const boost::json::value& v, decode_error& err);
bool fail_enumerator(decode_error& err, std::string_view got, std::string_view enum_name);
bool fail_missing(decode_error& err);
void prepend_member(decode_error& err, std::string_view name);
void prepend_index(decode_error& err, std::size_t index);
void prepend_key(decode_error& err, std::string_view key);

// ---------------------------------------------------------------------------------------------
// Decoding

template <class T>
bool read(const boost::json::value& v, T& out, decode_error& err);

template <class T>
bool read_integer(const boost::json::value& v, T& out, decode_error& err) {
  using limits = std::numeric_limits<T>;
  constexpr auto min = static_cast<std::intmax_t>(limits::min());
  constexpr auto max = static_cast<std::uintmax_t>(limits::max());
  switch (v.kind()) {
    case boost::json::kind::int64: {
      const std::int64_t x = v.get_int64();
      if (x >= min && (x < 0 || static_cast<std::uint64_t>(x) <= max)) {
        out = static_cast<T>(x);
        return true;
      }
      return fail_integer_range(err, v, min, max);
    }
    case boost::json::kind::uint64: {
      const std::uint64_t x = v.get_uint64();
      if (x <= max) {
        out = static_cast<T>(x);
        return true;
      }
      return fail_integer_range(err, v, min, max);
    }
    case boost::json::kind::double_: {
      // Some producers write integers as 3.0; accept those when exact and in range.
      const double d = v.get_double();
      if (std::trunc(d) != d) return fail_kind(err, "integer", v);
      if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
        const auto x = static_cast<std::int64_t>(d);
        if (x >= min && (x < 0 || static_cast<std::uint64_t>(x) <= max)) {
          out = static_cast<T>(x);
          return true;
        }
      } else if (d >= 0 && d < 18446744073709551616.0) {
        const auto x = static_cast<std::uint64_t>(d);
        if (x <= max) {
          out = static_cast<T>(x);
          return true;
        }
      }
      return fail_integer_range(err, v, min, max);
    }
    default:
      return fail_kind(err, "integer", v);
  }
}

template <class T>
bool read_float(const boost::json::value& v, T& out, decode_error& err) {
  double d;
  switch (v.kind()) {
    case boost::json::kind::double_:
      d = v.get_double();
      break;
    case boost::json::kind::int64:
      d = static_cast<double>(v.get_int64());
      break;
    case boost::json::kind::uint64:
      d = static_cast<double>(v.get_uint64());
      break;
    default:
      return fail_kind(err, "number", v);
  }
  // JSON has no infinity: a literal beyond the type's range (the parser yields inf for
  // double) is an error, not a value the encoder would later refuse.
  if (!std::isfinite(d)) return fail_float_range(err, d);
  if constexpr (sizeof(T) < sizeof(double)) {
    if (std::fabs(d) > static_cast<double>(std::numeric_limits<T>::max())) return fail_float_range(err, d);
  }
  out = static_cast<T>(d);
  return true;
}

// The enumerator named `name`; false when there is none.
template <class E>
bool find_enumerator(std::string_view name, E& out) {
  bool found = false;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
    if (!found && name == d.name) {
      out = d.value;
      found = true;
    }
  });
  return found;
}

template <class E>
bool read_enum(const boost::json::value& v, E& out, decode_error& err) {
  const boost::json::string* s = v.if_string();
  if (!s) return fail_kind(err, "string", v);
  const std::string_view name(s->data(), s->size());
  if (!find_enumerator(name, out)) return fail_enumerator(err, name, boost::core::type_name<E>());
  return true;
}

// Walks the object once and dispatches each key by comparing it with the member names, which
// are compile-time constants (so each comparison is a length check and an inlined memcmp);
// unknown keys fall through. Measured on ~100-byte objects, conversion alone: 8 ns for a
// 2-member struct and 28 ns for an 8-member one with 2 unknown keys, against 15 and 127 ns
// when looking each member up with object::find (an out-of-line scan of the whole object per
// member, comparing runtime lengths), and 13 and 75 ns for a runtime name table searched from
// the last match.
template <class T>
bool read_struct(const boost::json::value& v, T& out, decode_error& err) {
  using members = described_members<T>;
  constexpr std::size_t count = boost::mp11::mp_size<members>::value;
  const boost::json::object* obj = v.if_object();
  if (!obj) return fail_kind(err, "object", v);
  std::bitset<count> seen;
  bool ok = true;
  for (const auto& kv : *obj) {
    const std::string_view key(kv.key().data(), kv.key().size());
    bool matched = false;
    boost::mp11::mp_for_each<boost::mp11::mp_iota_c<count>>([&](auto index) {
      using descriptor = boost::mp11::mp_at_c<members, decltype(index)::value>;
      if (matched || key != descriptor::name) return;
      matched = true;
      seen.set(index);
      ok = read(kv.value(), out.*descriptor::pointer, err);
      if (!ok) prepend_member(err, descriptor::name);
    });
    if (!ok) return false;
  }
  if (seen.all()) return true;
  boost::mp11::mp_for_each<boost::mp11::mp_iota_c<count>>([&](auto index) {
    using descriptor = boost::mp11::mp_at_c<members, decltype(index)::value>;
    if (!ok || seen.test(index)) return;
    auto& member = out.*descriptor::pointer;
    if constexpr (is_optional<std::remove_cvref_t<decltype(member)>>::value) {
      member.reset();  // absent optional: schema evolution
    } else {
      ok = fail_missing(err);
      prepend_member(err, descriptor::name);
    }
  });
  return ok;
}

template <class V, class A>
bool read_vector(const boost::json::value& v, std::vector<V, A>& out, decode_error& err) {
  const boost::json::array* arr = v.if_array();
  if (!arr) return fail_kind(err, "array", v);
  // resize() keeps the existing elements, so a reused `out` reuses their capacity too.
  out.resize(arr->size());
  for (std::size_t i = 0; i < arr->size(); ++i) {
    bool ok;
    if constexpr (std::is_same_v<V, bool>) {
      bool b = false;
      ok = read((*arr)[i], b, err);
      out[i] = b;
    } else {
      ok = read((*arr)[i], out[i], err);
    }
    if (!ok) {
      prepend_index(err, i);
      return false;
    }
  }
  return true;
}

template <class V, class C, class A>
bool read_map(const boost::json::value& v, std::map<std::string, V, C, A>& out, decode_error& err) {
  const boost::json::object* obj = v.if_object();
  if (!obj) return fail_kind(err, "object", v);
  out.clear();
  for (const auto& kv : *obj) {
    const std::string_view key(kv.key().data(), kv.key().size());
    auto& slot = out.try_emplace(out.end(), std::string(key))->second;
    if (!read(kv.value(), slot, err)) {
      prepend_key(err, key);
      return false;
    }
  }
  return true;
}

template <class T>
bool read(const boost::json::value& v, T& out, decode_error& err) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_bool()) return fail_kind(err, "boolean", v);
    out = v.get_bool();
    return true;
  } else if constexpr (is_integer_v<T>) {
    return read_integer(v, out, err);
  } else if constexpr (std::is_floating_point_v<T>) {
    return read_float(v, out, err);
  } else if constexpr (std::is_same_v<T, std::string>) {
    const boost::json::string* s = v.if_string();
    if (!s) return fail_kind(err, "string", v);
    out.assign(s->data(), s->size());  // reuses out's capacity
    return true;
  } else if constexpr (is_optional<T>::value) {
    if (v.is_null()) {
      out.reset();
      return true;
    }
    if (!out) out.emplace();
    return read(v, *out, err);
  } else if constexpr (is_vector<T>::value) {
    return read_vector(v, out, err);
  } else if constexpr (is_string_map<T>::value) {
    return read_map(v, out, err);
  } else if constexpr (std::is_same_v<T, boost::json::value>) {
    if (!check_finite(v, err)) return false;
    out = v;  // copy-assignment keeps out's storage: nothing refers to the decoder's arena
    return true;
  } else if constexpr (std::is_same_v<T, boost::json::object>) {
    const boost::json::object* obj = v.if_object();
    if (!obj) return fail_kind(err, "object", v);
    if (!check_finite(v, err)) return false;
    out = *obj;
    return true;
  } else if constexpr (std::is_same_v<T, boost::json::array>) {
    const boost::json::array* arr = v.if_array();
    if (!arr) return fail_kind(err, "array", v);
    if (!check_finite(v, err)) return false;
    out = *arr;
    return true;
  } else if constexpr (is_described_enum_v<T>) {
    return read_enum(v, out, err);
  } else if constexpr (is_described_struct_v<T>) {
    return read_struct(v, out, err);
  } else {
    static_assert(dependent_false_v<T>,
                  "asiokafka::json: unsupported type; use a BOOST_DESCRIBE_STRUCT struct, a "
                  "BOOST_DESCRIBE_ENUM enum, std::string, bool, an arithmetic type, "
                  "std::vector, std::optional, std::map<std::string, T> or boost::json::value");
    return false;
  }
}

}  // namespace asiokafka::json::detail
