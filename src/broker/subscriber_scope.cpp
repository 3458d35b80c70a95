#include "broker/subscriber_scope.hpp"

#include "broker/explicit_partitions.hpp"

namespace asiokafka::detail {

namespace {

constexpr std::string_view offset_store_reason =
    "asiokafka stores offsets itself once the ack policy has decided (at-least-once)";

constexpr std::string_view unjoined_group_reason =
    "explicit partitions without a group: librdkafka's consumer needs a group.id; this one is never joined "
    "and nothing is committed to it";

constexpr std::string_view transactional_commit_reason =
    "exactly-once commits the input offsets in the producer's transaction";

// What a subscriber's options must be for exactly-once (the composer checks its keys).
void check_exactly_once(const subscriber_options& o) {
  if (o.ack == ack_policy::ack_first)
    throw config_error("ack", config_scope::subscriber, o.name,
                       "processing_guarantee::exactly_once cannot use ack_policy::ack_first (it acknowledges "
                       "before handling, so nothing is left for the transaction to commit)");
  if (o.transaction.max_records == 0)
    throw config_error("transaction.max_records", config_scope::subscriber, o.name, "must be at least 1");
  if (o.transaction.max_time.count() <= 0 || o.transaction.call_timeout.count() <= 0)
    throw config_error(o.transaction.max_time.count() <= 0 ? "transaction.max_time" : "transaction.call_timeout",
                       config_scope::subscriber, o.name, "must be positive");
}

// What a batch subscriber's options must be.
void check_batch(const subscriber_options& o) {
  if (o.ack == ack_policy::manual)
    throw config_error("ack", config_scope::subscriber, o.name,
                       "a batch subscriber cannot use ack_policy::manual (a batch handler has no per-record "
                       "ack/nack; it throws to fail the batch)");
  if (o.guarantee == processing_guarantee::exactly_once)
    throw config_error("guarantee", config_scope::subscriber, o.name,
                       "a batch subscriber cannot use processing_guarantee::exactly_once (not supported yet)");
  if (o.batch.max_records == 0)
    throw config_error("batch.max_records", config_scope::subscriber, o.name, "must be at least 1");
  if (o.batch.max_wait.count() <= 0)
    throw config_error("batch.max_wait", config_scope::subscriber, o.name, "must be positive");
}

}  // namespace

consumer_scope subscriber_consumer_scope(const std::vector<std::string>& topics, const subscriber_options& o,
                                         bool batch) {
  if (o.ack == ack_policy::reject_on_error && o.dead_letter_topic.empty())
    throw config_error("dead_letter_topic", config_scope::subscriber, o.name,
                       "ack_policy::reject_on_error needs a dead_letter_topic");
  check_subscription(topics, o);
  if (batch) check_batch(o);
  consumer_scope scope{o.name, o.config, {{"enable.auto.offset.store", "false", std::string(offset_store_reason)}}, {}};
  if (!o.partitions.empty()) {
    scope.group_membership = false;
    scope.defaults.push_back({"group.id", unjoined_group_id(o.name), std::string(unjoined_group_reason)});
  }
  if (o.guarantee == processing_guarantee::exactly_once) {
    check_exactly_once(o);
    scope.owned.push_back({"enable.auto.commit", "false", std::string(transactional_commit_reason)});
    scope.defaults.push_back({"isolation.level", "read_committed", "exactly-once reads only committed records"});
  }
  return scope;
}

void check_composed_subscriber(const subscriber_options& o, const composed_config& composed) {
  if (!o.partitions.empty())
    check_committed_starts(o, has_user_group(composed));
  else if (!composed.get("group.id"))
    throw config_error("group.id", config_scope::subscriber, o.name,
                       "a subscriber needs a group_id (at broker or subscriber scope)");
}

}  // namespace asiokafka::detail
