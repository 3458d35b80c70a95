// The cold, type-independent half of the JSON codec: error messages and paths, string
// escaping, number formatting.
#include <asiokafka/json.hpp>

#include <boost/json/serializer.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace asiokafka::json {

std::string decode_error::what() const {
  if (path.empty()) return message;
  std::string s;
  s.reserve(path.size() + message.size() + 10);
  s += "field \"";
  s += path;
  s += "\": ";
  s += message;
  return s;
}

decode_exception::decode_exception(decode_error error) : std::runtime_error(error.what()), error_(std::move(error)) {}

namespace detail {

namespace {

std::string_view kind_name(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return "number";
    case boost::json::kind::string:
      return "string";
    case boost::json::kind::array:
      return "array";
    case boost::json::kind::object:
      return "object";
  }
  return "value";
}

void append_double(std::string& out, double d) {
  std::array<char, 32> buf;
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), d);
  out.append(buf.data(), r.ptr);
}

void append_number(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::int64:
      out += std::to_string(v.get_int64());
      break;
    case boost::json::kind::uint64:
      out += std::to_string(v.get_uint64());
      break;
    case boost::json::kind::double_:
      append_double(out, v.get_double());
      break;
    default:
      break;
  }
}

// Quotes a payload-supplied string for a message, cut to a readable length on a UTF-8
// character boundary.
void append_quoted_excerpt(std::string& out, std::string_view s) {
  constexpr std::size_t limit = 64;
  bool cut = false;
  if (s.size() > limit) {
    std::size_t n = limit;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s = s.substr(0, n);
    cut = true;
  }
  out += '"';
  out += s;
  if (cut) out += "...";
  out += '"';
}

bool is_plain_key(std::string_view key) {
  if (key.empty()) return false;
  for (const char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Joins `segment` (a name, or a bracketed index/key) in front of the path built so far.
void prepend_segment(decode_error& err, std::string_view segment) {
  const bool needs_dot = !err.path.empty() && err.path.front() != '[';
  std::string path;
  path.reserve(segment.size() + 1 + err.path.size());
  path += segment;
  if (needs_dot) path += '.';
  path += err.path;
  err.path = std::move(path);
}

bool fail(decode_error& err, std::string message) {
  err.path.clear();
  err.message = std::move(message);
  return false;
}

}  // namespace

bool fail_kind(decode_error& err, std::string_view expected, const boost::json::value& got) {
  std::string m = "expected ";
  m += expected;
  m += ", got ";
  if (expected == "integer" && got.is_double()) {
    m += "number ";
    append_number(m, got);
  } else {
    m += kind_name(got);
  }
  return fail(err, std::move(m));
}

bool fail_integer_range(decode_error& err, const boost::json::value& got, std::intmax_t min, std::uintmax_t max) {
  std::string m = "value ";
  append_number(m, got);
  m += " out of range [";
  m += std::to_string(min);
  m += ", ";
  m += std::to_string(max);
  m += ']';
  return fail(err, std::move(m));
}

bool fail_float_range(decode_error& err, double got) {
  std::string m = "value ";
  append_double(m, got);
  m += " out of range for float";
  return fail(err, std::move(m));
}

bool check_finite(const boost::json::value& v, decode_error& err) {
  switch (v.kind()) {
    case boost::json::kind::double_: {
      const double d = v.get_double();
      if (std::isfinite(d)) return true;
      std::string m = "value ";
      append_double(m, d);
      m += " out of range for double";
      return fail(err, std::move(m));
    }
    case boost::json::kind::array: {
      std::size_t i = 0;
      for (const auto& e : v.get_array()) {
        if (!check_finite(e, err)) {
          prepend_index(err, i);
          return false;
        }
        ++i;
      }
      return true;
    }
    case boost::json::kind::object:
      for (const auto& kv : v.get_object()) {
        if (!check_finite(kv.value(), err)) {
          prepend_key(err, kv.key());
          return false;
        }
      }
      return true;
    default:
      return true;
  }
}

bool fail_enumerator(decode_error& err, std::string_view got, std::string_view enum_name) {
  std::string m = "unknown enumerator ";
  append_quoted_excerpt(m, got);
  m += " for enum ";
  m += enum_name;
  return fail(err, std::move(m));
}

bool fail_missing(decode_error& err) { return fail(err, "missing"); }

void prepend_member(decode_error& err, std::string_view name) { prepend_segment(err, name); }

void prepend_index(decode_error& err, std::size_t index) {
  std::string segment = "[";
  segment += std::to_string(index);
  segment += ']';
  prepend_segment(err, segment);
}

void prepend_key(decode_error& err, std::string_view key) {
  if (is_plain_key(key)) return prepend_segment(err, key);
  std::string segment = "[\"";
  for (const char c : key) {
    if (c == '"' || c == '\\') segment += '\\';
    segment += c;
  }
  segment += "\"]";
  prepend_segment(err, segment);
}

void write_escaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  const char* run = s.data();
  const char* const end = s.data() + s.size();
  for (const char* p = run; p != end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(run, p);
    run = p + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default: {
        const char u[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
        out.append(u, sizeof u);
      }
    }
  }
  out.append(run, end);
  out.push_back('"');
}

