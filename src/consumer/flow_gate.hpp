// The consumer's flow control decision, without I/O: given how many fetched messages wait in
// the local buffer, whether the consumer may move more of librdkafka's queue into it, and
// when fetching must be paused or resumed. The consumer executes the answer; this file only
// decides.
//
// A full buffer first holds: the consumer stops taking events from librdkafka's queue, whose
// own prefetch limits then stop the fetcher, and takes them again once the buffer is half
// empty. Pausing the assignment is the second step, for a buffer that stays full for the hold
// time (the receiver is slow, or not receiving): only then are the queue's other events
// (rebalances, errors) behind the fetched messages served at once. librdkafka 2.0.2 fetches
// again up to a second after a resume (its broker thread is not woken), so a receiver that
// works a full buffer off in milliseconds must not pay a pause for it.
//
// Hysteresis: serving (or fetching) starts again only when the buffer is half empty, so a
// receiver working at the fetch rate does not flip the state on every message.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>

namespace asiokafka::detail {

enum class flow_action {
  none,    // keep going as now
  hold,    // the buffer is full: stop taking librdkafka's events, start the hold timer
  serve,   // the buffer drained while holding: take librdkafka's events again
  pause,   // held for the hold time and still full: pause the whole assignment, serve all
  resume,  // the buffer drained while paused: resume the assignment (except partitions the
           // user paused)
};

class flow_gate {
 public:
  /// `max_buffered`: consumer_options::max_buffered_messages (at least 2, so that half of it
  /// is a distinct resume point).
  explicit flow_gate(std::size_t max_buffered) noexcept : limit_(std::max<std::size_t>(max_buffered, 2)) {}

  /// The buffer now holds `buffered` messages: what to do.
  flow_action on_buffered(std::size_t buffered) noexcept {
    if (buffered <= limit_ / 2) {
      const state was = std::exchange(state_, state::open);
      return was == state::paused    ? flow_action::resume
             : was == state::holding ? flow_action::serve
                                     : flow_action::none;
    }
    if (state_ == state::open && buffered >= limit_) {
      state_ = state::holding;
      return flow_action::hold;
    }
    return flow_action::none;
  }

  /// The hold timer started by `hold` expired with `buffered` messages in the buffer (which
  /// may have shrunk without a receive: a seek or a revocation drops buffered messages).
  flow_action on_hold_expired(std::size_t buffered) noexcept {
    if (state_ != state::holding) return flow_action::none;
    state_ = buffered <= limit_ / 2 ? state::open : state::paused;
    return state_ == state::open ? flow_action::serve : flow_action::pause;
  }

  /// Whether the consumer may take another event from librdkafka's queue.
  bool may_serve(std::size_t buffered) const noexcept {
    return state_ == state::paused || (state_ == state::open && buffered < limit_);
  }
  /// Fetching is paused for flow control: partitions assigned now must start paused too.
  bool paused() const noexcept { return state_ == state::paused; }
  bool holding() const noexcept { return state_ == state::holding; }
  std::size_t limit() const noexcept { return limit_; }

 private:
  enum class state { open, holding, paused };
  std::size_t limit_;
  state state_ = state::open;
};

}  // namespace asiokafka::detail
