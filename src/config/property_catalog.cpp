#include "config/property_catalog.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace asiokafka::detail {
namespace {

using namespace std::string_view_literals;

// librdkafka alias -> the spelling of Kafka's Java client. enable.auto.commit and
// auto.commit.enable are deliberately absent: the latter is a distinct legacy topic property.
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> aliases{{
    {"compression.codec"sv, "compression.type"sv},
    {"fetch.message.max.bytes"sv, "max.partition.fetch.bytes"sv},
    {"max.in.flight"sv, "max.in.flight.requests.per.connection"sv},
    {"message.send.max.retries"sv, "retries"sv},
    {"message.timeout.ms"sv, "delivery.timeout.ms"sv},
    {"metadata.broker.list"sv, "bootstrap.servers"sv},
    {"queue.buffering.max.ms"sv, "linger.ms"sv},
    {"request.required.acks"sv, "acks"sv},
    {"sasl.mechanisms"sv, "sasl.mechanism"sv},
}};

// Canonical names of the consumer-only ("C") properties settable as strings, of librdkafka
// 2.0 and of 2.12+ (fetch.queue.backoff.ms, and KIP-848's group.protocol and
// group.remote.assignor).
constexpr std::array consumer_only{
    "auto.commit.enable"sv,
    "auto.commit.interval.ms"sv,
    "auto.offset.reset"sv,
    "check.crcs"sv,
    "consume.callback.max.messages"sv,
    "coordinator.query.interval.ms"sv,
    "enable.auto.commit"sv,
    "enable.auto.offset.store"sv,
    "enable.partition.eof"sv,
    "fetch.error.backoff.ms"sv,
    "fetch.max.bytes"sv,
    "fetch.min.bytes"sv,
    "fetch.queue.backoff.ms"sv,
    "fetch.wait.max.ms"sv,
    "group.id"sv,
    "group.protocol"sv,
    "group.remote.assignor"sv,
    "group.instance.id"sv,
    "group.protocol.type"sv,
    "heartbeat.interval.ms"sv,
    "isolation.level"sv,
    "max.partition.fetch.bytes"sv,
    "max.poll.interval.ms"sv,
    "offset.store.method"sv,
    "offset.store.path"sv,
    "offset.store.sync.interval.ms"sv,
    "partition.assignment.strategy"sv,
    "queued.max.messages.kbytes"sv,
    "queued.min.messages"sv,
    "session.timeout.ms"sv,
};

// Canonical names of the producer-only ("P") properties (the same in librdkafka 2.0 and 2.14) settable as strings.
constexpr std::array producer_only{
    "acks"sv,
    "batch.num.messages"sv,
    "batch.size"sv,
    "compression.level"sv,
    "compression.type"sv,
    "delivery.report.only.error"sv,
    "delivery.timeout.ms"sv,
    "enable.gapless.guarantee"sv,
    "enable.idempotence"sv,
    "linger.ms"sv,
    "partitioner"sv,
    "produce.offset.report"sv,
    "queue.buffering.backpressure.threshold"sv,
    "queue.buffering.max.kbytes"sv,
    "queue.buffering.max.messages"sv,
    "queuing.strategy"sv,
    "request.timeout.ms"sv,
    "retries"sv,
    "retry.backoff.ms"sv,
    "sticky.partitioning.linger.ms"sv,
    "transaction.timeout.ms"sv,
    "transactional.id"sv,
};

// Keep these short and documented in docs/config.md. Offset handling (enable.auto.commit,
// enable.auto.offset.store) is deliberately not defaulted: features own those keys.
constexpr std::array consumer_defaults{
    default_property{"client.id"sv, "asiokafka"sv},
    // The consumer bridge treats end-of-partition as "nothing to do", not as an event.
    default_property{"enable.partition.eof"sv, "false"sv},
};
constexpr std::array producer_defaults{
    default_property{"client.id"sv, "asiokafka"sv},
};

// The classic group protocol's client-side keys, refused under group.protocol=consumer,
// and what replaces each (KIP-848 moves them to the broker or to the group's configs).
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> classic_only{{
    {"group.protocol.type"sv, "nothing: the consumer protocol has a single protocol type (remove the key)"sv},
    {"heartbeat.interval.ms"sv,
     "the group config consumer.heartbeat.interval.ms, which the broker sends to members "
     "(set it with admin::async_alter_configs on the group resource)"sv},
    {"partition.assignment.strategy"sv,
     "group.remote.assignor (\"uniform\" or \"range\", or unset for the broker's choice): "
     "the broker assigns partitions"sv},
    {"session.timeout.ms"sv,
     "the group config consumer.session.timeout.ms (set it with admin::async_alter_configs "
     "on the group resource)"sv},
}};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view key) noexcept {
  return std::find(list.begin(), list.end(), key) != list.end();
}

}  // namespace

std::string_view canonical_key(std::string_view key) noexcept {
  for (const auto& [alias, canonical] : aliases)
    if (alias == key) return canonical;
  return key;
}

bool applies_to(client_kind kind, std::string_view canonical) noexcept {
  return kind == client_kind::consumer ? !contains(producer_only, canonical) : !contains(consumer_only, canonical);
}

std::string_view classic_protocol_replacement(std::string_view canonical) noexcept {
  for (const auto& [key, replacement] : classic_only)
    if (key == canonical) return replacement;
  return {};
}

std::span<const default_property> library_defaults(client_kind kind) noexcept {
  if (kind == client_kind::consumer) return consumer_defaults;
  return producer_defaults;
}

}  // namespace asiokafka::detail
