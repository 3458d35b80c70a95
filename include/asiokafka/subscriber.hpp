// Subscriber options, ack policies, the per-message context and subscriber statistics.
#pragma once

#include <asiokafka/config.hpp>
#include <asiokafka/detail/outbound.hpp>
#include <asiokafka/error.hpp>
#include <asiokafka/message.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/publish.hpp>
#include <asiokafka/trace_context.hpp>

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace asiokafka {

/// What happens to a message's offset, depending on how its handler ended.
enum class ack_policy {
  /// At-most-once: the offset is stored before the handler runs.
  ack_first,
  /// At-least-once (default): stored after the handler returns. A handler that throws (or a
  /// message that cannot be decoded) is logged with topic/partition/offset, counted as failed
  /// and then stored, so one poison message never blocks the partition.
  ack_after_success,
  /// Like ack_after_success, but a throwing handler is retried in place (same message, same
  /// order) up to `max_retries` times with exponential backoff from `retry_backoff`; when
  /// retries run out the message goes to the dead-letter topic if one is configured, else it
  /// is counted failed and stored. Undecodable messages are never retried.
  nack_on_error,
  /// A throwing handler or undecodable message is produced to `dead_letter_topic` (original
  /// key, value and headers plus error headers) and its offset stored once the dead letter is
  /// delivered. If the dead letter cannot be delivered the offset is not stored.
  reject_on_error,
  /// The handler decides with context::ack() / nack() / reject(). A message left undecided
  /// is never stored, which holds back the partition's commits (at-least-once).
  manual,
};

std::string_view to_string(ack_policy p) noexcept;

/// What a subscriber guarantees about its input, its outputs and its offsets.
enum class processing_guarantee {
  /// Offsets are committed after handling (see ack_policy); after a crash or rebalance some
  /// records are handled again and what their handlers published is published again.
  at_least_once,
  /// Consume-transform-produce in Kafka transactions: what the handlers publish (ctx.publish,
  /// returned values, dead letters) and the input offsets commit atomically, once per batch
  /// of records (transaction_options). A read_committed reader of the outputs sees each input
  /// record's outputs exactly once, whatever crashes, rebalances or broker restarts happen.
  /// The subscriber owns a transactional producer whose transactional.id is composed like
  /// group.instance.id (docs/config.md); its consumer reads with isolation.level=
  /// read_committed unless configured otherwise. See docs/exactly-once.md for the rules
  /// (ack policies in a transaction, retries, rebalances, fencing).
  exactly_once,
};

/// Transaction boundaries of an exactly-once subscriber.
struct transaction_options {
  /// A transaction commits after this many records were decided...
  std::size_t max_records = 1000;
  /// ...or this long after it began, whichever comes first.
  std::chrono::milliseconds max_time{100};
  /// The bound of each transaction call (init, send offsets, commit, abort), retries included.
  std::chrono::milliseconds call_timeout{30000};
  /// A producer fenced by a newer instance with the same transactional.id learns it only from
  /// its next request: a subscriber with nothing to do, whose consumer is not fenced too (no
  /// group.instance.id), would run on forever. So after this long without a transaction the
  /// subscriber checks: it commits its partitions' committed offsets again in a transaction of
  /// their own (AddOffsetsToTxn, TxnOffsetCommit, EndTxn; nothing is produced, no offset
  /// moves, stats count no transaction). Fenced: it stops with the fatal error. Zero: never.
  std::chrono::milliseconds fence_check_interval{30000};
};

/// How a batch subscriber (a handler taking `std::vector<T>`, see broker::subscriber) groups
/// records. Not used by handlers that take one record.
struct batch_options {
  /// A batch holds at most this many records...
  std::size_t max_records = 500;
  /// ...and is handed over at the latest this long after the subscriber started collecting it
  /// (when fewer than max_records are there by then, it holds what arrived).
  std::chrono::milliseconds max_wait{100};
};

/// Headers added to dead letters.
namespace dead_letter_headers {
inline constexpr std::string_view error = "x-asiokafka-error";
inline constexpr std::string_view error_kind = "x-asiokafka-error-kind";  // "decode" or "handler"
inline constexpr std::string_view original_topic = "x-asiokafka-original-topic";
inline constexpr std::string_view original_partition = "x-asiokafka-original-partition";
inline constexpr std::string_view original_offset = "x-asiokafka-original-offset";
inline constexpr std::string_view subscriber = "x-asiokafka-subscriber";
}  // namespace dead_letter_headers

/// Where a subscriber of explicit partitions (subscriber_options::partitions) starts reading
/// a partition.
struct partition_start {
  enum class kind {
    /// The first record still in the log.
    earliest,
    /// The end: only records produced after the start.
    latest,
    /// The offset committed for the partition by the subscriber's group.id (which it then
    /// needs); without a committed offset, auto.offset.reset decides.
    committed,
    /// `value` is the offset.
    offset,
    /// `value` is a time in milliseconds since the epoch: the first record whose timestamp
    /// is at or after it (the end when there is none yet), looked up at start
    /// (consumer::async_offsets_for_times).
    timestamp,
  };
  kind from = kind::earliest;
  std::int64_t value = 0;

  static partition_start earliest() noexcept { return {kind::earliest, 0}; }
  static partition_start latest() noexcept { return {kind::latest, 0}; }
  static partition_start committed() noexcept { return {kind::committed, 0}; }
  static partition_start at_offset(std::int64_t offset) noexcept { return {kind::offset, offset}; }
  static partition_start at_time(std::chrono::system_clock::time_point t) noexcept {
    return {kind::timestamp, std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count()};
  }
};

/// One partition a subscriber of explicit partitions reads, and where it starts.
struct partition_assignment {
  std::string topic{};
  std::int32_t partition = 0;
  partition_start start{};  // default: earliest()
};

struct subscriber_options {
  /// Stable name: used in derived group.instance.ids, logs and errors. Default: the topics
  /// joined with '+' (explicit partitions: "topic[partition]" joined with '+').
  std::string name{};
  /// What the subscriber does, for broker::asyncapi().
  std::string description{};
  /// Subscriber scope of the config composer: group_id (required, except with explicit
  /// partitions), group_instance_id, auto_offset_reset, raw librdkafka properties, ...
  client_options config{};
  ack_policy ack = ack_policy::ack_after_success;
  /// Handlers running at once. 1: strictly sequential. >1: up to that many partitions are
  /// handled concurrently, each partition still in order.
  std::size_t max_concurrency = 1;
  /// nack_on_error / context::nack().
  int max_retries = 3;
  std::chrono::milliseconds retry_backoff{100};
  /// Where reject_on_error (and exhausted nack_on_error) sends messages. Required for
  /// reject_on_error.
  std::string dead_letter_topic{};
  /// Where a handler's return value is published when the message has no reply-to header.
  std::string output_topic{};
  /// Messages fetched per receive (a consumer setting, also for batch subscribers).
  std::size_t batch_size = 64;
  /// For batch subscribers (a handler taking `std::vector<T>`): how records are grouped.
  batch_options batch{};
  processing_guarantee guarantee = processing_guarantee::at_least_once;
  /// For processing_guarantee::exactly_once.
  transaction_options transaction{};
  /// Explicit partitions instead of topics: pass no topics to broker::subscriber and name
  /// the partitions here, each with its start. The subscriber is assigned exactly these
  /// partitions: it joins no group, takes part in no rebalance and has no static membership
  /// (a broker-scope group.instance.id is not used for it, one at its scope is a
  /// config_error). A group.id is optional: with one (broker or subscriber scope) the ack
  /// policy's offsets are committed to that group as usual and partition_start::committed
  /// reads them; without one nothing is committed (librdkafka's consumer still needs a
  /// group.id: asiokafka gives it "asiokafka-partitions-<name>" as a library default, never
  /// joined, never committed to). Every partition must exist when async_run starts: a
  /// missing one stops the subscriber and async_run with UNKNOWN_PARTITION (kafka
  /// category), logging and reporting in health() the topic and partition. Not with
  /// processing_guarantee::exactly_once.
  std::vector<partition_assignment> partitions{};
};

/// Counters of one subscriber; readable from any thread.
struct subscriber_stats {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> handled{0};        // handler returned normally
  std::atomic<std::uint64_t> failed{0};         // handler threw (after retries)
  std::atomic<std::uint64_t> decode_failed{0};  // payload could not be decoded
  std::atomic<std::uint64_t> retried{0};
  std::atomic<std::uint64_t> dead_lettered{0};
  std::atomic<std::uint64_t> dead_letter_failed{0};
  std::atomic<std::uint64_t> in_flight{0};
  /// Handler results with nowhere to go (no reply_to header, no output_topic): logged with
  /// topic/partition/offset, dropped; the message still counts as handled.
  std::atomic<std::uint64_t> replies_unroutable{0};
  /// Handler results that could not be published (an invalid reply_to topic, a delivery
  /// failure): logged, and the message follows the error policy as a handler failure.
  std::atomic<std::uint64_t> replies_failed{0};
  /// Exactly-once: transactions committed, and aborted (their records handled again).
  std::atomic<std::uint64_t> transactions_committed{0};
  std::atomic<std::uint64_t> transactions_aborted{0};
  /// Messages whose traceparent header was malformed: logged, ignored (their handling
  /// starts a new trace).
  std::atomic<std::uint64_t> invalid_trace_context{0};
  /// Rebalance events of the subscriber's consumer (partitions assigned, revoked or lost: one
  /// event per rebalance callback; with cooperative-sticky a rebalance that moves nothing to
  /// or from this member is no event here), and the partitions each kind moved.
  std::atomic<std::uint64_t> rebalances{0};
  std::atomic<std::uint64_t> partitions_assigned{0};
  std::atomic<std::uint64_t> partitions_revoked{0};
  std::atomic<std::uint64_t> partitions_lost{0};
};

/// Thrown by decoders; routed to the subscriber's error policy as a "decode" error.
class decode_failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
class subscriber_runner;
}

