#include <asiokafka/metrics.hpp>

#include <charconv>
#include <functional>
#include <initializer_list>
#include <utility>

namespace asiokafka {

namespace {

using label = std::pair<std::string_view, std::string_view>;

void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quote)
      out += "\\\"";
    else
      out += c;
  }
}

template <class Number>
void append_number(std::string& out, Number value) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

// One metric family: its HELP and TYPE lines are written before its first sample, so that a
// family without samples does not appear at all.
class family {
 public:
  family(std::string& out, std::string_view name, std::string_view type, std::string_view help)
      : out_(out), name_(name), type_(type), help_(help) {}

  template <class Number>
  void sample(const std::vector<label>& labels, Number value) {
    if (!header_written_) {
      out_ += "# HELP ";
      out_ += name_;
      out_ += ' ';
      append_escaped(out_, help_, false);
      out_ += "\n# TYPE ";
      out_ += name_;
      out_ += ' ';
      out_ += type_;
      out_ += '\n';
      header_written_ = true;
    }
    out_ += name_;
    if (!labels.empty()) {
      out_ += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i) out_ += ',';
        out_ += labels[i].first;
        out_ += "=\"";
        append_escaped(out_, labels[i].second, true);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    append_number(out_, value);
    out_ += '\n';
  }

 private:
  std::string& out_;
  std::string_view name_;
  std::string_view type_;
  std::string_view help_;
  bool header_written_ = false;
};

// A librdkafka client with the subscriber it belongs to ("" for none).
struct client_source {
  std::string_view subscriber;
  const client_metrics* metrics;

  std::vector<label> labels() const {
    std::vector<label> l;
    if (!subscriber.empty()) l.emplace_back("subscriber", subscriber);
    l.emplace_back("client", metrics->name);
    return l;
  }
};

// A metric family whose samples are a member of `Owner`.
template <class Owner, class Value>
struct member_family {
  std::string_view name, type, help;
  Value Owner::*field;
};

constexpr member_family<subscriber_counters, std::uint64_t> subscriber_families[] = {
    {"asiokafka_subscriber_received_total", "counter", "Messages received by the subscriber.",
     &subscriber_counters::received},
    {"asiokafka_subscriber_handled_total", "counter", "Messages whose handler returned normally.",
     &subscriber_counters::handled},
    {"asiokafka_subscriber_failed_total", "counter", "Messages whose handler threw (after retries).",
     &subscriber_counters::failed},
    {"asiokafka_subscriber_decode_failed_total", "counter", "Messages whose payload could not be decoded.",
     &subscriber_counters::decode_failed},
    {"asiokafka_subscriber_retried_total", "counter", "Handler retries (nack).", &subscriber_counters::retried},
    {"asiokafka_subscriber_dead_lettered_total", "counter", "Messages delivered to the dead-letter topic.",
     &subscriber_counters::dead_lettered},
    {"asiokafka_subscriber_dead_letter_failed_total", "counter",
     "Messages that could not be delivered to the dead-letter topic (offset not stored).",
     &subscriber_counters::dead_letter_failed},
    {"asiokafka_subscriber_in_flight", "gauge", "Messages whose handler is running.", &subscriber_counters::in_flight},
    {"asiokafka_subscriber_replies_unroutable_total", "counter",
     "Handler results dropped: no reply_to header and no output_topic.", &subscriber_counters::replies_unroutable},
    {"asiokafka_subscriber_replies_failed_total", "counter",
     "Handler results that could not be published (handled as handler failures).",
     &subscriber_counters::replies_failed},
    {"asiokafka_subscriber_invalid_trace_context_total", "counter",
     "Messages with a malformed traceparent header (ignored; a new trace started).",
     &subscriber_counters::invalid_trace_context},
    {"asiokafka_subscriber_transactions_committed_total", "counter",
     "Exactly-once: transactions committed (outputs and input offsets).", &subscriber_counters::transactions_committed},
    {"asiokafka_subscriber_transactions_aborted_total", "counter",
     "Exactly-once: transactions aborted (their records handled again).", &subscriber_counters::transactions_aborted},
    {"asiokafka_subscriber_rebalances_total", "counter",
     "Rebalance events of the subscriber's consumer (partitions assigned, revoked or lost).",
     &subscriber_counters::rebalances},
    {"asiokafka_subscriber_partitions_assigned_total", "counter",
     "Partitions assigned to the subscriber by rebalances.", &subscriber_counters::partitions_assigned},
    {"asiokafka_subscriber_partitions_revoked_total", "counter",
     "Partitions revoked from the subscriber by rebalances.", &subscriber_counters::partitions_revoked},
    {"asiokafka_subscriber_partitions_lost_total", "counter",
     "Partitions the subscriber lost (its membership expired: another member may own them).",
     &subscriber_counters::partitions_lost},
};

