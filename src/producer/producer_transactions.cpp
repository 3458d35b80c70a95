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

#include <algorithm>
#include <limits>
#include <system_error>

namespace asio = boost::asio;

namespace asiokafka::detail {

namespace {

int timeout_ms(std::chrono::milliseconds t) {
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(t.count(), 0, std::numeric_limits<int>::max()));
}

}  // namespace

bool producer_impl::refuse_transaction_call(plain_handler& h) {
  if (!closed_ && !transaction_call_pending_ && !commit_when_sent_) return false;
  asio::post(executor(), asio::append(std::move(h), make_error_code(closed_ ? error::closed : error::already_pending)));
  return true;
}

void producer_impl::run_transaction_call(std::string what, std::function<rd_kafka_error_t*(rd_kafka_t*)> call,
                                         plain_handler h) {
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
  // The completion is posted back to the loop; the guard keeps io_context::run() going until
  // then. `self` keeps the producer (its librdkafka handle and its worker) alive until the
  // completion has run on the loop, also when the application destroyed the producer: the
  // worker never holds the last reference, so it is never asked to join itself.
  auto done = [self = shared_from_this(), work = asio::make_work_guard(executor()), what = std::move(what),
               h = std::move(h)](error_code ec, std::string text) mutable {
    self->transaction_call_pending_ = false;
    if (ec) self->core_.log(log_level::warning, "TXN", what + " failed: " + text + " [" + ec.category().name() + "]");
    asio::dispatch(asio::append(std::move(h), ec));
  };
  asio::post(
      *transaction_worker_, [rk = rk_, ex = executor(), call = std::move(call), done = std::move(done)]() mutable {
        rd_kafka_error_t* e = call(rk);
        const error_code ec = transaction_error(e);
        std::string text = e ? rd_kafka_error_string(e) : "";
        if (e) rd_kafka_error_destroy(e);
        asio::post(ex, [done = std::move(done), ec, text = std::move(text)]() mutable { done(ec, std::move(text)); });
      });
}

void producer_impl::start_init_transactions(std::chrono::milliseconds timeout, plain_handler h) {
  if (refuse_transaction_call(h)) return;
  run_transaction_call(
      "init transactions", [ms = timeout_ms(timeout)](rd_kafka_t* rk) { return rd_kafka_init_transactions(rk, ms); },
      std::move(h));
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
      "send offsets " + describe(offsets),
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
      "commit transaction", [ms = timeout_ms(timeout)](rd_kafka_t* rk) { return rd_kafka_commit_transaction(rk, ms); },
      std::move(h));
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
      "abort transaction", [ms = timeout_ms(timeout)](rd_kafka_t* rk) { return rd_kafka_abort_transaction(rk, ms); },
      std::move(h));
}

}  // namespace asiokafka::detail