class context;
class batch_context;
template <class T>
class publisher;
namespace detail {
boost::asio::awaitable<void> publish_result(context& ctx, outbound_record result);
// The broker-wide encoder (broker_options::encoder) of the broker the context's subscriber
// belongs to.
const payload_encoder& broker_encoder_of(const context& ctx) noexcept;
const payload_encoder& broker_encoder_of(const batch_context& ctx) noexcept;

/// What context and batch_context share: publishing as part of a handling, through the
/// broker's encoders. `Context` has publish_outbound(outbound_record), which adds what the
/// handling passes on (its correlation id and trace).
template <class Context>
class handling_publisher {
 public:
  /// Publishes `value` through the broker (encoded as broker::async_publish does) as part of
  /// this handling. Completes with the delivery report; throws boost::system::system_error
  /// naming the topic on delivery failure, and with error::encode_failed and the encoder's
  /// message when the value cannot be encoded.
  template <class V>
  boost::asio::awaitable<delivery_report> publish(std::string topic, const V& value, publish_options options = {}) {
    require_broker_encodable<V>();
    auto& self = static_cast<Context&>(*this);
    return self.publish_outbound(make_outbound(std::move(topic), value, std::move(options), broker_encoder_of(self)));
  }

  /// The same through a declared publisher (broker::publisher<T>()): to its topic, encoded by
  /// its encoder when it has one.
  template <class T>
  boost::asio::awaitable<delivery_report> publish(const asiokafka::publisher<T>& to, const T& value,
                                                  publish_options options = {}) {
    auto& self = static_cast<Context&>(*this);
    return self.publish_outbound(
        make_outbound(to.topic(), value, std::move(options), broker_encoder_of(self), &to.encoder()));
  }
};
}  // namespace detail

