// The subscriber's lanes: records queued per lane (one lane for a sequential subscriber, one per
// partition when handlers may overlap), started within max_concurrency, each record handled in
// its lane's coroutine (attempts, ack decision, dead letter) with the steps around it.
#include "broker/subscriber_runner.hpp"

#include "broker/ack_decision.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace asio = boost::asio;

namespace asiokafka::detail {

void subscriber_runner::enqueue(message msg) {
  // One lane for a sequential subscriber; one per partition when handlers may overlap.
  const lane_key key =
      setup_.options.max_concurrency > 1 ? partition_key(msg.topic(), msg.partition()) : sequential_lane;
  lane& l = lanes_[key];
  l.queue.push_back(std::move(msg));
  ++queued_;
  if (l.active || std::find(waiting_lanes_.begin(), waiting_lanes_.end(), key) != waiting_lanes_.end()) return;
  waiting_lanes_.push_back(key);
}

void subscriber_runner::start_lanes() {
  const std::size_t slots = std::max<std::size_t>(setup_.options.max_concurrency, 1);
  while (active_lanes_ < slots && !waiting_lanes_.empty() && !stopping_) {
    const lane_key key = waiting_lanes_.front();
    waiting_lanes_.pop_front();
    auto it = lanes_.find(key);
    if (it == lanes_.end() || it->second.queue.empty() || it->second.active) continue;
    it->second.active = true;
    ++active_lanes_;
    asio::co_spawn(strand_, [self = shared_from_this(), key] { return self->run_lane(key); }, asio::detached);
  }
}

// Runs the lane's records one after the other while it has any; the receive loop keeps it
// fed, so a busy lane lives across many batches. Each record (attempts, decision) is handled
// here, in the lane's own coroutine: the per-record path awaits only the handler's coroutine,
// no frame of its own.
asio::awaitable<void> subscriber_runner::run_lane(lane_key key) {
  for (;;) {
    if (batch_mode()) {  // collects and handles batches until the lane is empty or stopping
      co_await run_batch_lane(key);
      break;
    }
    if (txn_ending_ && !stopping_) {  // exactly-once: no record starts while a transaction ends
      co_await wait_transaction_change(std::chrono::steady_clock::time_point::max());
      continue;
    }
    auto it = lanes_.find(key);
    if (stopping_ || it == lanes_.end() || it->second.queue.empty()) break;
    message msg = std::move(it->second.queue.front());
    it->second.queue.pop_front();
    if (--queued_ <= resume_receiving_at_) wake_receiver();

    const lane_key partition = partition_key(msg.topic(), msg.partition());
    context ctx(*this, msg);
    record_attempt a;
    for (int attempt = begin_record(ctx, partition);; ++attempt) {
      ctx.reset_decision();
      a.failure = failure_kind::none;
      try {
        if (setup_.middlewares->empty())
          co_await setup_.handler(msg, ctx);
        else
          co_await call_chain(ctx, 0);
      } catch (const decode_failure& e) {
        a.failure = failure_kind::decode;
        a.error_text = e.what();
      } catch (const std::exception& e) {
        a.failure = failure_kind::handler;
        a.error_text = e.what();
      } catch (...) {
        a.failure = failure_kind::handler;
        a.error_text = "unknown exception";
      }
      a.step = decide_ack(ack_rules_, {a.failure, ctx.current_decision(), attempt, stopping_});
      if (a.step.action != ack_action::retry) break;
      ++stats_.retried;
      // Exactly-once retries by aborting: the failed attempt's publishes are discarded with the
      // transaction, and the record is handled again after the backoff.
      if (exactly_once()) break;
      asio::steady_timer backoff(strand_, a.step.backoff);
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    count_outcome(ctx, a);

    const bool failed = a.failure != failure_kind::none;
    switch (a.step.action) {
      case ack_action::store:
        decided(msg);
        break;
      case ack_action::dead_letter_then_store: {
        // Locals, not temporaries, across co_await: GCC 12 mis-destroys such temporaries.
        const std::string reason = failed ? a.error_text
                                   : ctx.current_decision() == context::decision::reject ? ctx.reject_reason()
                                                                                          : "retries exhausted";
        const failure_kind kind = failed ? a.failure : failure_kind::handler;
        if (co_await dead_letter(ctx, to_string(kind), reason))
          decided(msg);
        else if (exactly_once())
          txn_.discard();  // a record without its dead letter must not commit
        break;
      }
      case ack_action::retry:  // only exactly-once leaves the loop with a retry
        txn_.failed_attempt({msg.topic(), msg.partition()}, msg.offset(), a.step.backoff);
        break;
      case ack_action::hold_back:
        if (exactly_once()) txn_.discard();  // an undecided record cannot commit; it comes again
        break;
      case ack_action::none:
        break;
    }
    end_record(partition);
  }
  if (auto it = lanes_.find(key); it != lanes_.end()) {
    it->second.active = false;
    if (it->second.queue.empty()) lanes_.erase(it);
  }
  --active_lanes_;
  start_lanes();
  notify();
}

asio::awaitable<void> subscriber_runner::call_chain(context& ctx, std::size_t index) {
  const auto& chain = *setup_.middlewares;
  if (index < chain.size()) {
    std::function<asio::awaitable<void>()> next = [this, &ctx, index]() { return call_chain(ctx, index + 1); };
    co_await chain[index](ctx, std::move(next));
    co_return;
  }
  co_await setup_.handler(const_cast<message&>(ctx.raw()), ctx);
}

void subscriber_runner::decided(const message& msg) {
  if (exactly_once())
    txn_.done({msg.topic(), msg.partition()}, msg.offset());
  else
    store(msg);
}

void subscriber_runner::store(const message& msg) {
  if (!commits_offsets_) return;
  if (auto ec = consumer_->store_offset(msg)) {
    // Revoked partitions (and messages of a closed consumer) are redelivered to their owner.
    log(ec == error::not_assigned ? log_level::debug : log_level::warning,
        "offset not stored for " + msg.describe() + ": " + ec.message());
  }
}

bool subscriber_runner::traced() { return static_cast<bool>(out().on_span()); }

// Before the handler: in-flight accounting, the span, a store before handling, the transaction.
// Returns the first attempt's number (exactly-once counts attempts across aborted transactions).
int subscriber_runner::begin_record(context& ctx, lane_key partition) {
  const message& msg = ctx.raw();
  ++stats_.in_flight;
  auto in_flight = std::find_if(in_flight_.begin(), in_flight_.end(), [&](const auto& e) { return e.first == partition; });
  if (in_flight == in_flight_.end())
    in_flight_.emplace_back(partition, 1);
  else
    ++in_flight->second;
  if (traced()) emit_process_span(ctx, span_event::phase::start);
  if (stores_before_handling(ack_rules_)) store(msg);
  if (exactly_once()) begin_in_transaction(msg);
  return exactly_once() ? txn_.attempts({msg.topic(), msg.partition()}, msg.offset()) : 0;
}

// After the last attempt: counters, the log line, the span.
void subscriber_runner::count_outcome(context& ctx, const record_attempt& a) {
  const message& msg = ctx.raw();
  const bool failed = a.failure != failure_kind::none;
  if (failed && a.step.action == ack_action::retry) {  // exactly-once: counted when it is final
    log(log_level::warning, std::string(to_string(a.failure)) + " error on " + msg.describe() + ": " + a.error_text +
                                "; the transaction aborts and the record is handled again");
  } else if (failed) {
    (a.failure == failure_kind::decode ? stats_.decode_failed : stats_.failed)++;
    log(log_level::error, std::string(to_string(a.failure)) + " error on " + msg.describe() + ": " + a.error_text);
  } else {
    ++stats_.handled;
  }
  if (traced()) emit_process_span(ctx, span_event::phase::end, a.failure, a.error_text);
}

// After the decision was executed: in-flight accounting and the waiters it concerns.
void subscriber_runner::end_record(lane_key partition) {
  --stats_.in_flight;
  // Looked up again: other lanes may have changed in_flight_ while this one awaited.
  auto in_flight = std::find_if(in_flight_.begin(), in_flight_.end(), [&](const auto& e) { return e.first == partition; });
  if (--in_flight->second == 0) in_flight_.erase(in_flight);
  wake_releaser();
  wake_transactions();
}

}  // namespace asiokafka::detail
