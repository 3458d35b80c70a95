// Where a client's errors, statistics and log lines go: the same three sinks for consumers
// and producers (consumer_options, producer_options).
#pragma once

#include <asiokafka/error.hpp>
#include <asiokafka/log.hpp>

#include <functional>
#include <string_view>

namespace asiokafka {

/// Receives a client's errors with their context ("topic[partition]", "commit", ...). Called on
/// the client's executor. A fatal error (the client is unusable: fenced, ...) comes here too,
/// with is_fatal(ec) true and a context starting "fatal: ": a consumer's, then its pending
/// operations fail with it; an idempotent or transactional producer's as its cause (e.g.
/// PRODUCER_FENCED, classified transaction_error_class::fatal), reported as soon as librdkafka
/// raises it, also between transaction calls.
using error_sink = std::function<void(const error_code& ec, std::string_view context)>;

/// Receives librdkafka's statistics JSON (statistics.interval.ms) on the client's executor.
using statistics_sink = std::function<void(std::string_view json)>;

}  // namespace asiokafka
