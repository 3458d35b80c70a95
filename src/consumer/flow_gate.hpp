// The consumer's flow control decision, without I/O: given how many fetched messages wait in
// the local buffer, whether fetching must now be paused, resumed, or left as it is. The
// consumer executes the answer (pausing or resuming its assignment); this file only decides.
//
// Hysteresis: fetching pauses when the buffer reaches the limit and resumes only when it is
// half empty again, so a receiver working at the fetch rate does not flip the pause on every
// message.
#pragma once

#include <algorithm>
#include <cstddef>

namespace asiokafka::detail {

enum class flow_action {
  none,    // keep fetching as now
  pause,   // the buffer is full: pause the whole assignment
  resume,  // the buffer drained: resume the assignment (except partitions the user paused)
};

class flow_gate {
 public:
  /// `max_buffered`: consumer_options::max_buffered_messages (at least 2, so that half of it
  /// is a distinct resume point).
  explicit flow_gate(std::size_t max_buffered) noexcept : limit_(std::max<std::size_t>(max_buffered, 2)) {}

  /// The buffer now holds `buffered` messages: what to do.
  flow_action on_buffered(std::size_t buffered) noexcept {
    if (!paused_ && buffered >= limit_) {
      paused_ = true;
      return flow_action::pause;
    }
    if (paused_ && buffered <= limit_ / 2) {
      paused_ = false;
      return flow_action::resume;
    }
    return flow_action::none;
  }

  /// Fetching is paused for flow control: partitions assigned now must start paused too.
  bool paused() const noexcept { return paused_; }
  std::size_t limit() const noexcept { return limit_; }

 private:
  std::size_t limit_;
  bool paused_ = false;
};

}  // namespace asiokafka::detail
