#include <asiokafka/config/redaction.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace asiokafka {
namespace {

using namespace std::string_view_literals;

// Secrets whose names contain neither "password" nor "secret".
constexpr std::array named_secrets{"sasl.oauthbearer.config"sv, "ssl.key.pem"sv, "ssl_key"sv};

bool contains_ignoring_case(std::string_view haystack, std::string_view lowercase_needle) noexcept {
  const auto it = std::search(haystack.begin(), haystack.end(), lowercase_needle.begin(), lowercase_needle.end(),
                              [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  return it != haystack.end();
}

bool equals_ignoring_case(std::string_view a, std::string_view lowercase_b) noexcept {
  return a.size() == lowercase_b.size() && contains_ignoring_case(a, lowercase_b);
}

}  // namespace

bool is_secret_key(std::string_view key) noexcept {
  if (contains_ignoring_case(key, "password") || contains_ignoring_case(key, "secret")) return true;
  return std::any_of(named_secrets.begin(), named_secrets.end(),
                     [key](std::string_view secret) { return equals_ignoring_case(key, secret); });
}

std::string redact(std::string_view key, std::string_view value) {
  return is_secret_key(key) ? std::string("[redacted]") : std::string(value);
}

}  // namespace asiokafka
