#include "broker/subscriber_runner.hpp"

#include "broker/ack_decision.hpp"
#include "broker/explicit_partitions.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace asio = boost::asio;

namespace asiokafka::detail {

namespace {

dispatch_limits limits_of(const subscriber_runner::setup& s) {
  // Receive ahead up to max_queued records (batch subscribers: room for full batches), then
  // wait until the handlers worked the queue down to half of it: one wake-up per half-queue
  // instead of one per record.
  const auto& o = s.options;
  const batch_limits batching{o.batch.max_records, o.batch.max_wait};
  return {o.max_concurrency,
          max_queued_records(o.batch_size, o.max_concurrency, s.batch_handler ? &batching : nullptr)};
}

}  // namespace

subscriber_runner::subscriber_runner(asio::any_io_executor ex, setup s)
    : setup_(std::move(s)),
      ack_rules_(ack_rules::of(setup_.options)),
      strand_(asio::make_strand(ex)),
      dispatch_(limits_of(setup_)),
      txn_({setup_.options.transaction.max_records, setup_.options.transaction.max_time}) {
  if (!setup_.log) setup_.log = log_to_stderr();
  if (!setup_.make_source) setup_.make_source = make_consumer_source;
  health_.name = setup_.options.name;
}

subscriber_health subscriber_runner::health() const {
  std::lock_guard lock(observed_mutex_);
  return health_;
}

std::optional<client_metrics> subscriber_runner::latest_statistics() const {
  std::lock_guard lock(observed_mutex_);
  return statistics_;
}

void subscriber_runner::record_rebalance(rebalance_kind kind, const topic_partition_list& parts) {
  static constexpr std::string_view names[] = {"assigned", "revoked", "lost"};
  const auto name = names[static_cast<int>(kind)];
  const auto number = ++stats_.rebalances;
  (kind == rebalance_kind::assigned  ? stats_.partitions_assigned
   : kind == rebalance_kind::revoked ? stats_.partitions_revoked
                                     : stats_.partitions_lost) += parts.size();
  std::lock_guard lock(observed_mutex_);
  auto& assigned = health_.assigned_partitions;
  assigned = kind == rebalance_kind::assigned ? assigned + parts.size() : assigned - std::min(assigned, parts.size());
  health_.rebalances = number;
  health_.last_rebalance = rebalance_event{std::chrono::system_clock::now(), std::string(name), parts.size(), assigned};
}

void subscriber_runner::stopped_by_exception(const std::string& what) {
  std::lock_guard lock(observed_mutex_);
  health_.running = false;
  health_.assigned_partitions = 0;
  health_.fatal_error = what;
}

void subscriber_runner::stop() {
  asio::post(strand_, [self = shared_from_this()] { self->request_stop(); });
}

void subscriber_runner::request_stop() {
  dispatch_.stop();
  if (source_) source_->cancel();
  notify();
}

void subscriber_runner::stop_fatally(fatal_source source, const error_code& ec, const std::string& what) {
  if (source == fatal_source::producer) producer_fatal_ = true;
  log(log_level::error, what + ": " + ec.message() + "; the subscriber stops");
  if (fatal_) return;
  fatal_ = ec;
  fatal_what_ = what;
  request_stop();
}

error_sink subscriber_runner::client_errors(fatal_source source) {
  return [this, source](const error_info& e) {
    if (!is_fatal(e.code)) {
      log(log_level::warning, e.code.message() + " (" + e.describe() + ")");
      return;
    }
    stop_fatally(source, e.code,
                 std::string(source == fatal_source::consumer ? "the consumer" : "the transactional producer") +
                     " failed fatally (" + std::string(e.detail) + ")");
  };
}

void subscriber_runner::invalid_trace_context(const message& msg, std::string_view value) {
  ++stats_.invalid_trace_context;
  // The value is bounded in the log: it is untrusted input.
  log(log_level::warning, "malformed traceparent \"" + std::string(value.substr(0, 64)) + "\" on " + msg.describe() +
                              ": ignored, a new trace starts");
}

void subscriber_runner::unroutable_result(const message& msg) {
  ++stats_.replies_unroutable;
  log(log_level::warning, "the handler's result for " + msg.describe() +
                              " has nowhere to go (no reply_to header, no output_topic): dropped");
}

void subscriber_runner::emit_process_span(context& ctx, span_event::phase phase, failure_kind failure,
                                          std::string_view error) {
  const auto& sink = out().on_span();
  const message& msg = ctx.raw();
  const std::string name = std::string(msg.topic()) + " process";
  const auto incoming = ctx.incoming_trace();
  span_event e = make_span_event(span_event::kind::process, phase, name, ctx.trace(),
                                 incoming ? std::optional(incoming->span_id()) : std::nullopt, msg.topic(),
                                 ctx.correlation_id().value_or(std::string_view()));
  e.subscriber = this->name();
  e.partition = msg.partition();
  e.offset = msg.offset();
  if (failure != failure_kind::none) {
    e.error = make_error_code(failure == failure_kind::decode ? error::decode_failed : error::handler_failed);
    e.error_text = error;
  }
  sink(e);
}

void subscriber_runner::log(log_level level, std::string_view line) {
  setup_.log(level, "SUBSCRIBER", "subscriber \"" + name() + "\": " + std::string(line));
}

log_sink subscriber_runner::clients_log() const {
  return [sink = setup_.log, prefix = "subscriber \"" + name() + "\": "](log_level level, std::string_view facility,
                                                                         std::string_view line) {
    sink(level, facility, prefix + std::string(line));
  };
}

void subscriber_runner::notify() {
  receiver_.notify();
  releaser_.notify();
  txn_changed_.notify();
  batch_changed_.notify();
}

asio::awaitable<void> subscriber_runner::release_partitions(const topic_partition_list& parts, release how) {
  const bool wait = how == release::revoked;  // lost partitions are someone else's already
  dispatch_.drop(parts);
  notify();
  const auto deadline = std::chrono::steady_clock::now() + setup_.graceful_timeout;
  while (wait && dispatch_.in_flight(parts) && std::chrono::steady_clock::now() < deadline)
    co_await releaser_.wait(strand_, deadline);
}

consumer_options subscriber_runner::source_options() {
  consumer_options copts;
  copts.log = clients_log();
  copts.token_provider = setup_.out->token_provider();
  copts.on_error = client_errors(fatal_source::consumer);
  copts.on_statistics = [this](std::string_view json) {
    try {
      auto parsed = parse_statistics(json);
      std::lock_guard lock(observed_mutex_);
      health_.last_rebalance_reason = parsed.last_rebalance_reason;
      if (parsed.last_rebalance_age_ms >= 0)
        health_.last_rebalance_age = std::chrono::milliseconds(parsed.last_rebalance_age_ms);
      statistics_ = std::move(parsed);
    } catch (const std::exception& e) {
      log(log_level::warning, std::string("unreadable statistics: ") + e.what());
    }
  };
  copts.hooks = source_hooks();
  return copts;
}

// Rebalance hooks receive the partitions that change hands (all of them with the eager
// protocol, the increment with cooperative-sticky): the sum is the assignment's size.
rebalance_hooks subscriber_runner::source_hooks() {
  rebalance_hooks hooks;
  hooks.on_assigned = [this](const topic_partition_list& parts) -> asio::awaitable<void> {
    forget_restarts(parts);
    record_rebalance(rebalance_kind::assigned, parts);
    co_return;
  };
  // Exactly-once: the open transaction ends before partitions change hands; revoked
  // partitions' work commits, lost partitions belong to another member already, so it aborts.
  hooks.on_revoked = [this](const topic_partition_list& parts) -> asio::awaitable<void> {
    record_rebalance(rebalance_kind::revoked, parts);
    co_await release_partitions(parts, release::revoked);
    if (exactly_once()) {
      co_await end_transaction();
      forget_restarts(parts);
    }
  };
  hooks.on_lost = [this](const topic_partition_list& parts) -> asio::awaitable<void> {
    record_rebalance(rebalance_kind::lost, parts);
    co_await release_partitions(parts, release::lost);
    if (exactly_once()) {
      if (txn_.open()) txn_.discard();
      co_await end_transaction();
      forget_restarts(parts);
    }
  };
  return hooks;
}

void subscriber_runner::starting() {
  {
    std::lock_guard lock(observed_mutex_);
    health_.running = true;
    health_.fatal_error.clear();
    start_failure_.clear();
    health_.assigned_partitions = 0;
  }
  fatal_ = {};
  fatal_what_.clear();
  producer_fatal_ = false;
}

asio::awaitable<error_code> subscriber_runner::start_source() {
  source_ = setup_.make_source(strand_, config_.value(), source_options());
  const bool explicit_partitions = !setup_.options.partitions.empty();
  commits_offsets_ = !explicit_partitions || has_user_group(*config_);
  if ((explicit_partitions || exactly_once()) && !source_->kafka())
    co_return start_failed(make_error_code(error::invalid_config),
                           "explicit partitions and exactly-once need a Kafka consumer as the source");
  if (!explicit_partitions) {
    source_->subscribe(setup_.topics);
    co_return error_code{};
  }
  co_return co_await assign_partitions();
}

bool subscriber_runner::receive_failed(const error_code& ec) {
  if (stopping() || ec == error::closed) return false;
  if (is_fatal(ec)) {  // the error sink stopped the subscriber already; this is a fallback
    stop_fatally(fatal_source::consumer, ec, "the consumer failed fatally (" + source_->fatal_reason() + ")");
    return false;
  }
  log(log_level::warning, "receive failed: " + ec.message());
  return true;
}

void subscriber_runner::received(std::vector<message>& batch) {
  stats_.received += batch.size();
  {
    std::lock_guard lock(observed_mutex_);
    health_.last_receive = std::chrono::system_clock::now();
  }
  // Queue the whole batch before any lane starts: a lane started on the strand runs at once,
  // and would otherwise take the batch one record at a time.
  for (auto& m : batch)
    if (!superseded(m)) dispatch_.push(std::move(m));
  start_lanes();
  batch_changed_.notify();  // lanes collecting a batch see the new records
}

asio::awaitable<void> subscriber_runner::receive_loop() {
  while (!stopping()) {
    auto [ec, batch] = co_await source_->receive(setup_.options.batch_size);
    if (ec) {
      if (!receive_failed(ec)) break;
      continue;
    }
    received(batch);
    if (dispatch_.full())
      while (!dispatch_.drained()) co_await receiver_.wait(strand_);
  }
}

asio::awaitable<void> subscriber_runner::drain() {
  dispatch_.stop();
  notify();  // lanes collecting a batch or waiting at the transaction gate end now
  const auto deadline = std::chrono::steady_clock::now() + setup_.graceful_timeout;
  while (dispatch_.running() > 0 && std::chrono::steady_clock::now() < deadline)
    co_await receiver_.wait(strand_, deadline);
  if (dispatch_.running() > 0)
    log(log_level::warning,
        std::to_string(dispatch_.running()) +
            " handler(s) still running after the graceful timeout; their messages will be redelivered");
}

asio::awaitable<void> subscriber_runner::finish(const error_code& fatal) {
  if (exactly_once()) {
    // Handlers still running after the graceful timeout, or a fatal error: nothing commits.
    if (txn_.open() && (dispatch_.running() > 0 || fatal)) txn_.discard();
    co_await end_transaction();  // at once when the producer failed fatally
    if (producer_fatal_)
      txn_out_->discard();  // what it holds fails at message.timeout.ms, up to minutes away
    else if (auto ec = co_await txn_out_->close(); ec)
      log(log_level::warning, "closing the transactional producer: " + ec.message());
  } else if (!fatal && commits_offsets_) {
    if (auto ec = co_await source_->commit()) log(log_level::warning, "final commit failed: " + ec.message());
  }
  if (auto ec = co_await source_->close()) log(log_level::warning, "close failed: " + ec.message());
}

void subscriber_runner::stopped(const error_code& fatal) {
  std::lock_guard lock(observed_mutex_);
  health_.running = false;
  health_.assigned_partitions = 0;
  if (fatal_)
    health_.fatal_error = fatal_what_ + ": " + fatal_.message();
  else if (!start_failure_.empty())
    health_.fatal_error = start_failure_;
  else if (fatal)
    health_.fatal_error = fatal.message() + ": " + source_->fatal_reason();
}

asio::awaitable<error_code> subscriber_runner::run() {
  auto self = shared_from_this();
  starting();
  if (exactly_once()) {
    // Before joining the group: init fences an older instance with the same transactional.id.
    if (auto ec = co_await init_transactions()) {
      log(log_level::error, "cannot initialise transactions: " + ec.message());
      std::lock_guard lock(observed_mutex_);
      health_.running = false;
      health_.fatal_error = "initialising transactions: " + ec.message();
      co_return ec;
    }
  }
  error_code fatal = co_await start_source();
  if (exactly_once() && !fatal)
    asio::co_spawn(
        strand_, [self] { return self->run_transaction_clock(); }, asio::detached);
  co_await receive_loop();
  co_await drain();
  if (!fatal) fatal = fatal_;
  co_await finish(fatal);
  stopped(fatal);
  co_return fatal;
}

}  // namespace asiokafka::detail
