// asiokafka::json::schema_set - JSON Schemas of the types asiokafka::json reads and writes.
//
//   asiokafka::json::schema_set schemas;
//   boost::json::value order_schema = schemas.schema_of<order>();  // {"$ref": ".../order"}
//   const boost::json::object& defs = schemas.definitions();      // order and what it uses
//
// The schemas say what the codec accepts and writes: a described struct is an object whose
// non-optional members are required (unknown keys are allowed; an optional member may be
// absent or null), a described enum is a string naming an enumerator, an integer carries
// its C++ type's range, std::vector an array, std::map<std::string, T> an object of T,
// boost::json::value anything. Described structs and enums become named definitions
// referenced with "$ref" (which makes recursive types possible); their names are their
// qualified C++ names with "::" written as "." (other characters outside [A-Za-z0-9._-]
// become "_"), e.g. "shop.order".
#pragma once

#include <asiokafka/detail/json_codec.hpp>

#include <boost/core/type_name.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include <limits>
#include <string>
#include <type_traits>
#include <utility>

namespace asiokafka::json {

/// The name a described struct or enum has in schema definitions (see the file comment).
template <class T>
std::string schema_name() {
  const std::string cpp = boost::core::type_name<T>();
  std::string out;
  for (std::size_t i = 0; i < cpp.size(); ++i) {
    const char c = cpp[i];
    if (c == ':' && i + 1 < cpp.size() && cpp[i + 1] == ':') {
      out += '.';
      ++i;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
               c == '_') {
      out += c;
    } else if (c != ' ') {
      out += '_';
    }
  }
  return out;
}

/// Builds JSON Schemas (draft-07 vocabulary, as AsyncAPI 3.0 uses) for codable types and
/// collects the definitions of the described structs and enums they use.
///
/// Thread safety: not synchronized; distinct objects are independent.
class schema_set {
 public:
  /// `ref_prefix` is what "$ref"s start with, followed by the definition's name.
  explicit schema_set(std::string ref_prefix = "#/components/schemas/") : prefix_(std::move(ref_prefix)) {}

  /// The schema of T; a described struct or enum yields a "$ref" to its definition, which
  /// (with everything it refers to) is added to definitions().
  template <class T>
  boost::json::value schema_of() {
    using U = std::remove_cvref_t<T>;
    static_assert(json::detail::is_codable<U>::value, "asiokafka::json::schema_set: unsupported type");
    if constexpr (std::is_same_v<U, bool>) {
      return boost::json::object{{"type", "boolean"}};
    } else if constexpr (json::detail::is_integer_v<U>) {
      return integer_schema<U>();
    } else if constexpr (std::is_floating_point_v<U>) {
      return boost::json::object{{"type", "number"}};
    } else if constexpr (std::is_same_v<U, std::string>) {
      return boost::json::object{{"type", "string"}};
    } else if constexpr (std::is_same_v<U, boost::json::value>) {
      return boost::json::object{};
    } else if constexpr (std::is_same_v<U, boost::json::object>) {
      return boost::json::object{{"type", "object"}};
    } else if constexpr (std::is_same_v<U, boost::json::array>) {
      return boost::json::object{{"type", "array"}};
    } else if constexpr (json::detail::is_optional<U>::value) {
      boost::json::array any_of;
      any_of.push_back(schema_of<typename U::value_type>());
      any_of.push_back(boost::json::object{{"type", "null"}});
      return boost::json::object{{"anyOf", std::move(any_of)}};
    } else if constexpr (json::detail::is_vector<U>::value) {
      return boost::json::object{{"type", "array"}, {"items", schema_of<typename U::value_type>()}};
    } else if constexpr (json::detail::is_string_map<U>::value) {
      return boost::json::object{{"type", "object"}, {"additionalProperties", schema_of<typename U::mapped_type>()}};
    } else if constexpr (json::detail::is_described_enum_v<U>) {
      return enum_ref<U>();
    } else {
      static_assert(json::detail::is_described_struct_v<U>);
      return struct_ref<U>();
    }
  }

  /// Definitions of the described structs and enums met so far, by name.
  const boost::json::object& definitions() const noexcept { return defs_; }

 private:
  boost::json::value ref(const std::string& name) const { return boost::json::object{{"$ref", prefix_ + name}}; }

  template <class U>
  static boost::json::value integer_schema() {
    boost::json::object o{{"type", "integer"}};
    if constexpr (std::is_signed_v<U>) {
      o["minimum"] = static_cast<std::int64_t>(std::numeric_limits<U>::min());
      o["maximum"] = static_cast<std::int64_t>(std::numeric_limits<U>::max());
    } else {
      o["minimum"] = 0;
      o["maximum"] = static_cast<std::uint64_t>(std::numeric_limits<U>::max());
    }
    return o;
  }

  template <class U>
  boost::json::value enum_ref() {
    const std::string name = schema_name<U>();
    if (!defs_.contains(name)) {
      boost::json::array names;
      boost::mp11::mp_for_each<boost::describe::describe_enumerators<U>>(
          [&](auto d) { names.push_back(boost::json::string(d.name)); });
      defs_[name] = boost::json::object{{"type", "string"}, {"enum", std::move(names)}};
    }
    return ref(name);
  }

  template <class U>
  boost::json::value struct_ref() {
    const std::string name = schema_name<U>();
    if (!defs_.contains(name)) {
      defs_[name] = boost::json::object{};  // placeholder: a recursive member refers to it
      boost::json::object properties;
      boost::json::array required;
      boost::mp11::mp_for_each<json::detail::described_members<U>>([&](auto d) {
        using member = std::remove_cvref_t<decltype(std::declval<U&>().*d.pointer)>;
        properties[d.name] = schema_of<member>();
        if constexpr (!json::detail::is_optional<member>::value) required.push_back(boost::json::string(d.name));
      });
      boost::json::object def{{"type", "object"}, {"properties", std::move(properties)}};
      if (!required.empty()) def["required"] = std::move(required);
      defs_[name] = std::move(def);
    }
    return ref(name);
  }

  std::string prefix_;
  boost::json::object defs_;
};

}  // namespace asiokafka::json
