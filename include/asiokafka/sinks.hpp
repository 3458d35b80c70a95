// Where a client's errors, statistics and log lines go: the same three sinks for consumers
// and producers (consumer_options, producer_options).
#pragma once

#include <asiokafka/error.hpp>
#include <asiokafka/log.hpp>
#include <asiokafka/topic_partition.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace asiokafka {

/// One error a client reports to its error sink, with what it was about. The string views
/// point into the client's data and are valid during the sink's call only: copy what is kept.
/// None of them holds a secret.
struct error_info {
  /// The error, in its category (kafka_category() for librdkafka's codes): compare it with
  /// `boost::system::errc` conditions, classify it with is_fatal() / is_retriable().
  error_code code{};
  /// What the client was doing, one of:
  ///  * "fetch": a fetch error of one partition (`topic`, `partition`, `offset` set);
  ///  * "delivery": a record produced without a handler failed (`topic`, `partition` when
  ///    librdkafka chose one);
  ///  * "store", "commit": storing or committing offsets (`topic`, `partition`, `offset` of the
  ///    failing partition when one is named; several partitions are listed in `detail`);
  ///  * "assign", "revoke", "rebalance": applying a rebalance (the partitions in `detail`);
  ///  * "hook": a rebalance hook threw (error::hook_failed; `detail` names it and has its
  ///    message);
  ///  * "close": closing the consumer failed;
  ///  * "client": an error librdkafka reports about the client as a whole (all brokers down,
  ///    an authentication failure, a broker's transport failure, ...);
  ///  * "fatal": the client is unusable (is_fatal(code)): a consumer's, then its pending
  ///    operations fail with it; an idempotent or transactional producer's as its cause
  ///    (e.g. PRODUCER_FENCED, classified transaction_error_class::fatal), reported as soon as
  ///    librdkafka raises it, also between transaction calls.
  std::string_view operation{};
  /// The topic concerned, or "" when the error is not about one topic.
  std::string_view topic{};
  /// The partition concerned, or -1.
  std::int32_t partition = -1;
  /// The offset concerned, or offsets::invalid.
  std::int64_t offset = offsets::invalid;
  /// librdkafka's or asiokafka's explanation (librdkafka's error string, a hook's message, the
  /// partitions of a rebalance step), or "".
  std::string_view detail{};

  /// One line, as the clients log it: `operation[ topic[partition]@offset][: detail]`, e.g.
  /// "fetch orders[3]@42", "commit: before revoking orders[0,1]", "client: 1/1 brokers are
  /// down".
  std::string describe() const;
};

/// Receives a client's errors (consumer_options, producer_options, admin_options::on_error),
/// called on the client's executor. Without one, a client logs each error at warning level
/// (ERROR facility) with its describe().
using error_sink = std::function<void(const error_info& error)>;

/// Receives librdkafka's statistics JSON (statistics.interval.ms) on the client's executor.
using statistics_sink = std::function<void(std::string_view json)>;

}  // namespace asiokafka
