// A subscriber's dispatch as a decision without I/O: which lane a received record joins (one
// lane for a sequential subscriber, one per partition when handlers may overlap), which lane
// may start now (at most max_concurrency run at once, in the order they began waiting), the
// next records of a running lane, when the receive loop must pause and when it may go on, the
// handlers in flight per partition (a revoke waits for them), and what a revoke, an abort or
// a stop drops. The subscriber runner executes it (a coroutine per running lane);
// test_lane_dispatch walks it step by step without Kafka.
//
// Record: movable, with topic() and partition() (asiokafka::message in the library).
#pragma once

#include <asiokafka/topic_partition.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asiokafka::detail {

struct dispatch_limits {
  /// Lanes that may run at once; 1 (or 0) makes the subscriber sequential: a single lane.
  std::size_t max_concurrency = 1;
  /// The receive loop pauses once this many records are queued, until half are taken.
  std::size_t max_queued = 2;
};

template <class Record>
class lane_dispatch {
 public:
  /// A partition as a number: the index of its topic among those seen and the partition, so
  /// the per-record path builds no strings. The sequential subscriber's lane is `sequential`.
  using lane_id = std::uint64_t;
  static constexpr lane_id sequential = ~lane_id{0};

  explicit lane_dispatch(dispatch_limits limits) noexcept : limits_(limits) {}

  /// The partition's number (see lane_id).
  lane_id partition_of(std::string_view topic, std::int32_t partition) {
    auto it = std::find(topics_.begin(), topics_.end(), topic);
    if (it == topics_.end()) it = topics_.insert(topics_.end(), std::string(topic));
    return (static_cast<lane_id>(it - topics_.begin()) << 32) | static_cast<std::uint32_t>(partition);
  }

  // The receive side.

  /// A received record joins its lane; the lane waits for a slot unless it runs or waits.
  /// Ignored after stop().
  void push(Record r) {
    if (stopped_) return;
    const lane_id id = sequential_mode() ? sequential : partition_of(r.topic(), r.partition());
    lane& l = lanes_[id];
    l.queue.push_back(std::move(r));
    ++queued_;
    if (!l.running && std::find(waiting_.begin(), waiting_.end(), id) == waiting_.end()) waiting_.push_back(id);
  }
  /// The receive loop pauses: max_queued records wait for their lanes...
  bool full() const noexcept { return queued_ >= limits_.max_queued; }
  /// ...until the lanes took them down to half (or the dispatch stopped).
  bool drained() const noexcept { return stopped_ || queued_ <= limits_.max_queued / 2; }
  std::size_t queued() const noexcept { return queued_; }

  // Lanes.

