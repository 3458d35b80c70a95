#include <asiokafka/message.hpp>
#include <asiokafka/wire.hpp>

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <cctype>

namespace asiokafka::wire {

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::optional<std::string_view> value_of(const message& msg, std::string_view name) noexcept {
  auto h = msg.header(name);
  if (!h || !h->has_value()) return std::nullopt;
  return **h;
}

std::optional<std::string_view> first_of(const message& msg, std::string_view name, std::string_view alt) noexcept {
  if (auto v = value_of(msg, name)) return v;
  return value_of(msg, alt);
}

}  // namespace

content_kind classify_content_type(std::optional<std::string_view> value) noexcept {
  if (!value) return content_kind::unspecified;
  const std::string_view media = trim(value->substr(0, value->find(';')));  // parameters do not matter
  if (media.empty()) return content_kind::unspecified;
  if (iequals(media, json_content_type)) return content_kind::json;
  if (media.size() > 5 && iequals(media.substr(media.size() - 5), "+json")) return content_kind::json;
  if (iequals(media, text_content_type)) return content_kind::text;
  return content_kind::other;
}

std::optional<std::string_view> content_type(const message& msg) noexcept { return value_of(msg, content_type_header); }

std::optional<std::string_view> correlation_id(const message& msg) noexcept {
  return first_of(msg, correlation_id_header, correlation_id_header_alt);
}

std::optional<std::string_view> reply_to(const message& msg) noexcept {
  auto v = first_of(msg, reply_to_header, reply_to_header_alt);
  if (v && v->empty()) return std::nullopt;
  return v;
}

std::string new_correlation_id() {
  // boost::uuids::random_generator is not thread-safe: one per thread.
  thread_local boost::uuids::random_generator generator;
  return boost::uuids::to_string(generator());
}

}  // namespace asiokafka::wire
