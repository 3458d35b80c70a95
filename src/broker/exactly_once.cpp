// The exactly-once subscriber's transactions: the runner's side of transaction_batch. What
// handlers publish goes through the subscriber's own transactional producer (on its strand);
// decided offsets join the open transaction; the clock ends it when transaction_batch says it
// is due, after every running handler finished; an abort restarts the transaction's
// partitions at their first record.
#include "broker/subscriber_runner.hpp"

#include <asiokafka/cancel_after.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <tuple>

namespace asio = boost::asio;

namespace asiokafka::detail {

namespace {

// Retriable transaction calls (a coordinator moving, a timeout) are made again this often.
constexpr int max_call_attempts = 5;

// A call librdkafka never returned: recover_from replaces the producer, whatever the attempt.
bool stalled(const error_code& ec) noexcept {
  return ec && recover_from(ec, 1, 1) == transaction_recovery::replace_producer;
}

}  // namespace

template <class MakeCall>
asio::awaitable<error_code> subscriber_runner::with_retries(std::string_view what, MakeCall make_call) {
  const auto deadline = std::chrono::steady_clock::now() + setup_.options.transaction.call_timeout;
  for (int attempt = 1;; ++attempt) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto [ec] = co_await make_call(std::max(left, std::chrono::milliseconds(1)))(asio::as_tuple(asio::use_awaitable));
    if (!ec || recover_from(ec, attempt, max_call_attempts) != transaction_recovery::retry) co_return ec;
    if (producer_fatal_ || std::chrono::steady_clock::now() >= deadline) co_return ec;
    log(log_level::warning, std::string(what) + ": " + ec.message() + "; trying again");
  }
}

asio::awaitable<error_code> subscriber_runner::init_transactions() {
  txn_out_ = std::make_shared<publish_path>(
      strand_, [config = txn_config_.value()] { return config; }, clients_log(), setup_.out->token_provider(),
      setup_.out->on_span(), publish_path::completion::accepted, client_errors(fatal_source::producer));
  auto& producer = txn_out_->producer_here();
  const auto init = [&](auto timeout) { return producer.async_init_transactions({timeout}, asio::deferred); };
  co_return co_await with_retries("initialising transactions", init);
}

void subscriber_runner::begin_in_transaction(const message& msg) {
  if (!txn_.starting({msg.topic(), msg.partition()}, msg.offset(), std::chrono::steady_clock::now())) return;
  try {
    txn_out_->producer_here().begin_transaction();
  } catch (const boost::system::system_error& e) {
    if (is_fatal(e.code()))
      stop_fatally(fatal_source::producer, e.code(), "cannot begin a transaction");
    else {
      log(log_level::error, std::string("cannot begin a transaction: ") + e.what());
      txn_.discard();
    }
  }
  txn_changed_.notify();  // the clock now has a deadline
}

asio::awaitable<void> subscriber_runner::run_transaction_clock() {
  auto self = shared_from_this();
  using clock = std::chrono::steady_clock;
  const auto interval = setup_.options.transaction.fence_check_interval;
  const auto next_check = [&] { return interval.count() > 0 ? clock::now() + interval : clock::time_point::max(); };
  auto check_at = next_check();
  while (!stopping()) {
    if (!txn_ending_ && txn_.due(clock::now())) {
      co_await end_transaction();
      check_at = next_check();
      continue;
    }
    if (!txn_ending_ && !txn_.open() && clock::now() >= check_at) {
      co_await check_fencing();
      check_at = next_check();
      continue;
    }
    const auto wake = txn_ending_ ? clock::time_point::max() : txn_.open() ? txn_.deadline() : check_at;
    co_await txn_changed_.wait(strand_, wake);
  }
}

asio::awaitable<void> subscriber_runner::check_fencing() {
  if (!source_ || producer_fatal_) co_return;
  const auto timeout = setup_.options.transaction.call_timeout;
  const topic_partition_list assigned = kafka().assignment();
  if (assigned.empty()) co_return;
  auto [ec, committed] = co_await kafka().async_committed(assigned, {timeout}, asio::as_tuple(asio::use_awaitable));
  std::erase_if(committed, [](const topic_partition& p) { return p.offset < 0; });
  // A record may have opened a transaction meanwhile: that one reaches the coordinator itself.
  if (ec || committed.empty() || stopping() || txn_.open() || txn_ending_) co_return;
  txn_ending_ = true;  // no record starts while the check's transaction is open
  co_await gated(fence_check_transaction(std::move(committed)));
}

