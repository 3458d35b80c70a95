// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
// headers that carry a distributed trace across Kafka records, as FastStream's and every
// OpenTelemetry instrumentation's Kafka propagation does.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asiokafka {

/// One span's identity within a trace: what a `traceparent` header carries, plus the vendor
/// `tracestate` list that travels with it unchanged.
///
/// A value type without I/O; thread-safe as any value is. New ids come from a per-thread
/// random generator seeded from the operating system.
class trace_context {
 public:
  using trace_id_type = std::array<std::uint8_t, 16>;
  using span_id_type = std::array<std::uint8_t, 8>;

  /// Parses a `traceparent` header value (`00-<32 hex trace id>-<16 hex span id>-<2 hex
  /// flags>`, lowercase hex) and keeps `tracestate` as given. Returns nullopt for anything
  /// the specification says to ignore: wrong length or separators, uppercase or non-hex
  /// digits, an all-zero trace or span id, version `ff`, or a version-00 value with extra
  /// fields. A higher version is read by its first four fields, as the specification asks.
  static std::optional<trace_context> parse(std::string_view traceparent, std::string_view tracestate = {});

  /// A new trace: random trace id and span id, sampled.
  static trace_context new_root();

  /// A child span in the same trace: same trace id, flags and tracestate, a new span id.
  trace_context child() const;

  /// The `traceparent` header value for this span (version 00).
  std::string traceparent() const;
  const std::string& tracestate() const noexcept { return state_; }

  const trace_id_type& trace_id() const noexcept { return trace_id_; }
  const span_id_type& span_id() const noexcept { return span_id_; }
  std::uint8_t flags() const noexcept { return flags_; }
  bool sampled() const noexcept { return (flags_ & 1u) != 0; }

  /// Lowercase hex, as in the header (32 and 16 characters).
  std::string trace_id_hex() const;
  std::string span_id_hex() const;
  /// A span id (e.g. span_event::parent_span_id) as 16 lowercase hex characters.
  static std::string hex(const span_id_type& id);

  friend bool operator==(const trace_context&, const trace_context&) = default;

 private:
  trace_context() = default;

  trace_id_type trace_id_{};
  span_id_type span_id_{};
  std::uint8_t flags_ = 0;
  std::string state_{};
};

}  // namespace asiokafka
