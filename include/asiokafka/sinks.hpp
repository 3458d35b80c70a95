// Where a client's errors, statistics and log lines go: the same three sinks for consumers
// and producers (consumer_options, producer_options).
#pragma once

#include <asiokafka/error.hpp>
#include <asiokafka/log.hpp>

#include <functional>
#include <string_view>

namespace asiokafka {

/// Receives a non-fatal error with its context ("topic[partition]", "commit", ...). Called on
/// the client's executor. A consumer reports fatal errors here too, then to pending operations.
using error_sink = std::function<void(const error_code& ec, std::string_view context)>;

/// Receives librdkafka's statistics JSON (statistics.interval.ms) on the client's executor.
using statistics_sink = std::function<void(std::string_view json)>;

}  // namespace asiokafka
