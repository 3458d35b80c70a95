// One subscriber at run time, on its own strand: it executes what its decisions say. The
// record source (its consumer) feeds the receive loop; lane_dispatch decides which lane runs
// which record within max_concurrency and when receiving pauses; ack_decision what follows a
// handling; batch_window when a batch is due; transaction_batch when a transaction ends. The
// runner does the I/O around them: handlers, stores and commits, dead letters, transactions,
// the rebalance hooks and the graceful stop.
#pragma once

#include "broker/ack_decision.hpp"
#include "broker/batch_window.hpp"
#include "broker/lane_dispatch.hpp"
#include "broker/publish_path.hpp"
#include "broker/record_source.hpp"
#include "broker/transaction_batch.hpp"
#include "detail/change_signal.hpp"
#include "detail/partition_key.hpp"

#include <asiokafka/broker.hpp>
#include <asiokafka/consumer.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace asiokafka::detail {

class subscriber_runner : public std::enable_shared_from_this<subscriber_runner> {
 public:
  struct setup {
    std::vector<std::string> topics;
    subscriber_options options;
    erased_handler handler;
    std::shared_ptr<const std::vector<middleware>> middlewares;
    std::shared_ptr<publish_path> out;
    log_sink log;
    std::chrono::milliseconds graceful_timeout;
    payload_encoder encoder{};  // broker_options::encoder
    /// Set for a batch subscriber (then `handler` is empty).
    erased_batch_handler batch_handler{};
    /// Where records come from; empty: the Kafka consumer (make_consumer_source).
    record_source_factory make_source{};
  };

  subscriber_runner(boost::asio::any_io_executor ex, setup s);

  const std::string& name() const noexcept { return setup_.options.name; }
  subscriber_stats& stats() noexcept { return stats_; }
  const subscriber_options& options() const noexcept { return setup_.options; }
  const std::vector<std::string>& topics() const noexcept { return setup_.topics; }
  const payload_encoder& encoder() const noexcept { return setup_.encoder; }
  bool batch_mode() const noexcept { return static_cast<bool>(setup_.batch_handler); }
  boost::asio::strand<boost::asio::any_io_executor>& strand() noexcept { return strand_; }

  /// Thread-safe copies of what the run observed.
  subscriber_health health() const;
  std::optional<client_metrics> latest_statistics() const;
  /// run() ended with an exception: the subscriber is no longer running.
  void stopped_by_exception(const std::string& what);

  /// The subscriber's composed configuration, for the next run(); an exactly-once subscriber
  /// also gets its transactional producer's.
  void configure(composed_config config, std::optional<composed_config> transactional_producer = std::nullopt) {
    config_ = std::move(config);
    txn_config_ = std::move(transactional_producer);
  }
  /// Runs on the strand until stop(): creates the consumer from the configuration, subscribes,
  /// receives, dispatches, then stops gracefully. Returns the fatal error that ended it, if any.
  boost::asio::awaitable<error_code> run();
  /// Thread-safe: posts the stop to the strand.
  void stop();

  /// Publishes through the broker's publish path as part of handling a message.
  boost::asio::awaitable<delivery_report> publish(outbound_record r, const publish_origin& origin) {
    return out().publish(std::move(r), origin);
  }
  /// A message's traceparent could not be parsed: logged and counted.
  void invalid_trace_context(const message& msg, std::string_view value);
  /// A handler's result had nowhere to go: logged and counted.
  void unroutable_result(const message& msg);

 private:
  // Where this subscriber's records go: its transactional path (exactly-once), else the broker's.
  publish_path& out() noexcept { return txn_out_ ? *txn_out_ : *setup_.out; }
  bool exactly_once() const noexcept { return setup_.options.guarantee == processing_guarantee::exactly_once; }
  // The Kafka consumer behind the source (start_source checked that explicit partitions and
  // exactly-once have one).
  consumer& kafka() noexcept { return *source_->kafka(); }
  // The message's offset is decided: stored (at-least-once) or part of the transaction.
  void decided(const message& msg);

