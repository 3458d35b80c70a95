// What a publish carries besides its value: options for publishes and requests, raw bytes,
// encoders, and the span events of the broker's tracing hook.
#pragma once

#include <asiokafka/error.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/trace_context.hpp>

#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asiokafka {

/// A payload published as it is with an empty content-type header, as FastStream publishes
/// `bytes` (subscribers then try JSON); a std::string is published as text/plain, a
/// described struct as application/json.
struct bytes {
  std::string data{};
};

/// A publisher's encoder (broker::publisher<T>(topic, encoder)): turns each T it publishes
/// into the record's value, written with `content_type` as its content-type header (the one
/// header convention, wire.hpp) and named as the content type of the publisher's messages in
/// broker::asyncapi(). The symmetric half of a subscriber's decoder.
///
/// `encode` throws to refuse a value: that publish completes with error::encode_failed, the
/// exception's message is logged (and is the publish span's error text), and nothing is
/// produced. Called on the publishing thread, possibly concurrently: it must be thread-safe.
template <class T>
struct message_encoder {
  /// E.g. "application/x-protobuf". Written as it is (an empty one: an empty header).
  std::string content_type{};
  /// T -> payload bytes. Empty: the broker's encoding (JSON, or broker_options::encoder).
  std::function<std::string(const T&)> encode{};
};

/// The broker-wide encoder (broker_options::encoder), the symmetric half of the broker-wide
/// decoder: every value the broker would publish as JSON (described structs, JSON values, and
/// the results of handlers) is first converted to its JSON value by the asiokafka::json rules,
/// then `encode`d; the record's content-type header is `content_type`. Strings and
/// asiokafka::bytes are still published as they are, and a publisher with its own encoder
/// uses that one. Throwing refuses the value as message_encoder does. Called on the
/// publishing thread or a subscriber's strand, possibly concurrently: it must be thread-safe.
struct payload_encoder {
  /// E.g. "application/cbor".
  std::string content_type{};
  /// JSON value -> payload bytes. Empty (the default): values are published as JSON text with
  /// the content-type application/json.
  std::function<std::string(const boost::json::value&)> encode{};

  explicit operator bool() const noexcept { return static_cast<bool>(encode); }
};

/// Options of a publish: key, headers, partition and the wire headers (see wire.hpp).
struct publish_options {
  std::optional<std::string> key{};
  /// Extra headers. A content-type, correlation_id or reply_to given here is kept (the
  /// hyphenated correlation-id / reply-to are also written in FastStream's spelling); a
  /// traceparent given here (outside a handler) becomes the parent of the publish span, whose
  /// traceparent the record carries.
  std::vector<header> headers{};
  std::optional<std::int32_t> partition{};
  /// The record's correlation_id. Default: inside a handler, the id of the message being
  /// handled (propagation, as FastStream does); elsewhere a new UUID.
  std::optional<std::string> correlation_id{};
  /// Written as the `reply_to` header: where the receiver should send its reply.
  std::optional<std::string> reply_to{};
  /// Overrides the value type's content type (application/json for JSON values, text/plain
  /// for strings, "" for asiokafka::bytes) and an encoder's.
  std::optional<std::string> content_type{};
};

/// Options of broker::async_request.
struct request_options {
  /// How long to wait for the reply; then the request completes with error::timeout.
  std::chrono::milliseconds timeout{30000};
  std::optional<std::string> key{};
  std::vector<header> headers{};
  std::optional<std::int32_t> partition{};
  /// Default: a new UUID (a request's id must be unique among those in flight).
  std::optional<std::string> correlation_id{};
  /// As publish_options::content_type.
  std::optional<std::string> content_type{};
};

/// Counters of a broker's requests (broker::async_request); readable from any thread.
struct request_stats {
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> answered{0};
  std::atomic<std::uint64_t> timed_out{0};
  std::atomic<std::uint64_t> cancelled{0};
  /// The request could not be published, or its reply could not be decoded.
  std::atomic<std::uint64_t> failed{0};
  /// Replies that arrived after their request timed out or was cancelled (dropped).
  std::atomic<std::uint64_t> late_replies{0};
  /// Records on the reply topic that answer no request of this broker: no correlation id,
  /// or one it never sent (dropped, logged).
  std::atomic<std::uint64_t> unmatched_replies{0};
};

/// One span event of the broker's tracing hook (broker_options::on_span): a span starts or
/// ends. Spans follow W3C Trace Context: a `process` span is a child of the incoming
/// record's traceparent (or starts a trace); a `publish` span is a child of the span it was
/// made in (a handler's process span, else a new trace) and its id is the traceparent the
/// record carries; a `request` span covers an async_request until its reply.
struct span_event {
  enum class kind { process, publish, request };
  enum class phase { start, end };

  kind span_kind = kind::process;
  phase span_phase = phase::start;
  /// "<topic> process", "<topic> publish", "<topic> request" (OpenTelemetry messaging names).
  std::string_view name{};
  /// This span (trace id, span id, flags, tracestate).
  const trace_context* context = nullptr;
  /// The parent span's id; nullopt for a span that starts a trace.
  std::optional<trace_context::span_id_type> parent_span_id{};
  /// The subscriber of a process span (empty otherwise).
  std::string_view subscriber{};
  std::string_view topic{};
  /// The record handled (process) or written (publish end); -1 when unknown.
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string_view correlation_id{};
  std::chrono::system_clock::time_point time{};
  /// At phase::end: the failure, if the span failed (error_text explains it).
  error_code error{};
  std::string_view error_text{};
};

/// Receives span events. Called on the strand of the subscriber or of the broker's publisher
/// that made the span, so possibly from several threads at once: it must be thread-safe and
/// quick. The views in the event are valid during the call only.
using span_sink = std::function<void(const span_event&)>;

}  // namespace asiokafka
