// asiokafka::producer - a Kafka producer that lives in an Asio event loop.
//
// Delivery reports arrive on librdkafka's main queue, which signals an eventfd watched by the
// reactor; every wake-up drains the queue. No polling thread, no sleep loop.
#pragma once

#include <asiokafka/call_options.hpp>
#include <asiokafka/detail/bound_initiation.hpp>
#include <asiokafka/detail/client_handle.hpp>
#include <asiokafka/error.hpp>
#include <asiokafka/log.hpp>
#include <asiokafka/oauthbearer.hpp>
#include <asiokafka/sinks.hpp>
#include <asiokafka/topic_partition.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asiokafka {

class composed_config;
class consumer;

namespace detail {
class producer_impl;
}

struct header {
  std::string name{};
  std::optional<std::string> value{};  // nullopt: a header with a null value
};

/// One record to produce. Owned data: it may wait for queue space after the call returns.
struct record {
  std::string topic{};
  std::optional<std::int32_t> partition{};  // nullopt: the partitioner chooses
  std::optional<std::string> key{};         // nullopt: null key
  std::optional<std::string> value{};       // nullopt: null value (a tombstone)
  std::vector<header> headers{};
  std::optional<std::chrono::system_clock::time_point> timestamp{};  // nullopt: now
};

/// Where librdkafka stored a record.
struct delivery_report {
  std::string topic{};
  std::int32_t partition = -1;
  std::int64_t offset = -1;
};

struct producer_options {
  /// Failed deliveries of fire-and-forget produce() calls (operation "delivery", with topic and
  /// partition), client errors and the fatal error, as error_info (sinks.hpp). Default: the
  /// log sink at warning level.
  error_sink on_error{};
  /// librdkafka's statistics JSON (statistics.interval.ms), on the producer's executor.
  statistics_sink on_statistics{};
  /// Default: log_to_stderr().
  log_sink log{};
  /// SASL/OAUTHBEARER tokens (sasl.mechanism=OAUTHBEARER); see oauthbearer_token_provider.
  oauthbearer_token_provider token_provider{};
};

/// A Kafka producer bound to an executor.
///
/// Thread safety: not thread-safe; use it from its executor (a strand on a multi-threaded
/// io_context). Handlers run on their associated executor (the producer's by default).
/// Destruction without async_close() purges undelivered records: their operations complete
/// with error::closed.
class producer {
 public:
  using executor_type = boost::asio::any_io_executor;

  /// Throws config_error / system_error when librdkafka rejects the configuration.
  producer(executor_type ex, const composed_config& config, producer_options options = {});
  producer(producer&&) noexcept;
  producer& operator=(producer&&) noexcept;
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;
  ~producer();

  /// The executor given at construction; also after a move (as Asio's I/O objects).
  executor_type get_executor() const noexcept { return impl_.executor(); }

