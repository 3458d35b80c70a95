// What asiokafka knows about librdkafka's property names: aliases, which client kind a
// property applies to, the classic group protocol's own keys, and the library defaults.
// Lists match the CONFIGURATION.md of librdkafka 2.0 and 2.14; docs/config.md documents them
// for users.
#pragma once

#include <span>
#include <string_view>

namespace asiokafka::detail {

enum class client_kind { consumer, producer };

/// The canonical name of a property: librdkafka's aliases map to the name Kafka's own
/// clients use (metadata.broker.list -> bootstrap.servers, request.required.acks -> acks,
/// ...); other keys are returned unchanged.
std::string_view canonical_key(std::string_view key) noexcept;

/// Whether a (canonical) property means something to `kind` of client: false for producer-only
/// properties and a consumer, and for consumer-only properties and a producer.
bool applies_to(client_kind kind, std::string_view canonical) noexcept;

/// For a key only the classic group protocol takes (session.timeout.ms,
/// heartbeat.interval.ms, partition.assignment.strategy, group.protocol.type): what replaces
/// it under KIP-848's group.protocol=consumer. "" for any other key.
std::string_view classic_protocol_replacement(std::string_view canonical) noexcept;

struct default_property {
  std::string_view key;
  std::string_view value;
};

/// asiokafka's library defaults for a client kind, sorted by key.
std::span<const default_property> library_defaults(client_kind kind) noexcept;

}  // namespace asiokafka::detail
