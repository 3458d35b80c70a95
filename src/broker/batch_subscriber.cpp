// Batch subscribers: a lane collects records into a batch (batch_window decides when it is
// due and how many it takes), decodes them, settles each undecodable record on its own by the
// error policy, runs the handler on the others (again after a backoff while the policy says
// retry) and settles them together: stored, or each dead-lettered, once the batch is done.
#include "broker/subscriber_runner.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace asio = boost::asio;

namespace asiokafka::detail {

namespace {

// "<first record> .. <last record> (n records)" for logs.
std::string describe_batch(const std::vector<const message*>& batch) {
  std::string out = batch.front()->describe();
  if (batch.size() > 1) out += " .. " + batch.back()->describe();
  return out + " (" + std::to_string(batch.size()) + " records)";
}

}  // namespace

asio::awaitable<void> subscriber_runner::wait_batch_change(std::chrono::steady_clock::time_point deadline) {
  asio::steady_timer timer(strand_, deadline);
  batch_waiters_.push_back(&timer);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  std::erase(batch_waiters_, &timer);
}

void subscriber_runner::wake_batch_lanes() {
  for (auto* t : batch_waiters_) t->cancel();
}

asio::awaitable<void> subscriber_runner::run_batch_lane(lane_key key) {
  const auto& opts = setup_.options.batch;
  batch_window window({opts.max_records, opts.max_wait});
  for (;;) {
    auto it = lanes_.find(key);
    if (stopping_ || it == lanes_.end() || it->second.queue.empty()) break;
    auto& queue = it->second.queue;
    const auto now = std::chrono::steady_clock::now();
    window.collecting(now);
    if (!window.due(queue.size(), now)) {
      co_await wait_batch_change(window.deadline());
      continue;
    }
    const std::size_t n = window.take(queue.size());
    std::vector<message> batch;
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    queued_ -= n;
    if (queued_ <= resume_receiving_at_) wake_receiver();
    co_await process_batch(batch);
  }
}

void subscriber_runner::count_in_flight(const std::vector<message>& batch, bool starting) {
  for (const auto& msg : batch) {
    const lane_key partition = partition_key(msg.topic(), msg.partition());
    auto it = std::find_if(in_flight_.begin(), in_flight_.end(), [&](const auto& e) { return e.first == partition; });
    if (starting) {
      if (it == in_flight_.end())
        in_flight_.emplace_back(partition, 1);
      else
        ++it->second;
    } else if (--it->second == 0) {
      in_flight_.erase(it);
    }
  }
}

asio::awaitable<void> subscriber_runner::settle_undecodable(const message& msg, const std::string& error) {
  ++stats_.decode_failed;
  log(log_level::error, "decode error on " + msg.describe() + ": " + error);
  const ack_step step = decide_ack(ack_rules_, {failure_kind::decode, context::decision::none, 0, stopping_});
  if (step.action == ack_action::store) {
    store(msg);
  } else if (step.action == ack_action::dead_letter_then_store) {
    context ctx(*this, const_cast<message&>(msg));
    const std::string_view kind = to_string(failure_kind::decode);
    if (co_await dead_letter(ctx, kind, error)) store(msg);
  }
}

asio::awaitable<void> subscriber_runner::process_batch(std::vector<message>& batch) {
  stats_.in_flight += batch.size();
  count_in_flight(batch, true);
  if (stores_before_handling(ack_rules_))
    for (const auto& msg : batch) store(msg);

  std::vector<const message*> all;
  all.reserve(batch.size());
  for (const auto& msg : batch) all.push_back(&msg);
  std::vector<undecodable_record> undecodable;
  auto call = setup_.batch_handler(all, undecodable);
  std::vector<const message*> decoded;
  decoded.reserve(batch.size() - undecodable.size());
  auto bad = undecodable.begin();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (bad != undecodable.end() && bad->index == i)
      ++bad;
    else
      decoded.push_back(all[i]);
  }
  for (const auto& u : undecodable) co_await settle_undecodable(*all[u.index], u.error);

  if (!decoded.empty()) {
    batch_context ctx(*this, decoded);
    failure_kind failure = failure_kind::none;
    std::string error_text;
    ack_step step;
    for (int attempt = 0;; ++attempt) {
      failure = failure_kind::none;
      // The values are kept for another attempt while the policy may still retry.
      const bool again = ack_rules_.policy == ack_policy::nack_on_error && attempt < ack_rules_.max_retries;
      try {
        co_await call->invoke(ctx, again);
      } catch (const std::exception& e) {
        failure = failure_kind::handler;
        error_text = e.what();
      } catch (...) {
        failure = failure_kind::handler;
        error_text = "unknown exception";
      }
      step = decide_ack(ack_rules_, {failure, context::decision::none, attempt, stopping_});
      if (step.action != ack_action::retry) break;
      stats_.retried += decoded.size();
      log(log_level::warning, "handler error on the batch " + describe_batch(decoded) + ": " + error_text +
                                  "; handled again in " + std::to_string(step.backoff.count()) + " ms");
      asio::steady_timer backoff(strand_, step.backoff);
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (failure != failure_kind::none) {
      stats_.failed += decoded.size();
      log(log_level::error, "handler error on the batch " + describe_batch(decoded) + ": " + error_text);
    } else {
      stats_.handled += decoded.size();
    }
    if (step.action == ack_action::store) {
      for (const auto* msg : decoded) store(*msg);
    } else if (step.action == ack_action::dead_letter_then_store) {
      const std::string reason = failure != failure_kind::none ? error_text : std::string("retries exhausted");
      const std::string_view kind = to_string(failure_kind::handler);
      for (const auto* msg : decoded) {
        context one(*this, const_cast<message&>(*msg));
        if (co_await dead_letter(one, kind, reason)) store(*msg);
      }
    }
  }

  stats_.in_flight -= batch.size();
  count_in_flight(batch, false);
  wake_releaser();
}

}  // namespace asiokafka::detail