namespace {

template <class F>
void write_floating(std::string& out, F f) {
  if (!std::isfinite(f)) throw_non_finite(static_cast<double>(f));
  std::array<char, 32> buf;
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), f);
  const std::string_view text(buf.data(), r.ptr - buf.data());
  out.append(text);
  // Keep the value a JSON float for strictly typed readers: 2.0 is written "2.0", not "2".
  if (text.find_first_of(".e") == std::string_view::npos) out.append(".0");
}

// The first non-finite number in a DOM, if any.
const boost::json::value* find_non_finite(const boost::json::value& v);

const boost::json::value* find_non_finite(const boost::json::array& v) {
  for (const auto& e : v)
    if (const auto* d = find_non_finite(e)) return d;
  return nullptr;
}

const boost::json::value* find_non_finite(const boost::json::object& v) {
  for (const auto& kv : v)
    if (const auto* d = find_non_finite(kv.value())) return d;
  return nullptr;
}

const boost::json::value* find_non_finite(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      return std::isfinite(v.get_double()) ? nullptr : &v;
    case boost::json::kind::array:
      return find_non_finite(v.get_array());
    case boost::json::kind::object:
      return find_non_finite(v.get_object());
    default:
      return nullptr;
  }
}

// Boost.JSON 1.81 writes infinity as `Infinity`, which is not JSON: refuse like a double field.
template <class Dom>
void serialize_dom(std::string& out, const Dom& v) {
  if (const auto* d = find_non_finite(v)) throw_non_finite(d->get_double());
  boost::json::serializer sr;
  sr.reset(&v);
  char buf[1024];
  while (!sr.done()) {
    const auto chunk = sr.read(buf, sizeof buf);
    out.append(chunk.data(), chunk.size());
  }
}

}  // namespace

void write_number(std::string& out, double d) { write_floating(out, d); }
void write_number(std::string& out, float f) { write_floating(out, f); }

double widen_float(float f) {
  std::array<char, 32> buf;
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), f);
  double d = f;
  std::from_chars(buf.data(), r.ptr, d);
  return d;
}

void write_dom(std::string& out, const boost::json::value& v) { serialize_dom(out, v); }
void write_dom(std::string& out, const boost::json::object& v) { serialize_dom(out, v); }
void write_dom(std::string& out, const boost::json::array& v) { serialize_dom(out, v); }

void throw_unnamed_enumerator(std::string_view enum_name, std::intmax_t value) {
  std::string m = "asiokafka::json: cannot encode ";
  m += enum_name;
  m += " value ";
  m += std::to_string(value);
  m += ": not a described enumerator";
  throw std::invalid_argument(m);
}

void throw_non_finite(double d) {
  std::string m = "asiokafka::json: cannot encode ";
  append_double(m, d);
  m += ": JSON has no representation for NaN or infinity";
  throw std::invalid_argument(m);
}

}  // namespace detail

}  // namespace asiokafka::json
