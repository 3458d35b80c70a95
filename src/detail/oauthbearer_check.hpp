// The decisions of OAUTHBEARER token refresh, apart from librdkafka: whether a client's
// configuration can use a token provider, whether a provided token is one librdkafka will
// take, and the failure reasons handed to it. No reason ever contains a token's value.
#pragma once

#include <asiokafka/oauthbearer.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace asiokafka::detail {

/// The librdkafka properties that decide who makes OAUTHBEARER tokens.
struct oauthbearer_settings {
  std::string mechanism{};    // sasl.mechanisms
  std::string method{};       // sasl.oauthbearer.method: "default" or "oidc"
  bool unsecure_jwt = false;  // enable.sasl.oauthbearer.unsecure.jwt
};

/// Why a client with these settings cannot use a token provider (nullopt: it can).
std::optional<std::string> provider_conflict(const oauthbearer_settings& s);

/// Why librdkafka would refuse `token` at `now` (nullopt: it is acceptable): empty value or
/// principal, expiry not in the future, characters outside RFC 7628's value rules, bad
/// extension keys. Names the field, never the token's text.
std::optional<std::string> token_problem(const oauthbearer_token& token, std::chrono::system_clock::time_point now);

/// The reason given to rd_kafka_oauthbearer_set_token_failure for the `failures`-th refresh
/// failing in a row (counted from 1). The count keeps each reason distinct: librdkafka
/// reports a failure to the application only when its reason changed.
std::string refresh_failure_reason(std::string_view problem, unsigned failures);

/// The reason when an OAUTHBEARER client has no provider and no built-in token maker.
std::string_view no_provider_reason() noexcept;

}  // namespace asiokafka::detail
