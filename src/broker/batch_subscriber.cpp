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

asio::awaitable<void> subscriber_runner::run_batch_lane(lane_id key) {
  const auto& opts = setup_.options.batch;
  batch_window window({opts.max_records, opts.max_wait});
  for (;;) {
    const std::size_t queued = dispatch_.queued_in(key);
    if (queued == 0) break;
    const auto now = std::chrono::steady_clock::now();
    window.collecting(now);
    if (!window.due(queued, now)) {
      co_await batch_changed_.wait(strand_, window.deadline());
      continue;
    }
    std::vector<message> batch = dispatch_.take(key, window.take(queued));
    if (dispatch_.drained()) receiver_.notify();
    co_await process_batch(batch);
  }
}

asio::awaitable<void> subscriber_runner::settle_undecodable(const message& msg, const std::string& error) {
  ++stats_.decode_failed;
  log(log_level::error, "decode error on " + msg.describe() + ": " + error);
  const ack_step step = decide_ack(ack_rules_, {failure_kind::decode, context::decision::none, 0, stopping()});
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
  for (const auto& msg : batch) dispatch_.handling(msg);
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
  if (!decoded.empty()) co_await handle_batch(*call, decoded);

  stats_.in_flight -= batch.size();
  for (const auto& msg : batch) dispatch_.handled(msg);
  releaser_.notify();
}

asio::awaitable<void> subscriber_runner::handle_batch(batch_call& call, const std::vector<const message*>& decoded) {
  batch_context ctx(*this, decoded);
  failure_kind failure = failure_kind::none;
  std::string error_text;
  ack_step step;
  for (int attempt = 0;; ++attempt) {
    failure = failure_kind::none;
    // The values are kept for another attempt while the policy may still retry.
    const bool again = ack_rules_.policy == ack_policy::nack_on_error && attempt < ack_rules_.max_retries;
    try {
      co_await call.invoke(ctx, again);
    } catch (const std::exception& e) {
      failure = failure_kind::handler;
      error_text = e.what();
    } catch (...) {
      failure = failure_kind::handler;
      error_text = "unknown exception";
    }
    step = decide_ack(ack_rules_, {failure, context::decision::none, attempt, stopping()});
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
  // A local, not a temporary, across co_await (GCC 12).
  const std::string reason = failure != failure_kind::none ? error_text : std::string("retries exhausted");
  co_await settle_batch(step, decoded, reason);
}

asio::awaitable<void> subscriber_runner::settle_batch(const ack_step& step, const std::vector<const message*>& decoded,
                                                      const std::string& reason) {
  if (step.action == ack_action::store) {
    for (const auto* msg : decoded) store(*msg);
  } else if (step.action == ack_action::dead_letter_then_store) {
    const std::string_view kind = to_string(failure_kind::handler);
    for (const auto* msg : decoded) {
      context one(*this, const_cast<message&>(*msg));
      if (co_await dead_letter(one, kind, reason)) store(*msg);
    }
  }
}

}  // namespace asiokafka::detail
