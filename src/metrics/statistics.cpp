#include <asiokafka/metrics.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <tuple>

namespace asiokafka {

namespace {

namespace bj = boost::json;

// librdkafka's fields change between versions; a missing or retyped field keeps its default.
std::int64_t int_field(const bj::object& o, std::string_view key, std::int64_t fallback = 0) {
  const auto* v = o.if_contains(key);
  if (!v) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return fallback;
}

std::string string_field(const bj::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const bj::object* object_field(const bj::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

// librdkafka reports unknown offsets as -1001 (RD_KAFKA_OFFSET_INVALID): normalise to -1.
std::int64_t offset_field(const bj::object& o, std::string_view key) {
  const std::int64_t v = int_field(o, key, -1);
  return v < 0 ? -1 : v;
}

// A number of librdkafka's statistics object and the member it is read into; `offset`: an
// unknown offset (-1001) reads as -1.
template <class Owner>
struct number_field {
  std::string_view key;
  std::int64_t Owner::*member;
  bool offset = false;
};

template <class Owner, std::size_t N>
void read_numbers(const bj::object& o, Owner& out, const number_field<Owner> (&fields)[N]) {
  for (const auto& f : fields) out.*f.member = f.offset ? offset_field(o, f.key) : int_field(o, f.key);
}

constexpr number_field<partition_metrics> partition_numbers[] = {
    {"consumer_lag", &partition_metrics::lag, true},
    {"consumer_lag_stored", &partition_metrics::lag_stored, true},
    {"committed_offset", &partition_metrics::committed_offset, true},
    {"stored_offset", &partition_metrics::stored_offset, true},
    {"hi_offset", &partition_metrics::high_watermark, true},
    {"rxmsgs", &partition_metrics::consumed_messages},
    {"rxbytes", &partition_metrics::consumed_bytes},
    {"txmsgs", &partition_metrics::produced_messages},
    {"txbytes", &partition_metrics::produced_bytes},
};

constexpr number_field<client_metrics> client_numbers[] = {
    {"ts", &client_metrics::timestamp_us},
    {"rxmsgs", &client_metrics::consumed_messages},
    {"rxmsg_bytes", &client_metrics::consumed_bytes},
    {"txmsgs", &client_metrics::produced_messages},
    {"txmsg_bytes", &client_metrics::produced_bytes},
    {"msg_cnt", &client_metrics::queue_messages},
};

constexpr number_field<broker_connection_metrics> broker_numbers[] = {
    {"tx", &broker_connection_metrics::requests_sent},        {"rx", &broker_connection_metrics::responses_received},
    {"txerrs", &broker_connection_metrics::request_errors},   {"rxerrs", &broker_connection_metrics::response_errors},
    {"disconnects", &broker_connection_metrics::disconnects},
};

void read_partitions(const std::string& topic, const bj::object& partitions, std::vector<partition_metrics>& out) {
  for (const auto& [key, value] : partitions) {
    const auto* p = value.if_object();
    if (!p) continue;
    std::int32_t id = -1;
    if (p->contains("partition")) {
      id = static_cast<std::int32_t>(int_field(*p, "partition", -1));
    } else {
      std::from_chars(key.data(), key.data() + key.size(), id);
    }
    if (id < 0) continue;  // -1: librdkafka's internal unassigned partition
    partition_metrics m;
    m.topic = topic;
    m.partition = id;
    read_numbers(*p, m, partition_numbers);
    out.push_back(std::move(m));
  }
}

}  // namespace

const partition_metrics* client_metrics::find(std::string_view topic, std::int32_t partition) const noexcept {
  for (const auto& p : partitions)
    if (p.topic == topic && p.partition == partition) return &p;
  return nullptr;
}

client_metrics parse_statistics(std::string_view json) {
  boost::system::error_code ec;
  const bj::value doc = bj::parse(json, ec);
  if (ec) throw std::invalid_argument("asiokafka: statistics are not JSON: " + ec.message());
  const auto* root = doc.if_object();
  if (!root) throw std::invalid_argument("asiokafka: statistics are not a JSON object");

  client_metrics m;
  m.name = string_field(*root, "name");
  m.client_id = string_field(*root, "client_id");
  m.type = string_field(*root, "type");
  read_numbers(*root, m, client_numbers);
  if (const auto* cgrp = object_field(*root, "cgrp")) {
    m.rebalances = int_field(*cgrp, "rebalance_cnt");
    m.group_state = string_field(*cgrp, "state");
    m.assigned_partitions = int_field(*cgrp, "assignment_size");
    m.last_rebalance_reason = string_field(*cgrp, "rebalance_reason");
    if (m.rebalances > 0) m.last_rebalance_age_ms = int_field(*cgrp, "rebalance_age");
  }
  if (const auto* topics = object_field(*root, "topics")) {
    for (const auto& [key, value] : *topics) {
      const auto* t = value.if_object();
      if (!t) continue;
      std::string topic = string_field(*t, "topic");
      if (topic.empty()) topic = std::string(key);
      if (const auto* partitions = object_field(*t, "partitions")) read_partitions(topic, *partitions, m.partitions);
    }
  }
  std::sort(m.partitions.begin(), m.partitions.end(), [](const auto& a, const auto& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  if (const auto* brokers = object_field(*root, "brokers")) {
    for (const auto& [key, value] : *brokers) {
      const auto* b = value.if_object();
      if (!b || string_field(*b, "source") == "internal") continue;  // librdkafka's own pseudo-broker
      broker_connection_metrics c;
      c.name = string_field(*b, "name");
      if (c.name.empty()) c.name = std::string(key);
      c.node_id = static_cast<std::int32_t>(int_field(*b, "nodeid", -1));
      c.state = string_field(*b, "state");
      if (const auto* rtt = object_field(*b, "rtt")) c.rtt_avg_us = int_field(*rtt, "avg");
      read_numbers(*b, c, broker_numbers);
      m.brokers.push_back(std::move(c));
    }
  }
  std::sort(m.brokers.begin(), m.brokers.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return m;
}

subscriber_counters subscriber_counters::snapshot(std::string name, const subscriber_stats& s) noexcept {
  subscriber_counters c;
  c.subscriber = std::move(name);
  c.received = s.received.load();
  c.handled = s.handled.load();
  c.failed = s.failed.load();
  c.decode_failed = s.decode_failed.load();
  c.retried = s.retried.load();
  c.dead_lettered = s.dead_lettered.load();
  c.dead_letter_failed = s.dead_letter_failed.load();
  c.in_flight = s.in_flight.load();
  c.replies_unroutable = s.replies_unroutable.load();
  c.replies_failed = s.replies_failed.load();
  c.invalid_trace_context = s.invalid_trace_context.load();
  c.transactions_committed = s.transactions_committed.load();
  c.transactions_aborted = s.transactions_aborted.load();
  c.rebalances = s.rebalances.load();
  c.partitions_assigned = s.partitions_assigned.load();
  c.partitions_revoked = s.partitions_revoked.load();
  c.partitions_lost = s.partitions_lost.load();
  return c;
}

request_counters request_counters::snapshot(const request_stats& s) noexcept {
  return {s.sent.load(),   s.answered.load(),     s.timed_out.load(),        s.cancelled.load(),
          s.failed.load(), s.late_replies.load(), s.unmatched_replies.load()};
}

}  // namespace asiokafka
