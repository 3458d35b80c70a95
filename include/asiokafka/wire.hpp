// The wire conventions asiokafka shares with FastStream: which headers a record carries and
// how a subscriber reads them. Every record the broker layer publishes gets its headers from
// one place (the broker's publish path); these are the names and rules it applies.
//
//   header            written                          read
//   content-type      application/json for JSON        absent or "": try JSON
//                     values, text/plain for strings,  text/plain: text (typed: try JSON)
//                     "" for asiokafka::bytes; an      application/json, *+json, with
//                     encoder's own (message_encoder,  parameters: JSON; anything else:
//                     broker_options::encoder)         a decode failure (a custom decoder
//                                                      reads what it knows)
//   correlation_id    always (given, propagated from   correlation_id, else correlation-id
//                     the message being handled, or
//                     a new UUID)
//   reply_to          when a request asks for a reply  reply_to, else reply-to
//   traceparent,      always: a child span of the      W3C Trace Context; a malformed value
//   tracestate        message being handled, or a      is ignored (a new trace starts),
//                     new trace                        logged and counted
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace asiokafka {

class message;

namespace wire {

inline constexpr std::string_view content_type_header = "content-type";
/// FastStream's spelling, written by asiokafka.
inline constexpr std::string_view correlation_id_header = "correlation_id";
inline constexpr std::string_view reply_to_header = "reply_to";
/// The hyphenated spellings, still read (earlier asiokafka versions wrote them).
inline constexpr std::string_view correlation_id_header_alt = "correlation-id";
inline constexpr std::string_view reply_to_header_alt = "reply-to";
inline constexpr std::string_view traceparent_header = "traceparent";
inline constexpr std::string_view tracestate_header = "tracestate";

inline constexpr std::string_view json_content_type = "application/json";
inline constexpr std::string_view text_content_type = "text/plain";

/// How a subscriber reads a payload, from its content-type header.
enum class content_kind {
  /// No content-type header, an empty one, or a null one: FastStream tries JSON.
  unspecified,
  /// application/json or a `+json` type, parameters (`; charset=utf-8`) allowed.
  json,
  /// text/plain (parameters allowed).
  text,
  /// Anything else: a JSON subscriber cannot read it (a decode failure).
  other,
};

/// Classifies a content-type header value (nullopt: no header, or a null value).
content_kind classify_content_type(std::optional<std::string_view> value) noexcept;

/// The content-type of `msg` (nullopt: absent or null).
std::optional<std::string_view> content_type(const message& msg) noexcept;
/// The correlation id of `msg`: `correlation_id`, else `correlation-id` (nullopt: neither,
/// or a null value).
std::optional<std::string_view> correlation_id(const message& msg) noexcept;
/// The reply topic of `msg`: `reply_to`, else `reply-to` (nullopt: neither, null or empty).
std::optional<std::string_view> reply_to(const message& msg) noexcept;

/// A new random (version 4) UUID in its 36-character text form, as FastStream's correlation
/// ids are. Thread-safe.
std::string new_correlation_id();

}  // namespace wire
}  // namespace asiokafka
