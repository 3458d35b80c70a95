// Internal: the type-driven JSON encoding behind asiokafka/json.hpp (decoding and the type
// classification both share: json_codec.hpp).
//
//  * write()     T -> JSON text appended to a std::string, without an intermediate DOM.
//  * make_value() T -> boost::json::value.
#pragma once

#include <asiokafka/detail/json_codec.hpp>

namespace asiokafka::json::detail {

// ---------------------------------------------------------------------------------------------
// Encoding to text

void write_escaped(std::string& out, std::string_view s);
void write_number(std::string& out, double d);
void write_number(std::string& out, float f);
void write_dom(std::string& out, const boost::json::value& v);
void write_dom(std::string& out, const boost::json::object& v);
void write_dom(std::string& out, const boost::json::array& v);
[[noreturn]] void throw_unnamed_enumerator(std::string_view enum_name, std::intmax_t value);

template <class E>
std::string_view enumerator_name(E e) {
  std::string_view name;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
    if (name.empty() && e == d.value) name = d.name;
  });
  if (name.empty())
    throw_unnamed_enumerator(boost::core::type_name<E>(),
                             static_cast<std::intmax_t>(static_cast<std::underlying_type_t<E>>(e)));
  return name;
}

template <class T>
void write(std::string& out, const T& v);

template <class V>
void write_array(std::string& out, const V& v) {
  out.push_back('[');
  bool first = true;
  for (const auto& e : v) {
    if (!first) out.push_back(',');
    first = false;
    if constexpr (std::is_same_v<typename V::value_type, bool>)
      write(out, static_cast<bool>(e));
    else
      write(out, e);
  }
  out.push_back(']');
}

template <class M>
void write_string_map(std::string& out, const M& v) {
  out.push_back('{');
  bool first = true;
  for (const auto& [key, value] : v) {
    if (!first) out.push_back(',');
    first = false;
    write_escaped(out, key);
    out.push_back(':');
    write(out, value);
  }
  out.push_back('}');
}

template <class S>
void write_struct(std::string& out, const S& v) {
  out.push_back('{');
  bool first = true;
  boost::mp11::mp_for_each<described_members<S>>([&](auto d) {
    if (!first) out.push_back(',');
    first = false;
    write_escaped(out, d.name);
    out.push_back(':');
    write(out, v.*d.pointer);
  });
  out.push_back('}');
}

template <class T>
void write(std::string& out, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    out.append(v ? "true" : "false");
  } else if constexpr (is_integer_v<T>) {
    using wide = std::conditional_t<std::is_signed_v<T>, long long, unsigned long long>;
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<wide>(v));
    out.append(buf, r.ptr);
  } else if constexpr (std::is_same_v<T, float>) {
    write_number(out, v);
  } else if constexpr (std::is_floating_point_v<T>) {
    write_number(out, static_cast<double>(v));
  } else if constexpr (std::is_same_v<T, std::string>) {
    write_escaped(out, v);
  } else if constexpr (is_optional<T>::value) {
    if (v)
      write(out, *v);
    else
      out.append("null");
  } else if constexpr (is_vector<T>::value) {
    write_array(out, v);
  } else if constexpr (is_string_map<T>::value) {
    write_string_map(out, v);
  } else if constexpr (is_json_dom_v<T>) {
    write_dom(out, v);
  } else if constexpr (is_described_enum_v<T>) {
    write_escaped(out, enumerator_name(v));
  } else if constexpr (is_described_struct_v<T>) {
    write_struct(out, v);
  } else {
    static_assert(dependent_false_v<T>,
                  "asiokafka::json: unsupported type; use a BOOST_DESCRIBE_STRUCT struct, a "
                  "BOOST_DESCRIBE_ENUM enum, std::string, bool, an arithmetic type, "
                  "std::vector, std::optional, std::map<std::string, T> or boost::json::value");
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding to a DOM

[[noreturn]] void throw_non_finite(double d);
// The double nearest to f's shortest decimal form (0.1f -> 0.1, not 0.10000000149011612), so
// that to_value() agrees with encode().
double widen_float(float f);

template <class T>
boost::json::value make_value(const T& v, const boost::json::storage_ptr& sp) {
  if constexpr (std::is_same_v<T, bool>) {
    return boost::json::value(v, sp);
  } else if constexpr (is_integer_v<T>) {
    if constexpr (std::is_signed_v<T>)
      return boost::json::value(static_cast<std::int64_t>(v), sp);
    else
      return boost::json::value(static_cast<std::uint64_t>(v), sp);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(v)) throw_non_finite(static_cast<double>(v));
    if constexpr (std::is_same_v<T, float>)
      return boost::json::value(widen_float(v), sp);
    else
      return boost::json::value(static_cast<double>(v), sp);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return boost::json::value(boost::json::string_view(v.data(), v.size()), sp);
  } else if constexpr (is_optional<T>::value) {
    return v ? make_value(*v, sp) : boost::json::value(nullptr, sp);
  } else if constexpr (is_vector<T>::value) {
    boost::json::array arr(sp);
    arr.reserve(v.size());
    for (const auto& e : v) {
      if constexpr (std::is_same_v<typename T::value_type, bool>)
        arr.push_back(make_value(static_cast<bool>(e), sp));
      else
        arr.push_back(make_value(e, sp));
    }
    return boost::json::value(std::move(arr));
  } else if constexpr (is_string_map<T>::value) {
    boost::json::object obj(v.size(), sp);
    for (const auto& [key, value] : v) obj.emplace(key, make_value(value, sp));
    return boost::json::value(std::move(obj));
  } else if constexpr (is_json_dom_v<T>) {
    return boost::json::value(v, sp);
  } else if constexpr (is_described_enum_v<T>) {
    const std::string_view name = enumerator_name(v);
    return boost::json::value(boost::json::string_view(name.data(), name.size()), sp);
  } else if constexpr (is_described_struct_v<T>) {
    boost::json::object obj(boost::mp11::mp_size<described_members<T>>::value, sp);
    boost::mp11::mp_for_each<described_members<T>>([&](auto d) { obj.emplace(d.name, make_value(v.*d.pointer, sp)); });
    return boost::json::value(std::move(obj));
  } else {
    static_assert(dependent_false_v<T>,
                  "asiokafka::json: unsupported type; use a BOOST_DESCRIBE_STRUCT struct, a "
                  "BOOST_DESCRIBE_ENUM enum, std::string, bool, an arithmetic type, "
                  "std::vector, std::optional, std::map<std::string, T> or boost::json::value");
  }
}

}  // namespace asiokafka::json::detail
