// Checks composed entries against librdkafka itself.
#pragma once

#include <asiokafka/config/composed_config.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace asiokafka::detail {

/// Sets every entry on a scratch rd_kafka_conf_t (in order). Throws config_error for the
/// first key librdkafka does not know or whose value it rejects, naming the key, the entry's
/// scope, `subscriber` and librdkafka's message, with a secret value redacted from it.
void validate_with_librdkafka(std::span<const composed_config::entry> entries, std::string_view subscriber);

/// How librdkafka reads `value` for the boolean property `key` ("t", "0", "FALSE", ... are
/// accepted), or nullopt when it rejects the value (validation then reports it if it is used).
std::optional<bool> librdkafka_bool(const std::string& key, const std::string& value);

}  // namespace asiokafka::detail
