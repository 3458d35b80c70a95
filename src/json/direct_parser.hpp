// direct_parser: Boost.JSON's parser with a handler that sets a flat struct's members as
// their values are parsed (asiokafka/detail/json_direct.hpp), with no document in between.
//
// It accepts only what needs no decision: a top-level object whose known keys each come once
// with a value the member's setter takes; unknown keys and whatever they hold are skipped.
// Anything else (not JSON, another top-level type, a member holding an object or an array,
// a duplicate member, a missing member that is not optional, a value the setter refuses)
// returns false, and the decoder takes the document path, which decides and words the error.
#pragma once

#include "precise_parser.hpp"

#include <asiokafka/detail/json_direct.hpp>

#include <boost/json/basic_parser_impl.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace asiokafka::json::detail {

class direct_parser {
 public:
  explicit direct_parser(const boost::json::parse_options& options) : p_(options) {}

  /// Decodes `payload` into `object`, a struct described by `schema`. False when the
  /// document path must decide; `object` may then be partly assigned.
  bool decode(std::string_view payload, void* object, direct_schema schema);

 private:
  struct handler : dom_limits {
    direct_schema schema;
    void* object = nullptr;
    std::size_t depth = 0;        // 1 inside the top-level object
    int member = -1;              // the member whose value comes next; -1: an unknown key's
    std::uint64_t seen = 0;       // members set, one bit each
    std::size_t next_member = 0;  // where the search for the next key starts
    std::string text;             // a key or a string that came in parts (escapes)
    std::string number;           // a number that came in parts

    void start(direct_schema s, void* o) {
      schema = s;
      object = o;
      depth = 0;
      member = -1;
      seen = 0;
      next_member = 0;
      text.clear();
      number.clear();
    }

    // A scalar: at the top level the document path decides; inside an unknown key's value
    // or for an unknown key it is skipped.
    bool scalar(const direct_value& v, boost::system::error_code& ec) {
      if (depth == 0) return refuse(ec);
      if (depth > 1 || member < 0) return true;
      return schema[member].set(object, v) || refuse(ec);
    }
    bool refuse(boost::system::error_code& ec) {
      ec = boost::json::error::extra_data;  // any error: the parser stops, the caller falls back
      return false;
    }

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) { return true; }
    bool on_object_begin(boost::system::error_code& ec) {
      if (depth == 1 && member >= 0) return refuse(ec);  // a scalar member holding an object
      ++depth;
      return true;
    }
    bool on_object_end(std::size_t, boost::system::error_code&) {
      --depth;
      return true;
    }
    bool on_array_begin(boost::system::error_code& ec) {
      if (depth == 0 || (depth == 1 && member >= 0)) return refuse(ec);
      ++depth;
      return true;
    }
    bool on_array_end(std::size_t, boost::system::error_code&) {
      --depth;
      return true;
    }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
      if (depth == 1) text.append(s.data(), s.size());
      return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec);
    bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
      if (depth == 1 && member >= 0) text.append(s.data(), s.size());
      return true;
    }
    bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
      std::string_view value(s.data(), s.size());
      if (!text.empty()) {
        text.append(s.data(), s.size());
        value = text;
      }
      const bool ok = scalar({.t = direct_value::type::string, .s = value}, ec);
      text.clear();
      return ok;
    }
    bool on_number_part(boost::json::string_view s, boost::system::error_code&) {
      number.append(s.data(), s.size());
      return true;
    }
    bool on_int64(std::int64_t i, boost::json::string_view, boost::system::error_code& ec) {
      number.clear();
      return scalar({.t = direct_value::type::int64, .i = i}, ec);
    }
    bool on_uint64(std::uint64_t u, boost::json::string_view, boost::system::error_code& ec) {
      number.clear();
      return scalar({.t = direct_value::type::uint64, .u = u}, ec);
    }
    bool on_double(double d, boost::json::string_view s, boost::system::error_code& ec) {
      return scalar({.t = direct_value::type::double_, .d = correctly_rounded(d, s, number)}, ec);
    }
    bool on_bool(bool b, boost::system::error_code& ec) {
      return scalar({.t = direct_value::type::boolean, .b = b}, ec);
    }
    bool on_null(boost::system::error_code& ec) { return scalar({}, ec); }
    bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }
  };

  boost::json::basic_parser<handler> p_;
};

}  // namespace asiokafka::json::detail
