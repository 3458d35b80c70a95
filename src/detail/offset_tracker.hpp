// Per-partition bookkeeping for at-least-once with out-of-order completion: which offsets
// were handed to the application, which finished, and how far the finished prefix reaches.
// Pure logic, no I/O.
#pragma once

#include "detail/partition_key.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace asiokafka::detail {

class offset_tracker {
 public:
  using key = partition_key;
  /// A partition named without owning its topic: lookups allocate nothing.
  using view = partition_view;

  /// Records that `offset` of the partition was handed out. Offsets of one partition are
  /// handed out in increasing order (a seek or revoke calls forget() first).
  void delivered(const view& tp, std::int64_t offset) {
    auto* q = find(tp);
    if (!q) {
      auto& slot = *partitions_.emplace(key{std::string(tp.first), tp.second}, std::deque<entry>{}).first;
      last_ = &slot;
      q = &slot.second;
    }
    q->push_back({offset, false});
  }

  /// Marks `offset` finished. Returns the offset to store (last finished offset of the
  /// contiguous prefix + 1) when the prefix advanced, nullopt otherwise (an earlier message is
  /// still unfinished). Returns nullopt too for an offset that is not tracked; `tracked` tells.
  std::optional<std::int64_t> finished(const view& tp, std::int64_t offset, bool* tracked = nullptr) {
    if (tracked) *tracked = false;
    auto* found = find(tp);
    if (!found) return std::nullopt;
    auto& q = *found;
    // In order (the usual case) the offset is the oldest one: no search.
    auto pos =
        !q.empty() && q.front().offset == offset
            ? q.begin()
            : std::lower_bound(q.begin(), q.end(), offset, [](const entry& e, std::int64_t o) { return e.offset < o; });
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
  std::size_t in_flight(const view& tp) const {
    auto it = partitions_.find(tp);
    return it == partitions_.end() ? 0 : it->second.size();
  }

  /// Drops the partition's state (revoked, lost or seeked).
  void forget(const view& tp) {
    last_ = nullptr;
    if (auto it = partitions_.find(tp); it != partitions_.end()) partitions_.erase(it);
  }
  void clear() {
    last_ = nullptr;
    partitions_.clear();
  }

 private:
  struct entry {
    std::int64_t offset;
    bool done;
  };
  using map_type = std::map<key, std::deque<entry>, partition_less>;

  // Records of one partition come in runs: the partition looked up last is checked first.
  std::deque<entry>* find(const view& tp) {
    if (last_ && last_->first.second == tp.second && last_->first.first == tp.first) return &last_->second;
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) return nullptr;
    last_ = &*it;
    return &it->second;
  }

  map_type partitions_;
  map_type::value_type* last_ = nullptr;  // a node of partitions_ (stable until erased)
};

}  // namespace asiokafka::detail