  // Explicit partitions (partition_assignment.cpp): checks the partitions exist, resolves
  // their starts and assigns them; the error that stops the subscriber, if any.
  boost::asio::awaitable<error_code> assign_partitions();
  // Logs why the subscriber cannot start, keeps it for health() and stops; returns `ec`.
  error_code start_failed(const error_code& ec, std::string what);

  // Exactly-once (exactly_once.cpp). One transaction at a time; lanes start no record while
  // it ends, and it ends only when no handler runs.
  // Makes the call `make_call(timeout)` returns (a deferred transaction call) again while
  // recover_from says retry, all attempts within one call_timeout; returns its last error.
  template <class MakeCall>
  boost::asio::awaitable<error_code> with_retries(std::string_view what, MakeCall make_call);
  boost::asio::awaitable<error_code> init_transactions();
  void begin_in_transaction(const message& msg);
  boost::asio::awaitable<void> run_transaction_clock();
  // Commits the open transaction (aborts it when discarded or when the commit fails); stops
  // the subscriber on a fatal error.
  boost::asio::awaitable<void> end_transaction();
  // After fence_check_interval without a transaction: is the producer still the current one?
  boost::asio::awaitable<void> check_fencing();
  boost::asio::awaitable<void> fence_check_transaction(topic_partition_list committed);
  // end_transaction's work once lanes are held at the gate.
  boost::asio::awaitable<void> finish_transaction();
  boost::asio::awaitable<void> end_uncommitted_transaction(error_code ec);
  // Runs `step` with lanes held at the gate, then lets them go (also when it throws).
  boost::asio::awaitable<void> gated(boost::asio::awaitable<void> step);
  boost::asio::awaitable<void> flush_transaction();
  boost::asio::awaitable<error_code> commit_transaction();
  boost::asio::awaitable<error_code> abort_transaction();
  // A transaction call that never returned (error::transaction_stalled): a new producer.
  boost::asio::awaitable<void> replace_transactional_producer(const std::string& what);
  // After an abort: every partition with records in the transaction or queued restarts at
  // its first one; what was received beyond it is dropped until the restart arrives.
  void restart_partitions();
  bool superseded(const message& msg);
  void forget_restarts(const topic_partition_list& parts);

  using lane_id = lane_dispatch<message>::lane_id;
  bool stopping() const noexcept { return dispatch_.stopped(); }

