// The transactional producer: librdkafka's transaction calls block (they wait for the
// transaction coordinator), so they run on the producer's own worker thread while the event
// loop keeps serving delivery reports; the result comes back to the loop as a classified
// error_code. Not the shared blocking_pool: a commit may block for its whole timeout, and a
// worker per transactional producer keeps one subscriber's commit from delaying another's.
// The worker is owned: a call in flight holds the producer, so the producer (and with it the
// worker, joined by its destructor) goes only after the call completed on the loop.
#include "producer/producer_impl.hpp"

#include "detail/partition_list.hpp"
#include "detail/rd_error.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <system_error>
#include <vector>

namespace asio = boost::asio;

namespace asiokafka::detail {

namespace {

int timeout_ms(std::chrono::milliseconds t) {
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(t.count(), 0, std::numeric_limits<int>::max()));
}

}  // namespace

bool producer_impl::refuse_transaction_call(plain_handler& h) {
  if (!closed_ && !transaction_stalled_ && !transaction_call_pending_ && !commit_when_sent_) return false;
  const error c = closed_ ? error::closed : transaction_stalled_ ? error::transaction_stalled : error::already_pending;
  asio::post(executor(), asio::append(std::move(h), make_error_code(c)));
  return true;
}

namespace {

// One transaction call's handler and the work it holds on the loop: whichever comes first,
// the call's result or the watchdog, completes the handler and releases the work.
struct transaction_call {
  using plain_handler = producer_impl::plain_handler;
  transaction_call(asio::any_io_executor ex, plain_handler h)
      : handler(std::move(h)), work(asio::make_work_guard(ex)), watchdog(std::move(ex)) {}
  plain_handler handler;
  asio::executor_work_guard<asio::any_io_executor> work;
  asio::steady_timer watchdog;
  // Set by the watchdog: the worker, if the call ever returns, posts nothing to a loop that
  // no longer waits for it (and that the application may have destroyed meanwhile).
  std::atomic<bool> abandoned{false};

  void complete(const error_code& ec) {
    work.reset();
    watchdog.cancel();
    asio::dispatch(asio::append(std::move(handler), ec));
  }
};

// A producer whose transaction call returned after it was given up: never destroyed (its
// destruction, there, would join the very thread that returns; later, at exit, it would touch
// an io_context that is gone). Reachable from here, so no leak checker reports it.
void keep_forever(std::shared_ptr<void> p) {
  static std::mutex mutex;
  static auto* kept = new std::vector<std::shared_ptr<void>>;
  const std::lock_guard lock(mutex);
  kept->push_back(std::move(p));
}

// librdkafka's own timeout should end the call; the grace covers its scheduling.
std::chrono::milliseconds stall_grace(std::chrono::milliseconds timeout) {
  return timeout / 4 + std::chrono::seconds(1);
}

}  // namespace

void producer_impl::run_transaction_call(std::string what, std::chrono::milliseconds timeout,
                                         std::function<rd_kafka_error_t*(rd_kafka_t*)> call, plain_handler h) {
  if (!transaction_worker_) {
    try {
      transaction_worker_.emplace(1);
    } catch (const std::system_error& e) {  // no thread: fail the call on the loop
      core_.log(log_level::error, "TXN", std::string("cannot start the transaction worker thread: ") + e.what());
      asio::post(executor(),
                 asio::append(std::move(h), error_code(e.code().value(), boost::system::generic_category())));
      return;
    }
  }
  transaction_call_pending_ = true;
  auto state = std::make_shared<transaction_call>(executor(), std::move(h));
  // librdkafka can block past the call's timeout, forever (a group coordinator that left:
  // its issues 5456 and 5511): the handler is completed anyway, and the producer refuses
  // every later transaction call. The stuck thread keeps the producer alive; it is leaked.
  state->watchdog.expires_after(timeout + stall_grace(timeout));
  state->watchdog.async_wait([weak = weak_from_this(), state, what](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || !state->handler) return;
    state->abandoned = true;
    self->transaction_stalled_ = true;
    self->core_.log(log_level::error, "TXN",
                    what +
                        " did not return within its timeout: librdkafka is blocked (a group coordinator that "
                        "left?); this producer refuses every later transaction call");
    state->complete(make_error_code(error::transaction_stalled));
  });
  // The completion is posted back to the loop. `self` keeps the producer (its librdkafka
  // handle and its worker) alive until the completion has run on the loop, also when the
  // application destroyed the producer: the worker never holds the last reference, so it is
  // never asked to join itself.
  auto done = [self = shared_from_this(), state, what = std::move(what)](error_code ec, std::string text) {
    self->transaction_call_pending_ = false;
    if (!state->handler) return;  // given up by the watchdog just before
    if (ec) self->core_.log(log_level::warning, "TXN", what + " failed: " + text + " [" + ec.category().name() + "]");
    state->complete(ec);
  };
  asio::post(*transaction_worker_, [rk = rk_, ex = executor(), self = shared_from_this(), state, call = std::move(call),
                                    done = std::move(done)]() mutable {
    rd_kafka_error_t* e = call(rk);
    const error_code ec = transaction_error(e);
    std::string text = e ? rd_kafka_error_string(e) : "";
    if (e) rd_kafka_error_destroy(e);
    if (state->abandoned) return keep_forever(std::move(self));
    self.reset();  // the completion alone holds the producer: this thread never holds the last
    asio::post(ex, [done = std::move(done), ec, text = std::move(text)]() mutable { done(ec, std::move(text)); });
  });
}

