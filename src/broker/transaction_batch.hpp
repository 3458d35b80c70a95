// The exactly-once subscriber's open transaction as a decision without I/O: which records it
// holds, when it is due (records, time, a failure that discards it), the offsets it commits,
// where each partition restarts after an abort, how many attempts a record has had across
// aborts, and what a failed transaction call leads to. The subscriber runner executes it;
// test_transaction_batch walks it without Kafka.
#pragma once

#include <asiokafka/error.hpp>
#include <asiokafka/topic_partition.hpp>

#include "broker/batch_window.hpp"
#include "detail/partition_key.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace asiokafka::detail {

class transaction_batch {
 public:
  using clock = std::chrono::steady_clock;
  using partition = partition_view;

  /// A transaction ends after max_records decided records or max_wait after it opened.
  explicit transaction_batch(batch_limits limits) noexcept : window_(limits) {}

  bool open() const noexcept { return window_.is_collecting(); }
  /// A record's handling starts. True when it opens the transaction (the caller begins one).
  bool starting(partition p, std::int64_t offset, clock::time_point now);
  /// The record's outcome is decided (handled, failed and stored, dead-lettered): its offset
  /// commits with the transaction.
  void done(partition p, std::int64_t offset);
  /// The transaction cannot commit (a retry, a held-back record, a failed dead letter, lost
  /// partitions): it aborts and its records are handled again. `p`/`offset`, when given, is
  /// the record that failed: its attempt counts, and `backoff` is waited before handling
  /// resumes.
  void discard() noexcept { discard_ = true; }
  void failed_attempt(partition p, std::int64_t offset, std::chrono::milliseconds backoff);
  bool discarded() const noexcept { return discard_; }
  /// Attempts a record has had in transactions that aborted (0 for a new record).
  int attempts(partition p, std::int64_t offset) const;

  /// The transaction should end now: open and (discarded, max_records done, or max_wait since
  /// it opened).
  bool due(clock::time_point now) const noexcept;
  /// When max_wait runs out (time_point::max() when nothing is open).
  clock::time_point deadline() const noexcept;
  std::size_t records() const noexcept { return records_; }

  /// The next offset of every partition with a decided record (last decided + 1).
  topic_partition_list offsets() const;
  /// Where each partition handled in the transaction restarts after an abort: its first
  /// record of the transaction.
  topic_partition_list restart_points() const;
  /// How long to wait before handling resumes after an abort.
  std::chrono::milliseconds backoff() const noexcept { return backoff_; }

  /// The transaction committed: attempts are forgotten.
  void committed();
  /// The transaction aborted: attempts are kept for the records handled again.
  void aborted();

 private:
  using key = partition_key;
  struct span {
    std::int64_t first = -1;
    std::int64_t next = -1;  // last decided + 1; -1 when none decided
  };
  void reset() noexcept;
  batch_window window_;  // open while collecting: the transaction's count and time limits
  bool discard_ = false;
  std::size_t records_ = 0;
  std::chrono::milliseconds backoff_{0};
  std::map<key, span, partition_less> spans_;
  std::map<std::pair<key, std::int64_t>, int> attempts_;
};

/// What the subscriber does after a transaction call failed.
enum class transaction_recovery {
  /// Make the same call again (librdkafka: retriable), up to a bound.
  retry,
  /// Abort the transaction and handle its records again (abortable, unclassified, or
  /// retries exhausted).
  abort,
  /// Stop the subscriber with this error (fatal: fenced, unusable producer).
  stop,
  /// The call never returned (error::transaction_stalled): a new transactional producer with
  /// the same transactional.id takes over (fencing the stuck one, whose open transaction the
  /// coordinator aborts) and the transaction's records are handled again.
  replace_producer,
};

/// `attempt` counts the calls already made (1 after the first failure).
transaction_recovery recover_from(const error_code& ec, int attempt, int max_attempts) noexcept;

}  // namespace asiokafka::detail
