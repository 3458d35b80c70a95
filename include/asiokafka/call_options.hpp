// How to bound an operation that librdkafka performs as a request of its own.
#pragma once

#include <chrono>

namespace asiokafka {

/// Bounds one operation that librdkafka sends as a request and times out itself: the
/// consumer's offset and watermark queries (async_committed, async_watermarks,
/// async_offsets_for_times, async_seek_to_time), the producer's transaction calls and every
/// admin operation. `timeout` is the request's bound (for the admin operations the controller
/// completes later - create and delete topics, create partitions - it also bounds the wait for
/// the change to be applied); when it passes, the operation completes with kafka's `_TIMED_OUT`
/// (equal to `boost::system::errc::timed_out`).
///
/// This is the one way such an operation takes a timeout: `c.async_committed(parts, {.timeout
/// = 5s}, token)`, `{}` for the default. The operations without a call_options (receive,
/// commit, produce, flush, close, `broker::async_request` through its own options) are bounded
/// with `asiokafka::cancel_after(timeout, token)` (cancel_after.hpp) where their documentation
/// lists cancellation.
struct call_options {
  std::chrono::milliseconds timeout{30000};
};

}  // namespace asiokafka
