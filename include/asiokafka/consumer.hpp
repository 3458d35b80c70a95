// asiokafka::consumer - a Kafka consumer that lives in an Asio event loop.
//
// librdkafka signals its consumer queue through an eventfd watched by the reactor: no polling
// thread, no timed poll loop. Every wake-up drains the queue; messages go to a local buffer
// from which receive operations complete, while rebalances, commit results, errors, logs and
// statistics are served as they arrive, also when the application is not receiving.
#pragma once

#include <asiokafka/call_options.hpp>
#include <asiokafka/consumer_options.hpp>
#include <asiokafka/detail/bound_initiation.hpp>
#include <asiokafka/detail/client_handle.hpp>
#include <asiokafka/error.hpp>
#include <asiokafka/message.hpp>
#include <asiokafka/topic_partition.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace asiokafka {

class composed_config;

namespace detail {
class consumer_impl;
/// What a commit covers: the stored offsets of the whole assignment, or the offsets given.
enum class commit_scope { stored_offsets, explicit_offsets };
}  // namespace detail

/// A Kafka consumer bound to an executor.
///
/// Construction takes a configuration produced by `config_composer::compose_consumer`; the
/// consumer starts serving its queue at once (rebalances, errors) even before subscribe().
///
/// Thread safety: like an Asio socket, a consumer is not thread-safe. Call its member
/// functions, and emit cancellation for its operations, from its executor only; with a
/// multi-threaded io_context, give it a strand. Completion handlers run on their associated
/// executor (the consumer's executor by default).
///
/// Timeouts: async_receive, async_receive_batch and async_commit take
/// `asiokafka::cancel_after(timeout, token)` (cancel_after.hpp); the queries that librdkafka
/// sends as requests of its own (async_committed, async_watermarks, async_offsets_for_times,
/// async_seek_to_time) cannot be cancelled and take a `call_options` (call_options.hpp).
///
/// Destruction without async_close() is abrupt: pending operations complete with
/// `error::closed`, nothing is committed and a static member does not leave the group.
/// Messages already received stay valid: each keeps the librdkafka handle alive, and with it
/// the group membership, until the last one is released.
class consumer {
 public:
  using executor_type = boost::asio::any_io_executor;

  /// Creates the librdkafka consumer. Throws asiokafka::config_error when librdkafka rejects
  /// the configuration (naming the key) and boost::system::system_error when the handle
  /// cannot be created.
  consumer(executor_type ex, const composed_config& config, consumer_options options = {});
  consumer(consumer&&) noexcept;
  consumer& operator=(consumer&&) noexcept;
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;
  ~consumer();

  /// The executor given at construction; also after a move (as Asio's I/O objects).
  executor_type get_executor() const noexcept { return impl_.executor(); }

  /// Joins the group for these topics; names starting with '^' are regular expressions.
  /// Replaces the previous subscription. Throws system_error (kafka category) on a bad
  /// subscription, naming the topics.
  void subscribe(const std::vector<std::string>& topics);
  /// Leaves the subscription (partitions are revoked through the usual rebalance path).
  void unsubscribe();
  /// Manual assignment without group management (offset: where to start, or
  /// offsets::stored to use the committed offset). Replaces the current assignment.
  void assign(const topic_partition_list& partitions);
  /// The current assignment.
  topic_partition_list assignment() const;
  /// The group member id ("" before the first join).
  std::string member_id() const;

