// precise_parser: Boost.JSON's DOM parser with correctly rounded doubles.
//
// Boost.JSON 1.81's number parser is not correctly rounded: the shortest text that names a
// double can read back one or two ULPs away (3.0999999999999996e+39 reads as
// 3.099999999999999e+39), so a value would not survive encode -> decode. This parser is
// boost::json::basic_parser with the same DOM-building handler as boost::json::parser, except
// that every floating-point number is converted again from its text with std::from_chars,
// which is correctly rounded. Where from_chars reports a value out of double's range, Boost's
// result (infinity, or zero/denormal for underflow) is kept, and the decoder's range checks
// see it.
#pragma once

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <charconv>
#include <cstddef>
#include <string>
#include <system_error>

namespace asiokafka::json::detail {

/// The double named by a number's text (`number` holds its start when the number came in
/// parts, and is cleared), converted again with std::from_chars; Boost's `parsed` where
/// from_chars reports it out of range.
inline double correctly_rounded(double parsed, boost::json::string_view text, std::string& number) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (!number.empty()) {
    number.append(text.data(), text.size());
    first = number.data();
    last = number.data() + number.size();
  }
  double exact = 0;
  const auto [end, err] = std::from_chars(first, last, exact);
  const bool ok = err == std::errc() && end == last;
  number.clear();
  return ok ? exact : parsed;
}

/// The size limits of Boost.JSON's own DOM parser, for a basic_parser handler.
struct dom_limits {
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();
};

class precise_parser {
 public:
  explicit precise_parser(const boost::json::parse_options& options) : p_(options) { reset({}); }

  /// Starts a new document whose values are allocated from `sp`.
  void reset(boost::json::storage_ptr sp = {}) noexcept {
    p_.reset();
    p_.handler().st.reset(std::move(sp));
    p_.handler().number.clear();
  }

  /// Parses a complete document. Returns how much of `data` was consumed; trailing
  /// characters are an error (extra_data), as with boost::json::parser::write.
  std::size_t write(const char* data, std::size_t size, boost::system::error_code& ec) {
    const std::size_t n = p_.write_some(false, data, size, ec);
    if (!ec && n < size) {
      ec = boost::json::error::extra_data;
      p_.fail(ec);
    }
    return n;
  }

  /// The parsed document; only after a successful write.
  boost::json::value release() { return p_.handler().st.release(); }

 private:
  struct handler : dom_limits {
    boost::json::value_stack st;
    std::string number;  // the start of a number split across writes (not with write() above)

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) { return true; }
    bool on_object_begin(boost::system::error_code&) { return true; }
    bool on_object_end(std::size_t n, boost::system::error_code&) {
      st.push_object(n);
      return true;
    }
    bool on_array_begin(boost::system::error_code&) { return true; }
    bool on_array_end(std::size_t n, boost::system::error_code&) {
      st.push_array(n);
      return true;
    }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
      st.push_chars(s);
      return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code&) {
      st.push_key(s);
      return true;
    }
    bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
      st.push_chars(s);
      return true;
    }
    bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code&) {
      st.push_string(s);
      return true;
    }
    bool on_number_part(boost::json::string_view s, boost::system::error_code&) {
      number.append(s.data(), s.size());
      return true;
    }
    bool on_int64(std::int64_t i, boost::json::string_view, boost::system::error_code&) {
      number.clear();
      st.push_int64(i);
      return true;
    }
    bool on_uint64(std::uint64_t u, boost::json::string_view, boost::system::error_code&) {
      number.clear();
      st.push_uint64(u);
      return true;
    }
    bool on_double(double d, boost::json::string_view s, boost::system::error_code&) {
      st.push_double(correctly_rounded(d, s, number));
      return true;
    }
    bool on_bool(bool b, boost::system::error_code&) {
      st.push_bool(b);
      return true;
    }
    bool on_null(boost::system::error_code&) {
      st.push_null();
      return true;
    }
    bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }
  };

  boost::json::basic_parser<handler> p_;
};

}  // namespace asiokafka::json::detail