  /// The next waiting lane takes a free slot and runs (the caller starts its coroutine);
  /// nullopt when every slot is taken, no lane waits, or after stop().
  std::optional<lane_id> start_next() {
    while (running_ < slots() && !waiting_.empty() && !stopped_) {
      const lane_id id = waiting_.front();
      waiting_.pop_front();
      auto it = lanes_.find(id);
      if (it == lanes_.end() || it->second.queue.empty() || it->second.running) continue;
      it->second.running = true;
      ++running_;
      return id;
    }
    return std::nullopt;
  }
  /// The running lane's next record, for the caller to move out and then pop(); nullptr when
  /// it has none: then the lane ends (finish()).
  Record* front(lane_id id) {
    auto it = lanes_.find(id);
    return it == lanes_.end() || it->second.queue.empty() ? nullptr : &it->second.queue.front();
  }
  /// Removes the record front() gave.
  void pop(lane_id id) {
    lanes_.find(id)->second.queue.pop_front();
    --queued_;
  }
  /// Records queued in the lane (a batch lane decides from this whether its batch is due).
  std::size_t queued_in(lane_id id) const {
    auto it = lanes_.find(id);
    return it == lanes_.end() ? 0 : it->second.queue.size();
  }
  /// The lane's `n` oldest records (fewer when it has fewer), in order.
  std::vector<Record> take(lane_id id, std::size_t n) {
    std::vector<Record> out;
    auto it = lanes_.find(id);
    if (it == lanes_.end()) return out;
    auto& q = it->second.queue;
    n = std::min(n, q.size());
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(std::move(q.front()));
      q.pop_front();
    }
    queued_ -= n;
    return out;
  }
  /// The lane's coroutine ended: its slot is free. A lane that got records meanwhile waits
  /// again (after those already waiting). An empty lane stays, for its partition's next
  /// record (a lane per record would allocate its queue each time); drop() removes the lanes
  /// of partitions that leave.
  void finish(lane_id id) {
    auto it = lanes_.find(id);
    if (it != lanes_.end()) {
      it->second.running = false;
      if (!it->second.queue.empty() && !stopped_) waiting_.push_back(id);
    }
    --running_;
  }
  std::size_t running() const noexcept { return running_; }

  // Handlers in flight, per partition.

  /// A handler of the partition (partition_of) starts / ended.
  void handling(lane_id partition) {
    auto it = find_in_flight(partition);
    if (it == in_flight_.end())
      in_flight_.emplace_back(partition, 1);
    else
      ++it->second;
  }
  void handled(lane_id partition) {
    auto it = find_in_flight(partition);
    if (it != in_flight_.end() && --it->second == 0) in_flight_.erase(it);
  }
  void handling(const Record& r) { handling(partition_of(r.topic(), r.partition())); }
  void handled(const Record& r) { handled(partition_of(r.topic(), r.partition())); }
  bool in_flight() const noexcept { return !in_flight_.empty(); }
  /// A handler of one of these partitions runs.
  bool in_flight(const topic_partition_list& parts) {
    for (const auto& p : parts)
      if (find_in_flight(partition_of(p.topic, p.partition)) != in_flight_.end()) return true;
    return false;
  }

  // Dropping.

  /// Drops the queued records of these partitions (revoked or lost); returns how many.
  std::size_t drop(const topic_partition_list& parts) {
    std::vector<lane_id> ids;
    for (const auto& p : parts) ids.push_back(partition_of(p.topic, p.partition));
    std::size_t dropped = 0;
    for (auto& [id, l] : lanes_) {
      const auto gone = std::remove_if(l.queue.begin(), l.queue.end(), [&](const Record& r) {
        return std::find(ids.begin(), ids.end(), partition_of(r.topic(), r.partition())) != ids.end();
      });
      dropped += static_cast<std::size_t>(l.queue.end() - gone);
      l.queue.erase(gone, l.queue.end());
    }
    queued_ -= dropped;
    for (const lane_id id : ids)
      if (auto it = lanes_.find(id); it != lanes_.end() && !it->second.running && it->second.queue.empty())
        lanes_.erase(it);
    return dropped;
  }
  /// Drops every queued record, calling `seen(record)` on each first, in lane order (an abort
  /// finds where each partition restarts).
  template <class Seen>
  void drop_all(Seen&& seen) {
    for (auto& [id, l] : lanes_) {
      for (const auto& r : l.queue) seen(r);
      l.queue.clear();
    }
    queued_ = 0;
    waiting_.clear();
  }
  /// Nothing new starts: queued records are dropped and pushes ignored; running lanes end at
  /// their next pop().
  void stop() {
    stopped_ = true;
    drop_all([](const Record&) {});
  }
  bool stopped() const noexcept { return stopped_; }

 private:
  struct lane {
    std::deque<Record> queue;
    bool running = false;
  };
  bool sequential_mode() const noexcept { return limits_.max_concurrency <= 1; }
  std::size_t slots() const noexcept { return std::max<std::size_t>(limits_.max_concurrency, 1); }
  auto find_in_flight(lane_id p) {
    return std::find_if(in_flight_.begin(), in_flight_.end(), [&](const auto& e) { return e.first == p; });
  }

  dispatch_limits limits_;
  std::vector<std::string> topics_;  // interned for lane ids
  std::map<lane_id, lane> lanes_;
  std::deque<lane_id> waiting_;  // lanes with records, waiting for a slot
  std::size_t running_ = 0;
  std::size_t queued_ = 0;
  // Handlers running, per partition (at most max_concurrency entries).
  std::vector<std::pair<lane_id, std::size_t>> in_flight_;
  bool stopped_ = false;
};

}  // namespace asiokafka::detail
