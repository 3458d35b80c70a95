#include "broker/transaction_batch.hpp"

#include <algorithm>

namespace asiokafka::detail {

bool transaction_batch::starting(partition p, std::int64_t offset, clock::time_point now) {
  const bool opens = !open();
  window_.collecting(now);
  auto it = spans_.find(p);
  if (it == spans_.end()) it = spans_.emplace(key{std::string(p.first), p.second}, span{}).first;
  if (it->second.first < 0 || offset < it->second.first) it->second.first = offset;
  return opens;
}

void transaction_batch::done(partition p, std::int64_t offset) {
  auto it = spans_.find(p);
  if (it == spans_.end()) return;  // not started in this transaction
  it->second.next = std::max(it->second.next, offset + 1);
  ++records_;
}

void transaction_batch::failed_attempt(partition p, std::int64_t offset, std::chrono::milliseconds backoff) {
  discard_ = true;
  ++attempts_[{key{std::string(p.first), p.second}, offset}];
  backoff_ = std::max(backoff_, backoff);
}

int transaction_batch::attempts(partition p, std::int64_t offset) const {
  if (attempts_.empty()) return 0;
  auto it = attempts_.find({key{std::string(p.first), p.second}, offset});
  return it == attempts_.end() ? 0 : it->second;
}

bool transaction_batch::due(clock::time_point now) const noexcept {
  return open() && (discard_ || records_ >= window_.limits().max_records || now >= deadline());
}

transaction_batch::clock::time_point transaction_batch::deadline() const noexcept { return window_.deadline(); }

topic_partition_list transaction_batch::offsets() const {
  topic_partition_list out;
  for (const auto& [k, s] : spans_)
    if (s.next >= 0) out.push_back({k.first, k.second, s.next});
  return out;
}

topic_partition_list transaction_batch::restart_points() const {
  topic_partition_list out;
  for (const auto& [k, s] : spans_) out.push_back({k.first, k.second, s.first});
  return out;
}

void transaction_batch::reset() noexcept {
  window_.take(0);  // closed
  discard_ = false;
  records_ = 0;
  backoff_ = std::chrono::milliseconds{0};
  spans_.clear();
}

void transaction_batch::committed() {
  reset();
  attempts_.clear();
}

void transaction_batch::aborted() { reset(); }

transaction_recovery recover_from(const error_code& ec, int attempt, int max_attempts) noexcept {
  if (ec == error::transaction_stalled) return transaction_recovery::replace_producer;
  if (is_fatal(ec)) return transaction_recovery::stop;
  if (is_retriable(ec) && attempt < max_attempts) return transaction_recovery::retry;
  return transaction_recovery::abort;
}

}  // namespace asiokafka::detail
