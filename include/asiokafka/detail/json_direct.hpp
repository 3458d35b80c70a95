// Internal: decoding a flat struct straight from the parser's events, without a document.
//
// A flat struct is a described struct whose members are all scalars: bool, integers,
// floating point, std::string, described enums, or std::optional of those. Its members are
// listed once in a table (name, whether it may be absent, a setter); the event handler in
// src/json/direct_parser.cpp sets each member as its value is parsed. The setters apply the
// document path's own rules (read() in json_codec.hpp) to the one scalar. Whatever the
// direct path does not accept as is (a wrong type, a missing member, a duplicate key, a
// value out of range, not JSON at all) makes it give up, and the decoder decodes the payload
// again through the document, which decides and words the error: both paths accept the same
// payloads and produce the same values (test_json and fuzz/json_decoder compare them).
#pragma once

#include <asiokafka/detail/json_codec.hpp>

#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace asiokafka::json {
struct decode_error;
}  // namespace asiokafka::json

namespace asiokafka::json::detail {

/// One scalar as the parser saw it.
struct direct_value {
  enum class type : std::uint8_t { null, boolean, int64, uint64, double_, string };
  type t = type::null;
  bool b = false;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  std::string_view s{};
};

struct direct_member {
  std::string_view name;
  bool optional;  // an absent member is reset, not an error
  /// Sets the member of `object` from `v`; false when the document path must decide.
  bool (*set)(void* object, const direct_value& v);
};

/// A flat struct's members, in declaration order.
using direct_schema = std::span<const direct_member>;

template <class M>
struct is_direct_scalar
    : std::bool_constant<std::is_same_v<M, bool> || is_integer_v<M> || std::is_floating_point_v<M> ||
                         std::is_same_v<M, std::string> || is_described_enum_v<M>> {};
template <class M>
struct is_direct_scalar<std::optional<M>> : std::bool_constant<is_direct_scalar<M>::value && !is_optional<M>::value> {};

template <class T, class D>
using member_type_t = std::remove_cvref_t<decltype(std::declval<T&>().*D::pointer)>;

template <class T, bool = is_described_struct_v<T>>
struct is_flat_struct : std::false_type {};
template <class T>
struct is_flat_struct<T, true> {
  template <class D>
  using scalar = is_direct_scalar<member_type_t<T, D>>;
  static constexpr std::size_t count = boost::mp11::mp_size<described_members<T>>::value;
  static constexpr bool value = count > 0 && count <= 64 && boost::mp11::mp_all_of<described_members<T>, scalar>::value;
};

/// Decoded without a document: a described struct of at most 64 scalar members.
template <class T>
inline constexpr bool is_flat_struct_v = is_flat_struct<T>::value;

// Error is decode_error, incomplete where this header is included.
template <class M, class Error = decode_error>
bool set_direct(M& out, const direct_value& v) {
  using type = direct_value::type;
  if constexpr (is_optional<M>::value) {
    if (v.t == type::null) {
      out.reset();
      return true;
    }
    if (!out) out.emplace();
    return set_direct(*out, v);
  } else if constexpr (std::is_same_v<M, std::string>) {
    if (v.t != type::string) return false;
    out.assign(v.s.data(), v.s.size());  // reuses out's capacity
    return true;
  } else if constexpr (is_described_enum_v<M>) {
    return v.t == type::string && find_enumerator(v.s, out);
  } else {  // bool, integers, floating point: read()'s rules on the scalar (no allocation)
    boost::json::value scalar;
    switch (v.t) {
      case type::boolean:
        scalar = v.b;
        break;
      case type::int64:
        scalar = v.i;
        break;
      case type::uint64:
        scalar = v.u;
        break;
      case type::double_:
        scalar = v.d;
        break;
      default:
        return false;
    }
    Error ignored;  // the document path words the error
    return read(scalar, out, ignored);
  }
}

/// The member table of a flat struct, built once.
template <class T>
direct_schema direct_schema_of() {
  using members = described_members<T>;
  constexpr std::size_t count = boost::mp11::mp_size<members>::value;
  static const std::array<direct_member, count> table = [] {
    std::array<direct_member, count> t{};
    boost::mp11::mp_for_each<boost::mp11::mp_iota_c<count>>([&](auto index) {
      using descriptor = boost::mp11::mp_at_c<members, decltype(index)::value>;
      t[index] = {descriptor::name, is_optional<member_type_t<T, descriptor>>::value,
                  [](void* object, const direct_value& v) {
                    return set_direct(static_cast<T*>(object)->*descriptor::pointer, v);
                  }};
    });
    return t;
  }();
  return table;
}

}  // namespace asiokafka::json::detail