asio::awaitable<void> subscriber_runner::fence_check_transaction(topic_partition_list committed) {
  const auto timeout = setup_.options.transaction.call_timeout;
  auto& producer = txn_out_->producer_here();
  const std::string what = "checking that the transactional producer is not fenced";
  try {
    producer.begin_transaction();
  } catch (const boost::system::system_error& e) {
    if (is_fatal(e.code())) stop_fatally(fatal_source::producer, e.code(), what);
    co_return;
  }
  auto [failure] = co_await producer.async_send_offsets_to_transaction(committed, kafka(), {timeout},
                                                                       asio::as_tuple(asio::use_awaitable));
  if (!failure)
    std::tie(failure) = co_await producer.async_commit_transaction({timeout}, asio::as_tuple(asio::use_awaitable));
  if (!failure) co_return;
  if (stalled(failure)) {
    co_await replace_transactional_producer(what);
    co_return;
  }
  if (is_fatal(failure)) {
    stop_fatally(fatal_source::producer, failure, what);
    co_return;
  }
  // A rebalance or a coordinator moving: this check's transaction goes, the next one is due later.
  log(log_level::debug, what + ": " + failure.message() + "; aborted");
  auto [aec] = co_await producer.async_abort_transaction({timeout}, asio::as_tuple(asio::use_awaitable));
  if (stalled(aec))
    co_await replace_transactional_producer(what);
  else if (aec && is_fatal(aec))
    stop_fatally(fatal_source::producer, aec, what);
}

// Runs `step` with the gate closed (txn_ending_ set by the caller), then opens it, also when the
// step throws. Not from a destructor: a frame destroyed with the io_context runs nothing.
asio::awaitable<void> subscriber_runner::gated(asio::awaitable<void> step) {
  std::exception_ptr failure;
  try {
    co_await std::move(step);
  } catch (...) {
    failure = std::current_exception();
  }
  txn_ending_ = false;
  txn_changed_.notify();
  start_lanes();
  if (failure) std::rethrow_exception(failure);
}

asio::awaitable<void> subscriber_runner::end_transaction() {
  while (txn_ending_) co_await txn_changed_.wait(strand_);
  if (!txn_.open() || producer_fatal_) co_return;
  txn_ending_ = true;
  co_await gated(finish_transaction());
}

asio::awaitable<void> subscriber_runner::finish_transaction() {
  // Running handlers may still publish into the transaction: it ends after them. One still
  // running after the graceful timeout makes it abort: its outputs may be incomplete. After a
  // fatal error nothing commits: the wait is pointless.
  const auto deadline = std::chrono::steady_clock::now() + setup_.graceful_timeout;
  while (dispatch_.in_flight() && !fatal_ && std::chrono::steady_clock::now() < deadline)
    co_await txn_changed_.wait(strand_, deadline);
  if (dispatch_.in_flight() && !fatal_) {
    log(log_level::warning, "handlers still running after the graceful timeout: the transaction aborts");
    txn_.discard();
  }
  if (fatal_) txn_.discard();
  error_code ec;
  if (!txn_.discarded()) ec = co_await commit_transaction();
  if (ec || txn_.discarded()) co_await end_uncommitted_transaction(ec);
}

// The commit failed (`ec`) or the transaction could not commit: the producer is replaced, the
// subscriber stops, or the transaction aborts, as recover_from says.
asio::awaitable<void> subscriber_runner::end_uncommitted_transaction(error_code ec) {
  if (stalled(ec)) {
    co_await replace_transactional_producer("committing the transaction");
    co_return;
  }
  if (ec && is_fatal(ec)) {
    stop_fatally(fatal_source::producer, ec, "committing the transaction");
    co_return;
  }
  if (producer_fatal_) co_return;
  if (ec) log(log_level::warning, "committing the transaction failed: " + ec.message() + "; it aborts");
  const error_code aec = co_await abort_transaction();
  if (stalled(aec))
    co_await replace_transactional_producer("aborting the transaction");
  else if (aec)
    stop_fatally(fatal_source::producer, aec, "aborting the transaction");
}

// librdkafka did not return a transaction call (it can wait forever for a group coordinator
// that left): the stuck producer is abandoned, a new one with the same transactional.id fences
// it (the coordinator aborts its open transaction), and the transaction's partitions restart
// at their first record, as after an abort.
asio::awaitable<void> subscriber_runner::replace_transactional_producer(const std::string& what) {
  log(log_level::warning, what +
                              ": librdkafka did not return the call within its timeout; a new transactional "
                              "producer takes over and the transaction's records are handled again");
  txn_out_->discard();
  if (auto ec = co_await init_transactions()) {
    stop_fatally(fatal_source::producer, ec, "initialising the replacing transactional producer");
    co_return;
  }
  if (!txn_.open()) co_return;  // a fence check's transaction: nothing of the subscriber's was in it
  ++stats_.transactions_aborted;
  restart_partitions();
  txn_.aborted();
}

