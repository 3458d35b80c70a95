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

void subscriber_runner::start_lanes() {
  while (auto id = dispatch_.start_next())
    asio::co_spawn(
        strand_, [self = shared_from_this(), key = *id] { return self->run_lane(key); }, asio::detached);
}

asio::awaitable<void> subscriber_runner::run_lane(lane_id key) {
  if (batch_mode())
    co_await run_batch_lane(key);  // collects and handles batches until the lane is empty or stopping
  else
    co_await run_record_lane(key);
  dispatch_.finish(key);
  start_lanes();
  notify();
}

// Runs the lane's records one after the other while it has any; the receive loop keeps it
// fed, so a busy lane lives across many batches. Each record (attempts, decision) is handled
// here, in the lane's own coroutine: the per-record path awaits only the handler's coroutine
// (and a dead letter's), no frame of its own.
asio::awaitable<void> subscriber_runner::run_record_lane(lane_id key) {
  for (;;) {
    if (txn_ending_ && !stopping()) {  // exactly-once: no record starts while a transaction ends
      co_await txn_changed_.wait(strand_);
      continue;
    }
    message* next = dispatch_.front(key);
    if (!next) co_return;
    message msg = std::move(*next);
    dispatch_.pop(key);
    if (dispatch_.drained()) receiver_.notify();

    const lane_id partition = dispatch_.partition_of(msg.topic(), msg.partition());
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
      } catch (...) {
        failed(std::current_exception(), a);
      }
      a.step = decide_ack(ack_rules_, {a.failure, ctx.current_decision(), attempt, stopping()});
      if (a.step.action != ack_action::retry) break;
      ++stats_.retried;
      // Exactly-once retries by aborting: the failed attempt's publishes are discarded with the
      // transaction, and the record is handled again after the backoff.
      if (exactly_once()) break;
      asio::steady_timer backoff(strand_, a.step.backoff);
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    count_outcome(ctx, a);
    if (a.step.action == ack_action::store)
      decided(msg);
    else if (a.step.action == ack_action::dead_letter_then_store)
      co_await dead_letter_record(ctx, a);
    else
      settle_undecided(msg, a);
    end_record(partition);
  }
}

void subscriber_runner::failed(const std::exception_ptr& failure, record_attempt& a) {
  try {
    std::rethrow_exception(failure);
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
}

void subscriber_runner::settle_undecided(const message& msg, const record_attempt& a) {
  if (a.step.action == ack_action::retry)  // only exactly-once leaves the attempts with a retry
    txn_.failed_attempt({msg.topic(), msg.partition()}, msg.offset(), a.step.backoff);
  else if (a.step.action == ack_action::hold_back && exactly_once())
    txn_.discard();  // an undecided record cannot commit; it comes again
}

asio::awaitable<void> subscriber_runner::dead_letter_record(context& ctx, const record_attempt& a) {
  const bool failed = a.failure != failure_kind::none;
  // Locals, not temporaries, across co_await: GCC 12 mis-destroys such temporaries.
  const std::string reason = failed                                                ? a.error_text
                             : ctx.current_decision() == context::decision::reject ? ctx.reject_reason()
                                                                                   : "retries exhausted";
  const failure_kind kind = failed ? a.failure : failure_kind::handler;
  if (co_await dead_letter(ctx, to_string(kind), reason))
    decided(ctx.raw());
  else if (exactly_once())
    txn_.discard();  // a record without its dead letter must not commit
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
  if (auto ec = source_->store_offset(msg)) {
    // Revoked partitions (and messages of a closed consumer) are redelivered to their owner.
    log(ec == error::not_assigned ? log_level::debug : log_level::warning,
        "offset not stored for " + msg.describe() + ": " + ec.message());
  }
}

bool subscriber_runner::traced() { return static_cast<bool>(out().on_span()); }

// Before the handler: in-flight accounting, the span, a store before handling, the transaction.
// Returns the first attempt's number (exactly-once counts attempts across aborted transactions).
int subscriber_runner::begin_record(context& ctx, lane_id partition) {
  const message& msg = ctx.raw();
  ++stats_.in_flight;
  dispatch_.handling(partition);
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
void subscriber_runner::end_record(lane_id partition) {
  --stats_.in_flight;
  dispatch_.handled(partition);
  releaser_.notify();
  txn_changed_.notify();
}

}  // namespace asiokafka::detail
