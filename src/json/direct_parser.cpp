#include "direct_parser.hpp"

namespace asiokafka::json::detail {

bool direct_parser::handler::on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
  if (depth != 1) return true;  // a key inside an unknown key's value
  std::string_view key(s.data(), s.size());
  if (!text.empty()) {
    text.append(s.data(), s.size());
    key = text;
  }
  member = -1;
  // Keys mostly come in the members' order: the search starts after the last match and
  // wraps around (a compare, not a division per key).
  const auto after = [n = schema.size()](std::size_t i) { return i + 1 == n ? 0 : i + 1; };
  for (std::size_t k = 0, i = next_member; k < schema.size(); ++k, i = after(i)) {
    if (schema[i].name != key) continue;
    const std::uint64_t bit = std::uint64_t{1} << i;
    if (seen & bit) return refuse(ec);  // a duplicate: the document path decides which wins
    seen |= bit;
    member = static_cast<int>(i);
    next_member = after(i);
    break;
  }
  text.clear();
  return true;
}

bool direct_parser::decode(std::string_view payload, void* object, direct_schema schema) {
  if (payload.empty()) return false;
  p_.reset();
  p_.handler().start(schema, object);
  boost::system::error_code ec;
  const std::size_t consumed = p_.write_some(false, payload.data(), payload.size(), ec);
  if (ec || consumed < payload.size()) return false;
  // Absent members: optional ones are reset, a missing required one is the document path's
  // error to report.
  const handler& h = p_.handler();
  for (std::size_t i = 0; i < schema.size(); ++i) {
    if (h.seen & (std::uint64_t{1} << i)) continue;
    if (!schema[i].optional || !schema[i].set(object, direct_value{})) return false;
  }
  return true;
}

}  // namespace asiokafka::json::detail