// Waits up to call_timeout for every record of the transaction to be reported, in short
// steps: a producer that fails fatally meanwhile (fenced) reports its in-flight records only at
// message.timeout.ms, so the wait ends as soon as its fatal error is known.
asio::awaitable<void> subscriber_runner::flush_transaction() {
  auto& producer = txn_out_->producer_here();
  const auto deadline = std::chrono::steady_clock::now() + setup_.options.transaction.call_timeout;
  while (!producer_fatal_) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) co_return;
    auto [ec] = co_await producer.async_flush(
        cancel_after(std::min(left, std::chrono::milliseconds(250)), asio::as_tuple(asio::use_awaitable)));
    if (ec != asio::error::operation_aborted) co_return;
  }
}

asio::awaitable<error_code> subscriber_runner::commit_transaction() {
  auto& producer = txn_out_->producer_here();
  // Every record of the transaction reported first: one that failed (or was refused at once
  // and never joined the transaction) must not commit without its output.
  co_await flush_transaction();
  if (producer_fatal_) co_return fatal_;
  if (auto failed = txn_out_->take_failure()) {
    log(log_level::warning, "a record published in the transaction failed: " + failed.message());
    co_return failed;  // not fatal, not retriable: the transaction aborts
  }
  const topic_partition_list offsets = txn_.offsets();
  const auto send_offsets = [&](auto left) {
    return producer.async_send_offsets_to_transaction(offsets, kafka(), {left}, asio::deferred);
  };
  if (!offsets.empty())
    if (auto ec = co_await with_retries("sending offsets to the transaction", send_offsets)) co_return ec;
  const auto commit = [&](auto left) { return producer.async_commit_transaction({left}, asio::deferred); };
  if (auto ec = co_await with_retries("committing the transaction", commit)) co_return ec;
  ++stats_.transactions_committed;
  txn_.committed();
  co_return error_code{};
}

asio::awaitable<error_code> subscriber_runner::abort_transaction() {
  auto& producer = txn_out_->producer_here();
  // The transaction's records go out before the abort marks them aborted (bounded: with the
  // broker away they may not): an abort that purged queued records was seen to leave the
  // group's transactional offsets pending, which blocks the next offset fetch.
  co_await flush_transaction();
  if (producer_fatal_) co_return fatal_;
  txn_out_->take_failure();  // the aborted records' failures are the abort's
  const auto abort = [&](auto left) { return producer.async_abort_transaction({left}, asio::deferred); };
  if (auto ec = co_await with_retries("aborting the transaction", abort)) co_return ec;
  ++stats_.transactions_aborted;
  log(log_level::info, "transaction aborted: " + std::to_string(txn_.records()) + " record(s) are handled again");
  restart_partitions();
  const auto backoff = txn_.backoff();
  txn_.aborted();
  if (backoff.count() > 0) {
    asio::steady_timer timer(strand_, backoff);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return error_code{};
}

void subscriber_runner::restart_partitions() {
  std::map<detail::partition_key, std::int64_t, partition_less> points;
  for (const auto& p : txn_.restart_points()) points[{p.topic, p.partition}] = p.offset;
  dispatch_.drop_all([&](const message& m) {
    auto [it, added] = points.try_emplace(detail::partition_key{std::string(m.topic()), m.partition()}, m.offset());
    if (!added) it->second = std::min(it->second, m.offset());
  });
  for (const auto& [p, offset] : points) {
    try {
      kafka().seek({p.first, p.second, offset});
      restarted_at_[p] = offset;
    } catch (const std::exception& e) {  // revoked meanwhile: its next owner starts at the commit
      log(log_level::debug, std::string("no restart: ") + e.what());
    }
  }
  notify();
}

bool subscriber_runner::superseded(const message& msg) {
  if (restarted_at_.empty()) return false;
  auto it = restarted_at_.find(partition_view{msg.topic(), msg.partition()});
  if (it == restarted_at_.end()) return false;
  // Received before the seek took effect: dropped until the restart record arrives.
  if (msg.offset() != it->second) return true;
  restarted_at_.erase(it);
  return false;
}

void subscriber_runner::forget_restarts(const topic_partition_list& parts) {
  for (const auto& p : parts)
    if (auto it = restarted_at_.find(partition_view{p.topic, p.partition}); it != restarted_at_.end())
      restarted_at_.erase(it);
}

}  // namespace asiokafka::detail