/// Per-message view given to handlers that take `(T, context&)`. Valid until the handler's
/// coroutine finishes. Not thread-safe (it lives on the subscriber's strand). Its publish()
/// (handling_publisher) writes this message's correlation id (unless the options give one)
/// and a traceparent that is a child of trace().
class context : public detail::handling_publisher<context> {
 public:
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  const message& raw() const noexcept { return *msg_; }
  std::string_view topic() const noexcept { return msg_->topic(); }
  std::int32_t partition() const noexcept { return msg_->partition(); }
  std::int64_t offset() const noexcept { return msg_->offset(); }
  std::optional<std::string_view> key() const noexcept { return msg_->key(); }
  std::optional<std::optional<std::string_view>> header(std::string_view name) const noexcept {
    return msg_->header(name);
  }
  /// The message's correlation id (`correlation_id`, else `correlation-id`), if any. Publishes
  /// made through this context carry it unless their options give another.
  std::optional<std::string_view> correlation_id() const noexcept;
  /// The message's reply topic (`reply_to`, else `reply-to`), if any: where a returned value
  /// goes.
  std::optional<std::string_view> reply_to() const noexcept;
  /// The trace context the message carried (`traceparent`, `tracestate`); nullopt when it
  /// had none or a malformed one.
  std::optional<trace_context> incoming_trace() const;
  /// This handling's span: a child of incoming_trace(), or the root of a new trace. Publishes
  /// made through this context are its children.
  const trace_context& trace() const;
  const std::string& subscriber_name() const noexcept;
  /// The subscriber's output_topic option (where handler results go without reply_to).
  const std::string& output_topic() const noexcept;

