// A batch subscriber's batching as a decision without I/O: when the batch a lane collects is
// due (full, or max_wait after collecting began), how many queued records it takes, and how far
// the receive loop may read ahead so full batches can form. The subscriber runner executes it
// (batch_subscriber.cpp); an exactly-once subscriber's transaction_batch keeps its count and
// time limits in one. test_batch_window walks it without Kafka.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace asiokafka::detail {

struct batch_limits {
  std::size_t max_records = 500;
  std::chrono::milliseconds max_wait{100};
};

class batch_window {
 public:
  using clock = std::chrono::steady_clock;

  explicit batch_window(batch_limits limits) noexcept : limits_(limits) {}

  /// Records are queued for the next batch: collecting begins now unless it already has.
  void collecting(clock::time_point now) noexcept {
    if (!open_) {
      open_ = true;
      opened_ = now;
    }
  }
  bool is_collecting() const noexcept { return open_; }
  const batch_limits& limits() const noexcept { return limits_; }
  /// With `queued` records waiting, the batch goes to the handler now: it is full, or
  /// max_wait passed since collecting began. Never with nothing queued.
  bool due(std::size_t queued, clock::time_point now) const noexcept {
    return queued > 0 && (queued >= limits_.max_records || (open_ && now >= deadline()));
  }
  /// When max_wait runs out (time_point::max() when not collecting).
  clock::time_point deadline() const noexcept { return open_ ? opened_ + limits_.max_wait : clock::time_point::max(); }
  /// The batch takes this many of the `queued` records (the oldest: order is kept), and the
  /// next batch's collecting begins when records wait again.
  std::size_t take(std::size_t queued) noexcept {
    open_ = false;
    return std::min(queued, limits_.max_records);
  }

 private:
  batch_limits limits_;
  bool open_ = false;
  clock::time_point opened_{};
};

/// How many records a subscriber queues before its receive loop waits: two receives' worth, or
/// two records per concurrency slot; a batch subscriber two full batches per slot, so that a
/// batch can fill while the previous one is handled.
inline std::size_t max_queued_records(std::size_t receive_batch, std::size_t max_concurrency,
                                      const batch_limits* batching) noexcept {
  std::size_t n = std::max(receive_batch * 2, max_concurrency * 2);
  if (batching) n = std::max(n, batching->max_records * 2 * std::max<std::size_t>(max_concurrency, 1));
  return n;
}

}  // namespace asiokafka::detail
