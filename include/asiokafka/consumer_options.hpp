// Behaviour of a consumer beyond librdkafka's configuration: rebalance hooks, error, log and
// statistics sinks, the OAUTHBEARER token provider, local buffering.
#pragma once

#include <asiokafka/error.hpp>
#include <asiokafka/log.hpp>
#include <asiokafka/oauthbearer.hpp>
#include <asiokafka/sinks.hpp>
#include <asiokafka/topic_partition.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <string_view>

namespace asiokafka {

/// A rebalance hook: a coroutine run on the consumer's executor with the partitions concerned.
/// The rebalance does not proceed until it finishes; an exception it throws is reported to
/// the error sink as error::hook_failed (not fatal: the consumer keeps running) and the
/// rebalance proceeds.
using partition_hook = std::function<boost::asio::awaitable<void>(const topic_partition_list&)>;

struct rebalance_hooks {
  /// After the partitions are added to the assignment (they can be seeked here).
  partition_hook on_assigned{};
  /// Before the partitions leave the assignment: messages already received from them may
  /// still be finished and stored here; the stored offsets are committed after the hook,
  /// before the partitions go to another member. Undelivered messages are dropped first.
  partition_hook on_revoked{};
  /// The partitions were lost (session timeout, fencing): nothing is committed; others may
  /// already own them.
  partition_hook on_lost{};
};

struct consumer_options {
  rebalance_hooks hooks{};
  /// The consumer's errors as error_info (sinks.hpp): fetch, store, commit and rebalance
  /// failures, client errors, the fatal error. Default: writes to the log sink at warning level.
  error_sink on_error{};
  statistics_sink on_statistics{};
  /// librdkafka's and asiokafka's log lines. Default: log_to_stderr (warnings and worse).
  log_sink log{};
  /// SASL/OAUTHBEARER tokens (sasl.mechanism=OAUTHBEARER); see oauthbearer_token_provider.
  oauthbearer_token_provider token_provider{};
  /// Flow control: when this many fetched messages wait in the local buffer, the consumer
  /// stops moving librdkafka's queue into it (librdkafka's own queued.min.messages /
  /// queued.max.messages.kbytes then stop its fetcher) until the buffer is half empty. A
  /// buffer still full after 100 ms (the application is slow, or not receiving) pauses the
  /// assignment instead, so that rebalances and errors behind the fetched messages are served
  /// and an application that stops receiving neither grows memory nor drops out of the group;
  /// what librdkafka had already fetched then still arrives, so the buffer may exceed this by
  /// that much. (Pausing is the second step because librdkafka 2.0.2 fetches again up to a
  /// second after a resume.)
  std::size_t max_buffered_messages = 50000;
};

}  // namespace asiokafka