  // Batch subscribers (batch_subscriber.cpp): a lane collects its batch (batch_window), then
  // decodes it, settles the undecodable records one by one and runs the handler on the rest.
  boost::asio::awaitable<void> run_batch_lane(lane_id key);
  boost::asio::awaitable<void> process_batch(std::vector<message>& batch);
  // The handler's attempts on the decoded records, then their settling (stored or each
  // dead-lettered).
  boost::asio::awaitable<void> handle_batch(batch_call& call, const std::vector<const message*>& decoded);
  boost::asio::awaitable<void> settle_batch(const ack_step& step, const std::vector<const message*>& decoded,
                                            const std::string& reason);
  boost::asio::awaitable<void> settle_undecodable(const message& msg, const std::string& error);
  // The run's steps (subscriber_runner.cpp).
  consumer_options source_options();
  rebalance_hooks source_hooks();
  void starting();
  // Creates the source, then subscribes or assigns (explicit partitions); the error that
  // stops the subscriber, if any.
  boost::asio::awaitable<error_code> start_source();
  // Receives until stopped, pausing while the lanes have max_queued records waiting.
  boost::asio::awaitable<void> receive_loop();
  // A failed receive: false when the loop ends.
  bool receive_failed(const error_code& ec);
  void received(std::vector<message>& batch);
  // The graceful stop: nothing new starts; in-flight handlers get graceful_timeout to finish.
  boost::asio::awaitable<void> drain();
  // Commits (at-least-once) or ends the transaction and closes the producer (exactly-once),
  // then closes the source.
  boost::asio::awaitable<void> finish(const error_code& fatal);
  void stopped(const error_code& fatal);
  // Starts waiting lanes while concurrency slots are free.
  void start_lanes();
  boost::asio::awaitable<void> run_lane(lane_id key);
  boost::asio::awaitable<void> run_record_lane(lane_id key);
  // The steps around a record's handler that do not wait (run_lane awaits the handler).
  struct record_attempt {
    failure_kind failure = failure_kind::none;
    std::string error_text;
    ack_step step;
  };
  // What the handler's exception says failed (a decode, the handler) and its text.
  static void failed(const std::exception_ptr& failure, record_attempt& a);
  // Executes a retry (exactly-once) or a hold-back; a store is decided(), a dead letter
  // dead_letter_record().
  void settle_undecided(const message& msg, const record_attempt& a);
  boost::asio::awaitable<void> dead_letter_record(context& ctx, const record_attempt& a);
  bool traced();
  int begin_record(context& ctx, lane_id partition);
  void count_outcome(context& ctx, const record_attempt& a);
  void end_record(lane_id partition);
  boost::asio::awaitable<void> call_chain(context& ctx, std::size_t index);
  boost::asio::awaitable<bool> dead_letter(context& ctx, std::string_view kind, const std::string& error);
  void emit_process_span(context& ctx, span_event::phase phase, failure_kind failure = failure_kind::none,
                         std::string_view error = {});
  void store(const message& msg);
  void log(log_level level, std::string_view line);
  // The sink of this subscriber's own clients (its consumer, its transactional producer):
  // every line of theirs begins with `subscriber "<name>": ` like the runner's own, so a
  // broker-wide sink can tell which subscriber (and group) a librdkafka or REBALANCE line is of.
  log_sink clients_log() const;
  enum class rebalance_kind { assigned, revoked, lost };
  /// Counts a rebalance event and updates health (the consumer logs it).
  void record_rebalance(rebalance_kind kind, const topic_partition_list& parts);
  // Wakes every waiter (the change signals below); a no-op without waiters.
  void notify();
  // Stops what runs (the dispatch, the source's receive) and wakes every waiter.
  void request_stop();
  // Rebalance hook: drops queued messages of the partitions and, when revoked (not lost),
  // waits up to graceful_timeout for their in-flight handlers so their offsets are stored
  // before the consumer commits and gives them up.
  enum class release { revoked, lost };
  boost::asio::awaitable<void> release_partitions(const topic_partition_list& parts, release how);
  // A fatal error of the consumer or of the transactional producer, from the client's error
  // sink as soon as librdkafka raises it (the subscriber may be idle, or waiting anywhere) or
  // from a call's result: the first one is kept for run()'s result and health(), and the
  // subscriber stops. Nothing commits after it; a fatal producer is neither committed,
  // aborted (its coordinator aborts what it had open) nor flushed.
  enum class fatal_source { consumer, producer };
  void stop_fatally(fatal_source source, const error_code& ec, const std::string& what);
  // The client's error sink: fatal errors stop the subscriber, the others are logged.
  error_sink client_errors(fatal_source source);

  setup setup_;
  const ack_rules ack_rules_;
  std::optional<composed_config> config_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  subscriber_stats stats_;
  std::unique_ptr<record_source> source_;
  lane_dispatch<message> dispatch_;
  // Who waits for what: the receive loop (room in the queue) and the graceful stop (lanes
  // ended), release_partitions (the partitions' handlers ended), the transaction's waiters
  // (its clock, lanes at the gate, an ending transaction) and lanes collecting a batch.
  change_signal receiver_;
  change_signal releaser_;
  change_signal txn_changed_;
  change_signal batch_changed_;
  // False for explicit partitions without a group.id of the user's: nothing is stored or
  // committed (the consumer's group.id is a library default no one reads).
  bool commits_offsets_ = true;
  std::string start_failure_;  // why the start failed (explicit partitions), for health()
  error_code fatal_;           // stop_fatally's first error
  std::string fatal_what_;     // what failed fatally, for health()
  bool producer_fatal_ = false;

  // Exactly-once state (on the strand).
  std::optional<composed_config> txn_config_;
  std::shared_ptr<publish_path> txn_out_;
  transaction_batch txn_;
  bool txn_ending_ = false;
  std::map<detail::partition_key, std::int64_t, partition_less> restarted_at_;

  // Written on the strand, read from any thread (health(), metrics()).
  mutable std::mutex observed_mutex_;
  subscriber_health health_;
  std::optional<client_metrics> statistics_;
};

}  // namespace asiokafka::detail
