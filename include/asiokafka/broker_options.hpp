// broker_options: the broker-wide (executor-wide) scope of a broker - configuration,
// lifecycle, logging, encoding, tracing and security shared by its subscribers.
#pragma once

#include <asiokafka/config.hpp>
#include <asiokafka/log.hpp>
#include <asiokafka/message.hpp>
#include <asiokafka/oauthbearer.hpp>
#include <asiokafka/publish.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace asiokafka {

/// A broker-wide decoder (broker_options::decoder): a message to the JSON value its typed
/// subscribers convert.
using message_decoder = std::function<boost::json::value(const message&)>;

/// Broker-wide (executor-wide) options: the broker scope of the config composer and the
/// behaviour shared by all subscribers.
struct broker_options {
  client_options config{};
  merge_policy policy = more_specific_wins{};
  static_id_policy static_ids = derive_from_broker_base{};
  /// How long a graceful stop waits for in-flight handlers before closing.
  std::chrono::milliseconds graceful_timeout{30000};
  /// Producer-only options for publishing (acks, linger.ms, ...): the producer's own scope.
  client_options producer_config{};
  /// Default: log_to_stderr().
  log_sink log{};
  /// When > 0, subscribers' consumers report librdkafka statistics this often
  /// (`statistics.interval.ms` as a broker-scope default: a value the user sets at broker or
  /// subscriber scope wins) and the broker keeps the latest report of each, for metrics()
  /// and metrics_text().
  std::chrono::milliseconds statistics_interval{0};
  /// Broker-wide decoder for payloads that are not plain JSON (an envelope, another encoding):
  /// turns a message into a JSON value, which each typed subscriber without a decoder of its
  /// own converts to its T by the asiokafka::json rules (a mismatch names the field). Throw
  /// to reject a payload: a decode failure, handled by the subscriber's error policy. Not used
  /// for subscribers of std::string or of the raw message. Empty (the default): payloads are
  /// JSON, checked against their content-type header. Called on the subscribers' strands,
  /// possibly concurrently: it must be thread-safe.
  message_decoder decoder;
  /// Broker-wide encoder, the decoder's other half: what the broker publishes as JSON (values
  /// of async_publish, async_request, ctx.publish, publishers without an encoder of their own,
  /// handler results) is converted to its JSON value and written by it, with its content type
  /// (see payload_encoder). Empty (the default): JSON text, application/json.
  payload_encoder encoder;
  /// Receives the start and end of every span: each handled record (`process`), each publish,
  /// each request (see span_event). Empty (the default): traces are still propagated (every
  /// publish carries a traceparent), nothing is reported.
  span_sink on_span;
  /// The topic replies to this broker's async_request calls come back on; one per broker
  /// instance (instances sharing it see each other's replies and count them as unmatched).
  /// Created on the first request if missing (1 partition, retention one hour). Default
  /// (empty): "asiokafka-replies-" followed by a random id, new for each broker object; set
  /// a stable name per instance (e.g. from the pod name) so restarts reuse one topic.
  std::string reply_topic;
  /// SASL/OAUTHBEARER tokens for every client of the broker (each subscriber's consumer and
  /// transactional producer, the publisher, the reply consumer), each calling it when its own
  /// token needs a refresh; see oauthbearer_token_provider. Each call runs on that client's
  /// strand, so on a multi-threaded io_context calls for different clients may overlap: it
  /// must be thread-safe. Refresh failures reach the log. Empty: no provider
  /// (sasl.mechanism OAUTHBEARER then needs librdkafka's own token maker).
  oauthbearer_token_provider token_provider;
};

}  // namespace asiokafka
