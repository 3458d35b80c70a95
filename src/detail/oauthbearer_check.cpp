#include "detail/oauthbearer_check.hpp"

#include <algorithm>

namespace asiokafka::detail {
namespace {

// RFC 7628 section 3.1: value = *(VCHAR / SP / HTAB / CR / LF).
bool valid_value(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= '\x21' && c <= '\x7e') || c == ' ' || c == '\t' || c == '\r' || c == '\n';
  });
}

// key = 1*(ALPHA)
bool valid_key(std::string_view k) {
  return !k.empty() &&
         std::all_of(k.begin(), k.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

}  // namespace

std::optional<std::string> provider_conflict(const oauthbearer_settings& s) {
  if (s.mechanism != "OAUTHBEARER")
    return "a token_provider is set but sasl.mechanism is \"" + s.mechanism + "\", not OAUTHBEARER";
  if (s.unsecure_jwt)
    return "a token_provider and enable.sasl.oauthbearer.unsecure.jwt=true both make tokens: set only one";
  if (s.method == "oidc") return "a token_provider and sasl.oauthbearer.method=oidc both make tokens: set only one";
  return std::nullopt;
}

std::optional<std::string> token_problem(const oauthbearer_token& token, std::chrono::system_clock::time_point now) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  if (token.value.empty()) return "the token provider returned an empty token";
  if (token.principal.empty()) return "the token provider returned a token without a principal";
  if (token.expiry <= now) {
    const auto ago = duration_cast<milliseconds>(now - token.expiry).count();
    return "the token provider returned an expired token (principal \"" + token.principal + "\", expired " +
           std::to_string(ago) + " ms ago)";
  }
  if (!valid_value(token.value))
    return "the token provider returned a token with characters outside printable ASCII (principal \"" +
           token.principal + "\")";
  for (const auto& [key, value] : token.extensions) {
    if (!valid_key(key) || key == "auth")
      return "the token provider returned an invalid SASL extension key \"" + key + "\" (letters only, not \"auth\")";
    if (!valid_value(value))
      return "the token provider returned SASL extension \"" + key + "\" with characters outside printable ASCII";
  }
  return std::nullopt;
}

std::string refresh_failure_reason(std::string_view problem, unsigned failures) {
  std::string reason(problem);
  reason += " (refresh failure " + std::to_string(failures) + " in a row; retried in about 10 s)";
  return reason;
}

std::string_view no_provider_reason() noexcept {
  return "SASL/OAUTHBEARER needs a token: set token_provider in the client's options (or, for tests only, "
         "enable.sasl.oauthbearer.unsecure.jwt=true)";
}

}  // namespace asiokafka::detail