  /// Manual mode: marks the message processed (its offset is stored when the handler ends).
  void ack() noexcept { decision_ = decision::ack; }
  /// Manual mode: the handler is run again after a backoff (bounded by max_retries; after
  /// that the message is rejected).
  void nack() noexcept { decision_ = decision::nack; }
  /// Manual mode: sends the message to the dead-letter topic with `reason`, then stores it.
  void reject(std::string reason = "rejected by handler") {
    decision_ = decision::reject;
    reject_reason_ = std::move(reason);
  }

  /// A manual-mode handler's decision (ack(), nack(), reject()).
  enum class decision { none, ack, nack, reject };

 private:
  // Made and read by the subscriber that runs the handler.
  friend class detail::subscriber_runner;
  friend class detail::handling_publisher<context>;
  friend boost::asio::awaitable<void> detail::publish_result(context& ctx, detail::outbound_record result);
  friend const payload_encoder& detail::broker_encoder_of(const context& ctx) noexcept;

  context(detail::subscriber_runner& runner, message& msg) noexcept : runner_(&runner), msg_(&msg) {}
  decision current_decision() const noexcept { return decision_; }
  const std::string& reject_reason() const noexcept { return reject_reason_; }
  void reset_decision() noexcept { decision_ = decision::none; }
  boost::asio::awaitable<delivery_report> publish_outbound(detail::outbound_record r);

  detail::subscriber_runner* runner_;
  message* msg_;
  decision decision_ = decision::none;
  std::string reject_reason_{};
  // Made on first use (a publish, the span hook): most handlings never need it, and the
  // context lives in every handling's coroutine frame.
  mutable std::unique_ptr<trace_context> span_{};
};

/// The view given to batch handlers that take `(std::vector<T>, batch_context&)`: the records
/// behind the handler's values, in the same order (raw(i) is the record of the i-th value).
/// Valid until the handler's coroutine finishes. Not thread-safe (it lives on the
/// subscriber's strand). Its publish() (handling_publisher) writes a traceparent that is a
/// child of trace() and, unless the options give one, a new correlation id.
class batch_context : public detail::handling_publisher<batch_context> {
 public:
  batch_context(const batch_context&) = delete;
  batch_context& operator=(const batch_context&) = delete;

  /// The number of values the handler got (records that could not be decoded are not part
  /// of the batch: they follow the error policy on their own).
  std::size_t size() const noexcept { return msgs_.size(); }
  /// The record of the i-th value: topic, partition, offset, key, headers.
  const message& raw(std::size_t i) const { return *msgs_.at(i); }
  const std::string& subscriber_name() const noexcept;
  /// This batch's span: a new trace for each batch (its records may come from many traces).
  /// Publishes made through this context are its children.
  const trace_context& trace() const noexcept { return span_; }

 private:
  friend class detail::subscriber_runner;
  friend class detail::handling_publisher<batch_context>;
  friend const payload_encoder& detail::broker_encoder_of(const batch_context& ctx) noexcept;

  batch_context(detail::subscriber_runner& runner, std::vector<const message*> msgs)
      : runner_(&runner), msgs_(std::move(msgs)), span_(trace_context::new_root()) {}
  boost::asio::awaitable<delivery_report> publish_outbound(detail::outbound_record r);

  detail::subscriber_runner* runner_;
  std::vector<const message*> msgs_;
  trace_context span_;
};

/// A middleware wraps every handler call of a broker: call `next()` to continue the chain.
/// Registered order is outermost first. Batch handlers (which have no per-record context)
/// are not wrapped. An exception thrown out of it counts as a handler
/// failure.
using middleware =
    std::function<boost::asio::awaitable<void>(context&, std::function<boost::asio::awaitable<void>()> next)>;

}  // namespace asiokafka