constexpr member_family<request_counters, std::uint64_t> request_families[] = {
    {"asiokafka_requests_sent_total", "counter", "Requests published (broker::async_request).",
     &request_counters::sent},
    {"asiokafka_requests_answered_total", "counter", "Requests completed with their reply.",
     &request_counters::answered},
    {"asiokafka_requests_timed_out_total", "counter", "Requests without a reply within their timeout.",
     &request_counters::timed_out},
    {"asiokafka_requests_cancelled_total", "counter", "Requests cancelled by the caller.",
     &request_counters::cancelled},
    {"asiokafka_requests_failed_total", "counter", "Requests not published, or with an undecodable reply.",
     &request_counters::failed},
    {"asiokafka_requests_late_replies_total", "counter",
     "Replies after their request timed out or was cancelled (dropped).", &request_counters::late_replies},
    {"asiokafka_requests_unmatched_replies_total", "counter",
     "Records on the reply topic answering no request (dropped).", &request_counters::unmatched_replies},
};

constexpr member_family<client_metrics, std::int64_t> client_families[] = {
    {"asiokafka_consumed_messages_total", "counter", "Messages fetched from the brokers (librdkafka rxmsgs).",
     &client_metrics::consumed_messages},
    {"asiokafka_consumed_bytes_total", "counter", "Message bytes fetched from the brokers (librdkafka rxmsg_bytes).",
     &client_metrics::consumed_bytes},
    {"asiokafka_produced_messages_total", "counter", "Messages sent to the brokers (librdkafka txmsgs).",
     &client_metrics::produced_messages},
    {"asiokafka_produced_bytes_total", "counter", "Message bytes sent to the brokers (librdkafka txmsg_bytes).",
     &client_metrics::produced_bytes},
    {"asiokafka_queue_messages", "gauge", "Messages waiting in the producer queue (librdkafka msg_cnt).",
     &client_metrics::queue_messages},
    {"asiokafka_rebalances_total", "counter", "Consumer group rebalances (librdkafka cgrp.rebalance_cnt).",
     &client_metrics::rebalances},
    {"asiokafka_assigned_partitions", "gauge", "Partitions assigned to the consumer (librdkafka cgrp.assignment_size).",
     &client_metrics::assigned_partitions},
    {"asiokafka_last_rebalance_age_milliseconds", "gauge",
     "Time since the consumer's last rebalance started (librdkafka cgrp.rebalance_age; -1: none yet).",
     &client_metrics::last_rebalance_age_ms},
};

constexpr member_family<partition_metrics, std::int64_t> partition_families[] = {
    {"asiokafka_consumer_lag", "gauge", "High watermark minus committed offset (librdkafka consumer_lag).",
     &partition_metrics::lag},
    {"asiokafka_consumer_lag_stored", "gauge", "High watermark minus stored offset (librdkafka consumer_lag_stored).",
     &partition_metrics::lag_stored},
    {"asiokafka_committed_offset", "gauge", "Committed offset of the partition.", &partition_metrics::committed_offset},
    {"asiokafka_high_watermark", "gauge", "High watermark offset of the partition.",
     &partition_metrics::high_watermark},
};

// One family with a sample per broker connection of every client.
template <class Value>
void broker_samples(std::string& out, const std::vector<client_source>& sources, std::string_view name,
                    std::string_view type, std::string_view help, Value value) {
  family fam(out, name, type, help);
  for (const auto& src : sources)
    for (const auto& b : src.metrics->brokers) {
      auto labels = src.labels();
      labels.emplace_back("broker", b.name);
      fam.sample(labels, value(b));
    }
}

}  // namespace

std::string to_prometheus(std::span<const subscriber_metrics> subscribers, std::span<const client_metrics> clients,
                          const request_counters* requests) {
  std::string out;

  for (const auto& f : subscriber_families) {
    family fam(out, f.name, f.type, f.help);
    for (const auto& s : subscribers) fam.sample({{"subscriber", s.counters.subscriber}}, s.counters.*f.field);
  }

  std::vector<client_source> sources;
  for (const auto& s : subscribers)
    if (s.client) sources.push_back({s.counters.subscriber, &*s.client});
  for (const auto& c : clients) sources.push_back({{}, &c});

  for (const auto& f : client_families) {
    family fam(out, f.name, f.type, f.help);
    for (const auto& src : sources) fam.sample(src.labels(), src.metrics->*f.field);
  }
  for (const auto& f : partition_families) {
    family fam(out, f.name, f.type, f.help);
    for (const auto& src : sources) {
      for (const auto& p : src.metrics->partitions) {
        const std::int64_t value = p.*f.field;
        if (value < 0) continue;  // not known yet
        auto labels = src.labels();
        const std::string partition = std::to_string(p.partition);
        labels.emplace_back("topic", p.topic);
        labels.emplace_back("partition", partition);
        fam.sample(labels, value);
      }
    }
  }
  broker_samples(out, sources, "asiokafka_broker_rtt_seconds", "gauge",
                 "Average request round-trip time to the broker over the last statistics interval.",
                 [](const broker_connection_metrics& b) { return static_cast<double>(b.rtt_avg_us) / 1e6; });
  broker_samples(out, sources, "asiokafka_broker_disconnects_total", "counter", "Disconnects from the broker.",
                 [](const broker_connection_metrics& b) { return b.disconnects; });
  if (requests)
    for (const auto& f : request_families) family(out, f.name, f.type, f.help).sample({}, requests->*f.field);
  return out;
}

}  // namespace asiokafka
