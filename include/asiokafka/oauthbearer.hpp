// SASL/OAUTHBEARER tokens from the application: an asynchronous provider that librdkafka's
// token refreshes call on the client's executor (consumer_options, producer_options,
// broker_options::token_provider).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <string>

namespace asiokafka {

/// What a token provider returns. asiokafka hands it to librdkafka and never logs the value.
struct oauthbearer_token {
  /// The token, typically a JWS compact serialization. Printable ASCII (RFC 7628 value rules).
  std::string value{};
  /// When the token expires. librdkafka asks for the next one at 80% of its remaining life.
  std::chrono::system_clock::time_point expiry{};
  /// The Kafka principal the token stands for (required, e.g. the JWT's `sub`).
  std::string principal{};
  /// SASL extensions sent with the token (RFC 7628 section 3.1): keys are letters only and
  /// not "auth"; values printable ASCII.
  std::map<std::string, std::string> extensions{};
};

/// Fetches a token when librdkafka needs one: at the client's start and at 80% of each
/// token's lifetime. A coroutine run with co_spawn on the client's executor, one call at a
/// time per client; the client keeps serving its queues meanwhile. librdkafka asks for no
/// other token until this call completes, so bound its I/O with a timeout. What it captures
/// must live as long as the client. Each token set is logged at info level with its principal
/// and remaining lifetime.
///
/// Failures: if it throws, or returns a token that is expired or malformed, asiokafka tells
/// librdkafka the refresh failed (set_token_failure) with a reason that names the problem
/// (the exception's message, or which field is wrong; never the token value). librdkafka
/// keeps any earlier token that is still valid, reports an authentication error
/// (kafka category, `_AUTHENTICATION`, "Failed to acquire SASL OAUTHBEARER token: ...") to
/// the client's error sink (else its log) and calls the provider again 10 s later.
///
/// Used only with `sasl.mechanism=OAUTHBEARER`; setting it with another mechanism, with
/// `enable.sasl.oauthbearer.unsecure.jwt=true` or with `sasl.oauthbearer.method=oidc` makes
/// the client's construction throw (error::invalid_config). Without a provider an
/// OAUTHBEARER client that uses neither of those fails every refresh with a reason saying so.
using oauthbearer_token_provider = std::function<boost::asio::awaitable<oauthbearer_token>()>;

}  // namespace asiokafka
