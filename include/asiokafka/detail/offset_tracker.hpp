// Per-partition bookkeeping for at-least-once with out-of-order completion: which offsets
// were handed to the application, which finished, and how far the finished prefix reaches.
// Pure logic, no I/O.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace asiokafka::detail {

class offset_tracker {
 public:
  using key = std::pair<std::string, std::int32_t>;

  /// Records that `offset` of the partition was handed out. Offsets of one partition are
  /// handed out in increasing order (a seek or revoke calls forget() first).
  void delivered(const key& tp, std::int64_t offset) { partitions_[tp].push_back({offset, false}); }

  /// Marks `offset` finished. Returns the offset to store (last finished offset of the
  /// contiguous prefix + 1) when the prefix advanced, nullopt otherwise (an earlier message is
  /// still unfinished). Returns nullopt too for an offset that is not tracked; `tracked` tells.
  std::optional<std::int64_t> finished(const key& tp, std::int64_t offset, bool* tracked = nullptr) {
    if (tracked) *tracked = false;
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) return std::nullopt;
    auto& q = it->second;
    auto pos = std::lower_bound(q.begin(), q.end(), offset,
                                [](const entry& e, std::int64_t o) { return e.offset < o; });
    if (pos == q.end() || pos->offset != offset) return std::nullopt;
    if (tracked) *tracked = true;
    pos->done = true;
    std::optional<std::int64_t> commit;
    while (!q.empty() && q.front().done) {
      commit = q.front().offset + 1;
      q.pop_front();
    }
    return commit;
  }

  /// Number of handed-out, unfinished (or finished but blocked behind an unfinished) offsets.
  std::size_t in_flight(const key& tp) const {
    auto it = partitions_.find(tp);
    return it == partitions_.end() ? 0 : it->second.size();
  }

  /// Drops the partition's state (revoked, lost or seeked).
  void forget(const key& tp) { partitions_.erase(tp); }
  void clear() { partitions_.clear(); }

 private:
  struct entry {
    std::int64_t offset;
    bool done;
  };
  std::map<key, std::deque<entry>> partitions_;
};

}  // namespace asiokafka::detail
