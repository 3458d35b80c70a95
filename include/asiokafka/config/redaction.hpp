// Which configuration keys hold secrets, and how their values are shown.
#pragma once

#include <string>
#include <string_view>

namespace asiokafka {

/// True when the value of `key` must never be shown: sasl.password, ssl.key.password,
/// ssl.keystore.password, sasl.oauthbearer.client.secret, sasl.oauthbearer.config,
/// ssl.key.pem, ssl_key, and any key containing "password" or "secret" (compared
/// case-insensitively). Logging code should use this rather than its own list.
bool is_secret_key(std::string_view key) noexcept;

/// `value` unchanged, or "[redacted]" when `is_secret_key(key)`.
std::string redact(std::string_view key, std::string_view value);

}  // namespace asiokafka