void producer_impl::start_init_transactions(std::chrono::milliseconds timeout, plain_handler h) {
  if (refuse_transaction_call(h)) return;
  run_transaction_call(
      "init transactions", timeout,
      [ms = timeout_ms(timeout)](rd_kafka_t* rk) { return rd_kafka_init_transactions(rk, ms); }, std::move(h));
}

void producer_impl::begin_transaction() {
  if (closed_) throw boost::system::system_error(make_error_code(error::closed), "asiokafka: begin transaction");
  throw_if(rd_kafka_begin_transaction(rk_), "asiokafka: begin transaction");
}

void producer_impl::start_send_offsets(topic_partition_list offsets, rd_kafka_t* consumer_rk,
                                       std::chrono::milliseconds timeout, plain_handler h) {
  if (refuse_transaction_call(h)) return;
  // Read on the loop: the group metadata is a copy of the consumer's generation right now.
  std::shared_ptr<rd_kafka_consumer_group_metadata_t> metadata(rd_kafka_consumer_group_metadata(consumer_rk),
                                                               rd_kafka_consumer_group_metadata_destroy);
  if (!metadata) {
    asio::post(executor(), asio::append(std::move(h), make_error_code(error::not_assigned)));
    return;
  }
  std::shared_ptr<rd_kafka_topic_partition_list_t> list(to_rd_list(offsets).release(),
                                                        rd_kafka_topic_partition_list_destroy);
  run_transaction_call(
      "send offsets " + describe(offsets), timeout,
      [list, metadata, ms = timeout_ms(timeout)](rd_kafka_t* rk) {
        return rd_kafka_send_offsets_to_transaction(rk, list.get(), metadata.get(), ms);
      },
      std::move(h));
}

void producer_impl::start_commit_transaction(std::chrono::milliseconds timeout, plain_handler h) {
  if (refuse_transaction_call(h)) return;
  // Records of the transaction still waiting for queue space reach librdkafka first.
  if (waiting_.empty())
    commit_now(timeout, std::move(h));
  else
    commit_when_sent_ = deferred_commit{timeout, std::move(h)};
}

void producer_impl::start_deferred_commit() {
  if (!commit_when_sent_) return;
  auto c = std::move(*commit_when_sent_);
  commit_when_sent_.reset();
  commit_now(c.timeout, std::move(c.handler));
}

void producer_impl::commit_now(std::chrono::milliseconds timeout, plain_handler h) {
  if (closed_) {
    asio::post(executor(), asio::append(std::move(h), make_error_code(error::closed)));
    return;
  }
  run_transaction_call(
      "commit transaction", timeout,
      [ms = timeout_ms(timeout)](rd_kafka_t* rk) { return rd_kafka_commit_transaction(rk, ms); }, std::move(h));
}

void producer_impl::start_abort_transaction(std::chrono::milliseconds timeout, plain_handler h) {
  if (refuse_transaction_call(h)) return;
  // Records still waiting here are part of the aborted transaction: they fail as librdkafka
  // fails the ones it purges.
  complete_all(waiting_, [&](produce_op& op) {
    ++failed_;
    if (!op.handler) report_delivery_failure(op, make_kafka_error_code(RD_KAFKA_RESP_ERR__PURGE_QUEUE));
    complete(op, make_kafka_error_code(RD_KAFKA_RESP_ERR__PURGE_QUEUE), {}, completion_mode::post);
  });
  check_flush();
  run_transaction_call(
      "abort transaction", timeout,
      [ms = timeout_ms(timeout)](rd_kafka_t* rk) { return rd_kafka_abort_transaction(rk, ms); }, std::move(h));
}

}  // namespace asiokafka::detail
