#include "broker/ack_decision.hpp"

#include <algorithm>

namespace asiokafka::detail {

std::string_view to_string(failure_kind k) noexcept {
  switch (k) {
    case failure_kind::decode:
      return "decode";
    case failure_kind::handler:
      return "handler";
    case failure_kind::none:
      break;
  }
  return "none";
}

ack_step decide_ack(const ack_rules& rules, const attempt_outcome& outcome) noexcept {
  const bool failed = outcome.failure != failure_kind::none;
  const bool nacked = !failed && rules.policy == ack_policy::manual && outcome.decision == context::decision::nack;
  const bool wants_retry = (failed && rules.policy == ack_policy::nack_on_error) || nacked;
  if (wants_retry && outcome.failure != failure_kind::decode && outcome.attempt < rules.max_retries &&
      !outcome.stopping)
    return {ack_action::retry, rules.retry_backoff * (1 << std::min(outcome.attempt, 16))};

  const auto dead_letter_or_store = [&] {
    return rules.has_dead_letter_topic ? ack_step{ack_action::dead_letter_then_store} : ack_step{ack_action::store};
  };
  switch (rules.policy) {
    case ack_policy::ack_first:
      return {ack_action::none};
    case ack_policy::ack_after_success:
      return {ack_action::store};  // a failure is logged and counted, never blocks the partition
    case ack_policy::nack_on_error:
    case ack_policy::reject_on_error:
      return failed ? dead_letter_or_store() : ack_step{ack_action::store};
    case ack_policy::manual:
      if (failed || outcome.decision == context::decision::reject || nacked) return dead_letter_or_store();
      return outcome.decision == context::decision::ack ? ack_step{ack_action::store} : ack_step{ack_action::hold_back};
  }
  return {ack_action::store};
}

}  // namespace asiokafka::detail
