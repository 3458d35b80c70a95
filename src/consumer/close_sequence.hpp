// The consumer's close sequence, without I/O: which state the consumer is in (open, closing,
// closed) and what a close request, librdkafka's progress, a fatal error or the owner's
// destruction require next. The consumer executes the returned action (failing receives,
// opening the close queue, completing handlers); this file only decides.
//
//   open --close--> closing --librdkafka closed, no rebalance running--> closed
//     |               |  \--close queue refused / fatal error--> closed
//     |               \--destroyed--> closed (abrupt)
//     \--destroyed--> closed (abrupt)
#pragma once

#include <asiokafka/error.hpp>

namespace asiokafka::detail {

enum class close_state { open, closing, closed };

enum class close_action {
  none,                    // nothing to do now
  complete_success,        // close() on a closed consumer: complete it with success
  reject_already_pending,  // close() while closing: complete it with error::already_pending
  // Fail pending receives with error::closed and drop the buffer, then:
  finish,             //   ... the close is complete (a fatal consumer has no group to leave)
  open_close_queue,   //   ... hand librdkafka a close queue and serve it until it reports closed
  finish_with_error,  // librdkafka refused to close: complete with its error
  abort,              // destroyed: fail everything pending with error::closed
};

/// What rd_kafka_consumer_close_queue answered.
enum class close_queue_result { started, already_closed, failed };

/// What the drain loop knows about the closing consumer.
struct close_progress {
  bool rebalance_running = false;  // a rebalance (and its hooks) has not finished
  bool librdkafka_closed = false;  // rd_kafka_consumer_closed()
};

class close_sequence {
 public:
  close_state state() const noexcept { return state_; }
  bool open() const noexcept { return state_ == close_state::open; }
  bool closed() const noexcept { return state_ == close_state::closed; }

  /// close() was called. `fatal`: the consumer's fatal error, if any.
  close_action on_close(const error_code& fatal) noexcept {
    switch (state_) {
      case close_state::closed:
        return close_action::complete_success;
      case close_state::closing:
        return close_action::reject_already_pending;
      case close_state::open:
        break;
    }
    state_ = close_state::closing;
    if (fatal) return finish();
    return close_action::open_close_queue;
  }

  close_action on_close_queue(close_queue_result result) noexcept {
    if (state_ != close_state::closing) return close_action::none;
    switch (result) {
      case close_queue_result::started:
        return close_action::none;
      case close_queue_result::already_closed:
        return finish();
      case close_queue_result::failed:
        state_ = close_state::closed;
        return close_action::finish_with_error;
    }
    return close_action::none;
  }

  /// After a drain or a finished rebalance.
  close_action on_progress(const close_progress& p) noexcept {
    if (state_ != close_state::closing || p.rebalance_running || !p.librdkafka_closed) return close_action::none;
    return finish();
  }

  /// A fatal error: librdkafka will never report the consumer closed, so a close in progress
  /// finishes now.
  close_action on_fatal() noexcept { return state_ == close_state::closing ? finish() : close_action::none; }

  /// The owner is destroyed without waiting for the close.
  close_action on_destroy() noexcept {
    if (state_ == close_state::closed) return close_action::none;
    state_ = close_state::closed;
    return close_action::abort;
  }

 private:
  close_action finish() noexcept {
    state_ = close_state::closed;
    return close_action::finish;
  }

  close_state state_ = close_state::open;
};

}  // namespace asiokafka::detail
