// The ack policy as a decision without I/O: given how one attempt at handling a message ended,
// what the subscriber does next — store the offset, dead-letter then store, run the handler
// again after a backoff, or hold the offset back. The subscriber runner executes the step;
// test_ack_decision walks the table step by step without Kafka.
#pragma once

#include <asiokafka/subscriber.hpp>

#include <chrono>
#include <string_view>

namespace asiokafka::detail {

/// How an attempt failed.
enum class failure_kind {
  none,
  /// The payload could not be decoded: the same bytes never will, so never retried.
  decode,
  /// The handler (or a middleware) threw.
  handler,
};

/// The value of the x-asiokafka-error-kind dead-letter header: "decode" or "handler".
std::string_view to_string(failure_kind k) noexcept;

/// The subscriber options the decision depends on.
struct ack_rules {
  ack_policy policy = ack_policy::ack_after_success;
  int max_retries = 3;
  std::chrono::milliseconds retry_backoff{100};
  bool has_dead_letter_topic = false;

  static ack_rules of(const subscriber_options& o) noexcept {
    return {o.ack, o.max_retries, o.retry_backoff, !o.dead_letter_topic.empty()};
  }
};

/// How one attempt ended.
struct attempt_outcome {
  failure_kind failure = failure_kind::none;
  /// The handler's own decision (manual mode: context::ack/nack/reject).
  context::decision decision = context::decision::none;
  /// 0 for the first attempt.
  int attempt = 0;
  /// The subscriber is stopping: no further attempt starts.
  bool stopping = false;
};

enum class ack_action {
  /// Store the offset (the message is done).
  store,
  /// Produce a dead letter; store the offset once it is delivered (not if it fails).
  dead_letter_then_store,
  /// Run the handler again after `backoff`.
  retry,
  /// Leave the offset unstored: the partition's commits wait (manual mode, no decision).
  hold_back,
  /// Nothing to do: the offset was stored before the handler ran (ack_first).
  none,
};

struct ack_step {
  ack_action action = ack_action::none;
  /// For retry: retry_backoff doubled per attempt already made.
  std::chrono::milliseconds backoff{0};
};

/// ack_first stores the offset before the handler runs.
constexpr bool stores_before_handling(const ack_rules& rules) noexcept { return rules.policy == ack_policy::ack_first; }

/// The step after an attempt (see ack_policy for the rules in words).
ack_step decide_ack(const ack_rules& rules, const attempt_outcome& outcome) noexcept;

}  // namespace asiokafka::detail