  /// Produces one record and completes with its delivery report.
  ///
  /// Completion signature: `void(error_code, delivery_report)`; completes when librdkafka
  /// delivered the record (acks as configured) or gave up on it (message.timeout.ms,
  /// unknown topic, ...). Never completes inline. Executor: the handler's associated executor,
  /// else the producer's; the producer's event loop invokes the handler in place when that
  /// executor is the producer's own (as asio::dispatch would), else dispatches to it.
  /// Back-pressure: when librdkafka's queue is full (queue.buffering.max.messages/kbytes) the
  /// record waits here, in order, until delivery reports free space; nothing spins or blocks.
  /// Cancellation (terminal, partial, total): only while the record waits for queue space
  /// (it is then never produced); once handed to librdkafka it cannot be recalled.
  /// Errors: librdkafka's (kafka category), error::closed after close.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, delivery_report))
                CompletionToken = boost::asio::deferred_t>
  auto async_produce(record r, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, delivery_report)>(
        detail::bound_initiation{this,
                                 [](producer& self, auto handler, record rec) {
                                   const bool direct = detail::runs_on(handler, self.get_executor());
                                   self.start_produce(std::move(rec), std::move(handler), direct);
                                 }},
        token, std::move(r));
  }

  /// Fire-and-forget: produces the record (waiting for queue space like async_produce);
  /// failures go to producer_options::on_error and are counted in failed().
  void produce(record r);

  /// Completes when no record is outstanding (delivered or failed).
  ///
  /// Completion signature: `void(error_code)`. Cancellation: terminal, partial, total (the
  /// records keep going). Never completes inline.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) CompletionToken = boost::asio::deferred_t>
  auto async_flush(CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        detail::bound_initiation{this, [](producer& self, auto handler) { self.start_flush(std::move(handler)); }},
        token);
  }

  /// Flushes, then refuses further records (they complete with error::closed).
  /// Completion signature: `void(error_code)`. Cancellation: none.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) CompletionToken = boost::asio::deferred_t>
  auto async_close(CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        detail::bound_initiation{this, [](producer& self, auto handler) { self.start_close(std::move(handler)); }},
        token);
  }

  // Transactions (exactly-once). They need a `transactional.id` in the configuration; see
  // docs/exactly-once.md for the consume-transform-produce loop. librdkafka's transaction
  // calls block, so each runs on a thread of its own, never on the event loop, which keeps
  // serving this producer's delivery reports and any other I/O meanwhile.
  //
  // Common to the async_* transaction operations below:
  //  * Completion signature `void(error_code)`; the handler runs on its associated executor
  //    (the producer's by default), never inline.
  //  * Errors keep librdkafka's classification (error.hpp, transaction_error_class):
  //    is_retriable(ec) - the same call may be made again; requires_abort(ec) - abort the
  //    transaction and redo its work; is_fatal(ec) - the producer is unusable (fenced by a
  //    newer instance with the same transactional.id, ...), make a new one. Also
  //    error::already_pending when another transaction operation is in flight, error::closed
  //    after close, and unclassified librdkafka errors (kafka_category: a call in the wrong
  //    state, no transactional.id configured).
  //  * Cancellation: none. A call handed to librdkafka cannot be recalled (a commit may
  //    already be committed by the broker); bound it with `call.timeout` (call_options.hpp).
  //    A commit or abort that times out completes with a retriable error and may be called
  //    again: it resumes the same commit or abort, it does not start another. A call that
  //    librdkafka does not return within its timeout plus a grace (a quarter of it, plus
  //    1 s) completes with error::transaction_stalled, and so does every later transaction
  //    call: librdkafka can block forever on a group coordinator that left.
  //  * Thread safety: like every producer call, from the producer's executor.

  /// Registers the transactional.id with the transaction coordinator, fencing any older
  /// producer with the same id and aborting the transaction it left open. Call once, before
  /// the first transaction.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) CompletionToken = boost::asio::deferred_t>
  auto async_init_transactions(call_options call, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        detail::bound_initiation{this,
                                 [](producer& self, auto handler, std::chrono::milliseconds t) {
                                   self.start_transaction_call(transaction_call::init, t, std::move(handler));
                                 }},
        token, call.timeout);
  }

  /// Begins a transaction: records produced from now until commit or abort belong to it.
  /// Local (no broker round trip), so synchronous. Throws boost::system::system_error with
  /// the classified error when librdkafka refuses (no init, one already open, fatal state).
  void begin_transaction();

  /// Adds the consumer's input positions to the transaction (KIP-447: with the consumer's
  /// group metadata, so a zombie member of an older generation is fenced). `offsets` are the
  /// NEXT offsets to consume (last processed + 1), as for a commit; they are committed for
  /// the consumer's group if and only if the transaction commits. The consumer's group
  /// metadata is read during the call; the consumer must outlive nothing after it.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) CompletionToken = boost::asio::deferred_t>
  auto async_send_offsets_to_transaction(topic_partition_list offsets, const consumer& c, call_options call,
                                         CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        detail::bound_initiation{
            this,
            [](producer& self, auto handler, topic_partition_list o, const consumer* from,
               std::chrono::milliseconds t) { self.start_send_offsets(std::move(o), *from, t, std::move(handler)); }},
        token, std::move(offsets), &c, call.timeout);
  }

  /// Commits the transaction: first every record of it still waiting for queue space is
  /// handed to librdkafka, then librdkafka flushes them all and commits. Completes with
  /// success only when the records and the offsets sent are committed.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) CompletionToken = boost::asio::deferred_t>
  auto async_commit_transaction(call_options call, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        detail::bound_initiation{this,
                                 [](producer& self, auto handler, std::chrono::milliseconds t) {
                                   self.start_transaction_call(transaction_call::commit, t, std::move(handler));
                                 }},
        token, call.timeout);
  }

  /// Aborts the transaction: its records are never seen by read_committed consumers and its
  /// offsets are not committed. Its records not yet delivered fail with
  /// RD_KAFKA_RESP_ERR__PURGE_QUEUE (kafka_category), both those in librdkafka's queue and
  /// those still waiting here for queue space.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) CompletionToken = boost::asio::deferred_t>
  auto async_abort_transaction(call_options call, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        detail::bound_initiation{this,
                                 [](producer& self, auto handler, std::chrono::milliseconds t) {
                                   self.start_transaction_call(transaction_call::abort, t, std::move(handler));
                                 }},
        token, call.timeout);
  }

  /// Records produced but not yet reported (including those waiting for queue space).
  std::size_t in_flight() const noexcept;
  /// Records reported delivered / failed since construction.
  std::uint64_t delivered() const noexcept;
  std::uint64_t failed() const noexcept;

  /// The underlying `rd_kafka_t*` (as void*).
  void* native_handle() const noexcept;

 private:
  enum class transaction_call { init, commit, abort };
  void start_transaction_call(transaction_call call, std::chrono::milliseconds timeout,
                              boost::asio::any_completion_handler<void(error_code)> handler);
  void start_send_offsets(topic_partition_list offsets, const consumer& c, std::chrono::milliseconds timeout,
                          boost::asio::any_completion_handler<void(error_code)> handler);
  // `direct`: the handler's executor is the producer's (detail::runs_on).
  void start_produce(record r, boost::asio::any_completion_handler<void(error_code, delivery_report)> handler,
                     bool direct);
  void start_flush(boost::asio::any_completion_handler<void(error_code)> handler);
  void start_close(boost::asio::any_completion_handler<void(error_code)> handler);

  detail::client_handle<detail::producer_impl> impl_;
};

}  // namespace asiokafka