  /// Receives one message.
  ///
  /// Completion signature: `void(error_code, message)`.
  /// Executor: the handler's associated executor, else the consumer's. Never completes inside
  /// this call, except through an immediate executor: a message already buffered when the
  /// receive starts completes through the handler's associated immediate executor (Boost >= 1.82,
  /// asio::associated_immediate_executor; without one, that is a post to the handler's executor,
  /// as before). A receive that waited completes from the consumer's event loop: in place when
  /// the handler's executor is the consumer's (where asio::dispatch would also run it in place),
  /// else dispatched to the handler's executor.
  /// Errors: `error::closed` after/while closing, the fatal librdkafka code (is_fatal() is true,
  /// e.g. FENCED_INSTANCE_ID) after a fatal error, `asio::error::operation_aborted` when
  /// cancelled. A message whose error() is set (partition EOF with enable.partition.eof)
  /// completes with success and that message.
  /// Cancellation: terminal, partial and total. A cancelled receive takes no message: every
  /// buffered message goes to a later receive.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, message)) CompletionToken = boost::asio::deferred_t>
  auto async_receive(CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, message)>(
        detail::bound_initiation{this,
                                 [](consumer& self, auto handler) {
                                   const bool direct = detail::runs_on(handler, self.get_executor());
                                   self.start_receive(std::move(handler), direct);
                                 }},
        token);
  }

  /// Takes a message that is already buffered, at once: no handler, no trip through the
  /// scheduler (an async_receive costs one). The cheap path for a loop that works off what
  /// arrived; message_stream::next() uses it.
  ///
  /// Returns the message, or an empty message when none can be taken now: nothing is
  /// buffered, or receives are waiting (they go first, in order). `ec` is error::closed
  /// while or after closing, the fatal error after one (as async_receive would complete),
  /// success otherwise. Same thread-safety as every member: call it on the consumer's
  /// executor. A loop of try_receive alone never yields to the event loop: bound it, or
  /// await async_receive when it returns nothing.
  message try_receive(error_code& ec);

  /// Receives between 1 and `max` messages (whatever is buffered, waiting only when nothing is).
  ///
  /// Completion signature: `void(error_code, std::vector<message>)`. Same executor, errors and
  /// cancellation as async_receive. Does not use librdkafka's batch-queue API.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, std::vector<message>))
                CompletionToken = boost::asio::deferred_t>
  auto async_receive_batch(std::size_t max, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, std::vector<message>)>(
        detail::bound_initiation{this,
                                 [](consumer& self, auto handler, std::size_t n) {
                                   const bool direct = detail::runs_on(handler, self.get_executor());
                                   self.start_receive_batch(n, std::move(handler), direct);
                                 }},
        token, max);
  }

  /// Marks a received message as processed (at-least-once). Needs
  /// `enable.auto.offset.store=false` (the composer's at-least-once owned key). Messages may
  /// finish out of order: per partition, only the offset after the longest finished prefix of
  /// received messages is stored, so a commit never skips an unfinished message.
  /// Returns error::not_assigned when the message is not (any more) tracked (its partition was
  /// revoked, or sought). The offset reaches librdkafka shortly after, one call per partition
  /// for all messages finished meanwhile, and always before a commit, seek, revocation or
  /// close reads it; a failure there goes to `on_error` naming the partition and offset.
  error_code store_offset(const message& msg);

  /// Commits the stored offsets of the current assignment.
  ///
  /// The token is constrained to a completion token for `void(error_code)`, so that
  /// `async_commit(msg)` with a (non-const) message and no token picks the overload below and
  /// commits that message.
  ///
  /// Completion signature: `void(error_code)` with the broker's answer (librdkafka's
  /// commit result; "no offset to commit" is success).
  /// Cancellation: terminal only: the handler completes with operation_aborted at once, the
  /// commit request already sent still takes effect.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) CompletionToken = boost::asio::deferred_t>
  auto async_commit(CompletionToken&& token = {}) {
    return initiate_commit(std::forward<CompletionToken>(token), topic_partition_list{},
                           detail::commit_scope::stored_offsets);
  }
  /// Commits `msg.offset() + 1` for the message's partition. Same contract as async_commit().
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) CompletionToken = boost::asio::deferred_t>
  auto async_commit(const message& msg, CompletionToken&& token = {}) {
    return initiate_commit(std::forward<CompletionToken>(token),
                           topic_partition_list{{std::string(msg.topic()), msg.partition(), msg.offset() + 1}},
                           detail::commit_scope::explicit_offsets);
  }
  /// Commits the given offsets (each the next offset to consume). Same contract.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) CompletionToken = boost::asio::deferred_t>
  auto async_commit(topic_partition_list offsets, CompletionToken&& token = {}) {
    return initiate_commit(std::forward<CompletionToken>(token), std::move(offsets),
                           detail::commit_scope::explicit_offsets);
  }

  /// Stops fetching from these partitions; buffered messages of them are held back until
  /// resume(), so nothing is skipped. Throws system_error on librdkafka failure.
  void pause(const topic_partition_list& partitions);
  void resume(const topic_partition_list& partitions);
  /// Moves the position of `tp.topic/tp.partition` to `tp.offset`; buffered messages of that
  /// partition are dropped. Asynchronous inside librdkafka; never blocks.
  void seek(const topic_partition& tp);
  /// Next offset the application will receive per partition (buffered messages count as not
  /// yet received).
  topic_partition_list position(const topic_partition_list& partitions) const;

  /// Fetches the committed offsets from the group coordinator.
  ///
  /// Completion signature: `void(error_code, topic_partition_list)`.
  /// The blocking librdkafka call runs on an internal helper thread, never on the caller's.
  /// Cancellation: none (the request is bounded by `call.timeout`, call_options.hpp).
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, topic_partition_list))
                CompletionToken = boost::asio::deferred_t>
  auto async_committed(topic_partition_list partitions, call_options call, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, topic_partition_list)>(
        detail::bound_initiation{this,
                                 [](consumer& self, auto handler, topic_partition_list p, std::chrono::milliseconds t) {
                                   self.start_committed(std::move(p), t, std::move(handler));
                                 }},
        token, std::move(partitions), call.timeout);
  }

  /// Queries a partition's low/high watermarks from its leader.
  ///
  /// Completion signature: `void(error_code, watermarks)`. Runs like async_committed.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, watermarks)) CompletionToken = boost::asio::deferred_t>
  auto async_watermarks(std::string topic, std::int32_t partition, call_options call, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, watermarks)>(
        detail::bound_initiation{
            this, [](consumer& self, auto handler, std::string t, std::int32_t p,
                     std::chrono::milliseconds to) { self.start_watermarks(std::move(t), p, to, std::move(handler)); }},
        token, std::move(topic), partition, call.timeout);
  }

  /// Looks up, per partition, the earliest offset whose record timestamp is at or after the
  /// given time (librdkafka's offsets_for_times, a ListOffsets request to each leader).
  ///
  /// `partitions`: each entry's `offset` holds the time in milliseconds since the epoch (not an
  /// offset). The result has one entry per partition, in order, whose `offset` is the offset
  /// found, or offsets::end (-1) when no record is that recent; a partition-level failure (e.g.
  /// UNKNOWN_TOPIC_OR_PART) is in its `error`.
  ///
  /// Completion signature: `void(error_code, topic_partition_list)`; the error_code is the
  /// request's error (e.g. `_TIMED_OUT`, kafka category), success when each partition got its
  /// answer. Executor: the handler's associated executor, else the consumer's; never completes
  /// inline. The blocking librdkafka call runs on an internal helper thread, never on the
  /// caller's or the event loop's. Cancellation: none (the request is bounded by
  /// `call.timeout`, call_options.hpp).
  /// Thread safety: like every member function, call it from the consumer's executor. Works
  /// with and without a subscription: the partitions need not be assigned.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, topic_partition_list))
                CompletionToken = boost::asio::deferred_t>
  auto async_offsets_for_times(topic_partition_list partitions, call_options call, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, topic_partition_list)>(
        detail::bound_initiation{this,
                                 [](consumer& self, auto handler, topic_partition_list p, std::chrono::milliseconds t) {
                                   self.start_offsets_for_times(std::move(p), t, std::move(handler));
                                 }},
        token, std::move(partitions), call.timeout);
  }

  /// Seek to a time: async_offsets_for_times, then seek() of each assigned partition to the
  /// offset found (to the end when no record is that recent). `partitions` as for
  /// async_offsets_for_times (`offset` = milliseconds since the epoch); each must be in the
  /// assignment.
  ///
  /// Completion signature: `void(error_code, topic_partition_list)` with the offsets sought.
  /// Errors: the lookup's error, a partition's lookup error (nothing is sought then), or the
  /// seek's error (kafka category); error::closed when the consumer closed or was destroyed
  /// during the lookup. Executor, cancellation and thread safety as async_offsets_for_times;
  /// the seeks happen on the consumer's executor, with seek()'s effect on buffered messages.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, topic_partition_list))
                CompletionToken = boost::asio::deferred_t>
  auto async_seek_to_time(topic_partition_list partitions, call_options call, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, topic_partition_list)>(
        detail::bound_initiation{this,
                                 [](consumer& self, auto handler, topic_partition_list p, std::chrono::milliseconds t) {
                                   self.start_seek_to_time(std::move(p), t, std::move(handler));
                                 }},
        token, std::move(partitions), call.timeout);
  }

  /// Leaves the group gracefully: revokes partitions through the rebalance hooks (committing
  /// stored offsets first), closes the group membership and completes when librdkafka reports
  /// the consumer closed. A static member (group.instance.id) does not send LeaveGroup, so a
  /// restart within session.timeout.ms gets its partitions back without a rebalance.
  ///
  /// Completion signature: `void(error_code)`. Never blocks the calling thread. Pending
  /// receives complete with error::closed. After a fatal error it completes with success.
  /// Cancellation: none.
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code)) CompletionToken = boost::asio::deferred_t>
  auto async_close(CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        detail::bound_initiation{this, [](consumer& self, auto handler) { self.start_close(std::move(handler)); }},
        token);
  }

  /// Completes every pending receive with operation_aborted.
  void cancel();

  /// The fatal error that stopped this consumer, or success.
  error_code fatal_error() const;
  /// librdkafka's text for the fatal error ("" when none).
  std::string fatal_reason() const;

  /// Number of messages buffered locally (fetched, not yet received).
  std::size_t buffered() const;

  /// The underlying `rd_kafka_t*` (as void*), for librdkafka calls asiokafka does not wrap.
  void* native_handle() const noexcept;

 private:
  template <class CompletionToken>
  auto initiate_commit(CompletionToken&& token, topic_partition_list offsets, detail::commit_scope scope) {
    return boost::asio::async_initiate<CompletionToken, void(error_code)>(
        detail::bound_initiation{this,
                                 [](consumer& self, auto handler, topic_partition_list o, detail::commit_scope c) {
                                   self.start_commit(std::move(o), c, std::move(handler));
                                 }},
        token, std::move(offsets), scope);
  }

  // `direct`: the handler's executor is the consumer's (detail::runs_on).
  void start_receive(boost::asio::any_completion_handler<void(error_code, message)> handler, bool direct);
  void start_receive_batch(std::size_t max,
                           boost::asio::any_completion_handler<void(error_code, std::vector<message>)> handler,
                           bool direct);
  void start_commit(topic_partition_list offsets, detail::commit_scope scope,
                    boost::asio::any_completion_handler<void(error_code)> handler);
  void start_committed(topic_partition_list partitions, std::chrono::milliseconds timeout,
                       boost::asio::any_completion_handler<void(error_code, topic_partition_list)> handler);
  void start_watermarks(std::string topic, std::int32_t partition, std::chrono::milliseconds timeout,
                        boost::asio::any_completion_handler<void(error_code, watermarks)> handler);
  void start_offsets_for_times(topic_partition_list partitions, std::chrono::milliseconds timeout,
                               boost::asio::any_completion_handler<void(error_code, topic_partition_list)> handler);
  void start_seek_to_time(topic_partition_list partitions, std::chrono::milliseconds timeout,
                          boost::asio::any_completion_handler<void(error_code, topic_partition_list)> handler);
  void start_close(boost::asio::any_completion_handler<void(error_code)> handler);

  detail::client_handle<detail::consumer_impl> impl_;
};

}  // namespace asiokafka
