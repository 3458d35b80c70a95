#include "consumer/consumer_impl.hpp"

#include <asiokafka/config.hpp>

#include "detail/blocking_pool.hpp"
#include "detail/log_event.hpp"
#include "detail/partition_list.hpp"
#include "detail/rd_conf.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace asio = boost::asio;

namespace asiokafka::detail {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string describe(const topic_partition_list& parts) {
  std::string out;
  for (const auto& p : parts)
    out += (out.empty() ? "" : ",") + p.topic + "[" + std::to_string(p.partition) + "]";
  return out;
}

offset_tracker::key key_of(const message& m) { return {std::string(m.topic()), m.partition()}; }

void throw_if(rd_kafka_resp_err_t err, const std::string& what) {
  if (err) throw boost::system::system_error(make_kafka_error_code(err), what);
}

void throw_if(rd_kafka_error_t* e, const std::string& what) {
  if (!e) return;
  const auto ec = make_kafka_error_code(rd_kafka_error_code(e));
  std::string text = what + ": " + rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  throw boost::system::system_error(ec, text);
}

}  // namespace

consumer_impl::consumer_impl(asio::any_io_executor ex, const composed_config& config,
                             consumer_options options)
    : ex_(std::move(ex)),
      opts_(std::move(options)),
      waker_(ex_),
      keepalive_(ex_),
      high_watermark_(std::max<std::size_t>(opts_.max_buffered_messages, 2)) {
  if (!opts_.log) opts_.log = log_to_stderr();
  auto conf = make_rd_conf(config);
  if (!config.get("group.id"))
    throw config_error("group.id", config_scope::subscriber, config.name(),
                       "a consumer needs a group.id (offsets are committed to its group)");
  // Internal plumbing, not user-tunable behaviour: every callback becomes an event on the
  // queues served by the reactor; logs too.
  char errstr[512];
  rd_kafka_conf_set(conf.get(), "log.queue", "true", errstr, sizeof errstr);
  rd_kafka_conf_set_events(conf.get(), RD_KAFKA_EVENT_REBALANCE | RD_KAFKA_EVENT_OFFSET_COMMIT |
                                           RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_LOG |
                                           RD_KAFKA_EVENT_STATS);
  track_offsets_ = !conf_bool(conf.get(), "enable.auto.offset.store", true);
  keepalive_period_ = std::chrono::milliseconds(
      std::max<long long>(conf_int(conf.get(), "max.poll.interval.ms", 300000) / 2, 100));

  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof errstr);
  if (!rk)
    throw boost::system::system_error(make_error_code(error::invalid_config),
                                      "asiokafka consumer \"" + config.name() + "\": " + errstr);
  conf.release();  // owned by rk now
  handle_ = std::make_shared<rd_handle>(rk);
  rk_ = rk;
  rd_kafka_set_log_queue(rk_, nullptr);
  rd_kafka_poll_set_consumer(rk_);
  consumer_q_ = rd_kafka_queue_get_consumer(rk_);
  ops_q_ = rd_kafka_queue_new(rk_);
  waker_.attach(consumer_q_);
  waker_.attach(ops_q_);
}

consumer_impl::~consumer_impl() {
  for (auto* ev : rebalances_) rd_kafka_event_destroy(ev);
  buffer_.clear();
  held_.clear();
  for (auto* q : {consumer_q_, ops_q_, close_q_}) {
    if (!q) continue;
    waker_.detach(q);
    rd_kafka_queue_destroy(q);
  }
}

void consumer_impl::start() {
  wait_for_events();
  arm_keepalive();
  // Ops queued before the wake-up fd was attached (e.g. logs from rd_kafka_new) signal nothing.
  boost::asio::post(ex_, [self = shared_from_this()] { self->drain(); });
}

void consumer_impl::wait_for_events() {
  if (waiting_) return;
  waiting_ = true;
  waker_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    self->waiting_ = false;
    if (ec || self->state_ == state::closed) return;
    self->drain();
    if (self->state_ != state::closed) self->wait_for_events();
  });
}

// librdkafka's max.poll.interval.ms counts from the last poll of the consumer queue; an
// application that is not receiving (and a paused, quiet consumer) must not drop out of the
// group, so the queue is also served at half that interval.
void consumer_impl::arm_keepalive() {
  keepalive_.expires_after(keepalive_period_);
  keepalive_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->state_ == state::closed) return;
    self->drain();
    self->arm_keepalive();
  });
}

void consumer_impl::shutdown() {
  if (state_ == state::closed) return;
  state_ = state::closed;
  keepalive_.cancel();
  waker_.cancel();
  const auto closed = make_error_code(error::closed);
  while (!waiters_.empty()) {
    auto w = std::move(waiters_.front());
    waiters_.pop_front();
    complete_receive(w, closed, true);
  }
  for (auto& [id, c] : commits_) asio::post(ex_, asio::append(c.handler.take(), closed));
  commits_.clear();
  if (close_handler_) asio::post(ex_, asio::append(close_handler_.take(), closed));
}

// ---- queue serving ---------------------------------------------------------------------

void consumer_impl::drain() {
  if (draining_) return;
  auto self = shared_from_this();
  draining_ = true;
  drain_queue(consumer_q_);
  drain_queue(ops_q_);
  if (close_q_) drain_queue(close_q_);
  deliver();
  draining_ = false;
  flow_control();
  check_closed();
}

void consumer_impl::drain_queue(rd_kafka_queue_t* q) {
  while (state_ != state::closed) {
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 0);
    if (!ev) {
      // A served op (e.g. a close TERMINATE wake-up) can end one poll early.
      if (rd_kafka_queue_length(q) == 0) return;
      continue;
    }
    handle_event(ev);
  }
}

void consumer_impl::handle_event(rd_kafka_event_t* ev) {
  switch (rd_kafka_event_type(ev)) {
    case RD_KAFKA_EVENT_FETCH:
      handle_fetch(ev);
      return;
    case RD_KAFKA_EVENT_REBALANCE:
      rebalances_.push_back(ev);
      start_rebalance_driver();
      return;
    case RD_KAFKA_EVENT_OFFSET_COMMIT:
      handle_commit_result(ev);
      break;
    case RD_KAFKA_EVENT_ERROR:
      handle_error_event(ev);
      break;
    case RD_KAFKA_EVENT_LOG:
      forward_log_event(ev, opts_.log);
      break;
    case RD_KAFKA_EVENT_STATS:
      if (opts_.on_statistics) opts_.on_statistics(rd_kafka_event_stats(ev));
      break;
    default:
      break;
  }
  rd_kafka_event_destroy(ev);
}

void consumer_impl::handle_fetch(rd_kafka_event_t* ev) {
  const rd_kafka_message_t* m = rd_kafka_event_message_next(ev);
  if (!m || m->err) {
    if (m && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      std::string ctx = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
      ctx += "[" + std::to_string(m->partition) + "]@" + std::to_string(m->offset);
      report(make_kafka_error_code(m->err), ctx);
    }
    rd_kafka_event_destroy(ev);
    return;
  }
  message msg = message::adopt_event(handle_, ev, m);
  if (!user_paused_.empty()) {
    auto k = key_of(msg);
    if (user_paused_.count(k)) {
      held_[k].push_back(std::move(msg));
      return;
    }
  }
  buffer_.push_back(std::move(msg));
}

void consumer_impl::handle_commit_result(rd_kafka_event_t* ev) {
  const auto id = reinterpret_cast<std::uintptr_t>(rd_kafka_event_opaque(ev));
  const rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
  error_code ec;
  std::string context = "commit";
  if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    ec = make_kafka_error_code(err);
  } else if (!err) {
    for (const auto& p : from_rd_list(rd_kafka_event_topic_partition_list(ev))) {
      if (p.error) {
        ec = p.error;
        context += " " + p.topic + "[" + std::to_string(p.partition) + "]@" + std::to_string(p.offset);
        break;
      }
    }
  }
  auto it = commits_.find(id);
  if (it == commits_.end()) {
    // Auto-commit (opaque 0) or a commit whose waiter was cancelled: failures are reported.
    if (ec) report(ec, context);
    return;
  }
  auto c = std::move(it->second);
  commits_.erase(it);
  c.slot.clear();
  asio::dispatch(ex_, asio::append(c.handler.take(), ec));
}

void consumer_impl::handle_error_event(rd_kafka_event_t* ev) {
  const auto err = rd_kafka_event_error(ev);
  const auto ec = make_kafka_error_code(err);
  const char* text = rd_kafka_event_error_string(ev);
  if (rd_kafka_event_error_is_fatal(ev)) {
    enter_fatal(ec, text ? text : "");
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
  report(ec, text ? text : "");
}

void consumer_impl::enter_fatal(const error_code& ec, std::string reason) {
  if (fatal_) return;
  fatal_ = ec;
  fatal_reason_ = std::move(reason);
  report(ec, "fatal: " + fatal_reason_);
  while (!waiters_.empty()) {
    auto w = std::move(waiters_.front());
    waiters_.pop_front();
    complete_receive(w, fatal_, true);
  }
  for (auto& [id, c] : commits_) {
    c.slot.clear();
    asio::post(ex_, asio::append(c.handler.take(), fatal_));
  }
  commits_.clear();
  buffer_.clear();
  held_.clear();
  if (state_ == state::closing) finish_close({});
}

// ---- receive -----------------------------------------------------------------------------

message consumer_impl::take_message() {
  message m = std::move(buffer_.front());
  buffer_.pop_front();
  if (track_offsets_) tracker_.delivered({m.topic(), m.partition()}, m.offset());
  return m;
}

void consumer_impl::complete_receive(receive_waiter& w, const error_code& ec, bool post) {
  w.slot.clear();
  auto submit = [&](auto&& f) {
    if (post)
      asio::post(ex_, std::move(f));
    else
      asio::dispatch(ex_, std::move(f));
  };
  if (w.max == 0) {
    message m;
    if (!ec) m = take_message();
    submit(asio::append(w.single.take(), ec, std::move(m)));
  } else {
    std::vector<message> batch;
    if (!ec) {
      batch.reserve(std::min(w.max, buffer_.size()));
      while (batch.size() < w.max && !buffer_.empty()) batch.push_back(take_message());
    }
    submit(asio::append(w.batch.take(), ec, std::move(batch)));
  }
}

// Completes waiters from the buffer. Runs from the drain, never from an initiating function,
// so it may dispatch: a coroutine resumed here that receives again just queues a waiter,
// which this loop serves next, without a post per message.
void consumer_impl::deliver() {
  while (!waiters_.empty() && !buffer_.empty() && state_ == state::open && !fatal_) {
    auto w = std::move(waiters_.front());
    waiters_.pop_front();
    complete_receive(w, {}, false);
  }
}

void consumer_impl::receive(single_handler h) {
  receive_waiter w;
  w.single = std::move(h);
  w.slot = w.single.slot();
  start_receive(std::move(w));
}

void consumer_impl::receive_batch(std::size_t max, batch_handler h) {
  receive_waiter w;
  w.max = std::max<std::size_t>(max, 1);
  w.batch = std::move(h);
  w.slot = w.batch.slot();
  start_receive(std::move(w));
}

void consumer_impl::start_receive(receive_waiter w) {
  if (fatal_ || state_ != state::open) {
    complete_receive(w, fatal_ ? fatal_ : make_error_code(error::closed), true);
    return;
  }
  if (!buffer_.empty() && waiters_.empty() && !draining_) {
    complete_receive(w, {}, true);
    flow_control();
    return;
  }
  w.id = next_id_++;
  if (w.slot.is_connected()) {
    w.slot.assign([weak = weak_from_this(), id = w.id](asio::cancellation_type) {
      if (auto self = weak.lock()) self->erase_waiter(id);
    });
  }
  waiters_.push_back(std::move(w));
}

// Runs inside the cancellation slot's handler: the slot must not be cleared here.
void consumer_impl::erase_waiter(std::uint64_t id) {
  auto w = take_by_id(waiters_, id);
  if (!w) return;
  w->slot = {};
  complete_receive(*w, asio::error::operation_aborted, true);
}

void consumer_impl::cancel_receives() {
  while (!waiters_.empty()) {
    auto w = std::move(waiters_.front());
    waiters_.pop_front();
    complete_receive(w, asio::error::operation_aborted, true);
  }
}

void consumer_impl::flow_control() {
  if (state_ != state::open || fatal_) return;
  if (!flow_paused_ && buffer_.size() >= high_watermark_) {
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (rd_kafka_assignment(rk_, &list) == RD_KAFKA_RESP_ERR_NO_ERROR && list) {
      rd_kafka_pause_partitions(rk_, list);
      rd_kafka_topic_partition_list_destroy(list);
    }
    flow_paused_ = true;
    log(log_level::debug, "FLOW", "local buffer full: fetching paused");
  } else if (flow_paused_ && buffer_.size() <= high_watermark_ / 2) {
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (rd_kafka_assignment(rk_, &list) == RD_KAFKA_RESP_ERR_NO_ERROR && list) {
      topic_partition_list resume_list;
      for (const auto& p : from_rd_list(list))
        if (!user_paused_.count({p.topic, p.partition})) resume_list.push_back(p);
      rd_kafka_topic_partition_list_destroy(list);
      rd_kafka_resume_partitions(rk_, to_rd_list(resume_list).get());
    }
    flow_paused_ = false;
    log(log_level::debug, "FLOW", "local buffer drained: fetching resumed");
  }
}

// ---- offsets -----------------------------------------------------------------------------

error_code consumer_impl::store_offset(const message& msg) {
  if (!msg) return make_error_code(error::not_assigned);
  std::int64_t next = msg.offset() + 1;
  if (track_offsets_) {
    bool tracked = false;
    auto commit = tracker_.finished({msg.topic(), msg.partition()}, msg.offset(), &tracked);
    if (!tracked) return make_error_code(error::not_assigned);
    if (!commit) return {};
    next = *commit;
  }
  // The message's own topic handle: no partition list, no topic lookup. librdkafka stores
  // `offset + 1`, the next offset to consume.
  const auto* m = static_cast<const rd_kafka_message_t*>(msg.native_handle());
  return make_kafka_error_code(rd_kafka_offset_store(m->rkt, msg.partition(), next - 1));
}

void consumer_impl::commit(topic_partition_list offsets, bool explicit_offsets, plain_handler h) {
  if (fatal_ || state_ == state::closed) {
    asio::post(ex_, asio::append(std::move(h), fatal_ ? fatal_ : make_error_code(error::closed)));
    return;
  }
  const std::uint64_t id = next_id_++;
  commit_waiter c{std::move(h), {}};
  c.slot = c.handler.slot();
  if (c.slot.is_connected()) {
    c.slot.assign([weak = weak_from_this(), id](asio::cancellation_type type) {
      auto self = weak.lock();
      if (!self || !(type & asio::cancellation_type::terminal)) return;
      auto it = self->commits_.find(id);
      if (it == self->commits_.end()) return;
      auto handler = it->second.handler.take();
      self->commits_.erase(it);
      asio::post(self->ex_, asio::append(std::move(handler), asio::error::operation_aborted));
    });
  }
  commits_.emplace(id, std::move(c));
  send_commit(offsets, explicit_offsets, id);
}

void consumer_impl::send_commit(const topic_partition_list& offsets, bool explicit_offsets, std::uint64_t id) {
  rd_list_ptr list;
  if (explicit_offsets) list = to_rd_list(offsets);
  const auto err = rd_kafka_commit_queue(rk_, list.get(), ops_q_, nullptr,
                                         reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)));
  if (err) {
    auto it = commits_.find(id);
    if (it == commits_.end()) return;
    auto c = std::move(it->second);
    commits_.erase(it);
    c.slot.clear();
    asio::post(ex_, asio::append(c.handler.take(),
                                 err == RD_KAFKA_RESP_ERR__NO_OFFSET ? error_code{} : make_kafka_error_code(err)));
  }
}

// ---- membership --------------------------------------------------------------------------

void consumer_impl::subscribe(const std::vector<std::string>& topics) {
  rd_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  throw_if(rd_kafka_subscribe(rk_, list.get()), "asiokafka: subscribe to " + join(topics));
}

void consumer_impl::unsubscribe() { throw_if(rd_kafka_unsubscribe(rk_), "asiokafka: unsubscribe"); }

void consumer_impl::assign(const topic_partition_list& partitions) {
  buffer_.clear();
  held_.clear();
  tracker_.clear();
  user_paused_.clear();
  throw_if(rd_kafka_assign(rk_, partitions.empty() ? nullptr : to_rd_list(partitions).get()),
           "asiokafka: assign " + describe(partitions));
  if (flow_paused_) pause_for_flow(partitions);
}

topic_partition_list consumer_impl::assignment() const {
  rd_kafka_topic_partition_list_t* list = nullptr;
  throw_if(rd_kafka_assignment(rk_, &list), "asiokafka: assignment");
  auto out = from_rd_list(list);
  rd_kafka_topic_partition_list_destroy(list);
  return out;
}

std::string consumer_impl::member_id() const {
  char* id = rd_kafka_memberid(rk_);
  std::string out = id ? id : "";
  if (id) rd_kafka_mem_free(rk_, id);
  return out;
}

void consumer_impl::pause(const topic_partition_list& partitions) {
  throw_if(rd_kafka_pause_partitions(rk_, to_rd_list(partitions).get()), "asiokafka: pause " + describe(partitions));
  for (const auto& p : partitions) user_paused_.insert({p.topic, p.partition});
  std::deque<message> keep;
  for (auto& m : buffer_) {
    auto k = key_of(m);
    if (user_paused_.count(k))
      held_[k].push_back(std::move(m));
    else
      keep.push_back(std::move(m));
  }
  buffer_.swap(keep);
}

void consumer_impl::resume(const topic_partition_list& partitions) {
  for (const auto& p : partitions) user_paused_.erase({p.topic, p.partition});
  if (!flow_paused_)
    throw_if(rd_kafka_resume_partitions(rk_, to_rd_list(partitions).get()),
             "asiokafka: resume " + describe(partitions));
  bool moved = false;
  for (const auto& p : partitions) {
    auto it = held_.find({p.topic, p.partition});
    if (it == held_.end()) continue;
    for (auto& m : it->second) buffer_.push_back(std::move(m));
    held_.erase(it);
    moved = true;
  }
  // Waiters are served from the drain, not from inside resume().
  if (moved && !waiters_.empty()) asio::post(ex_, [self = shared_from_this()] { self->drain(); });
}

void consumer_impl::seek(const topic_partition& tp) {
  purge_partitions({tp});
  rd_list_ptr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = tp.offset;
  throw_if(rd_kafka_seek_partitions(rk_, list.get(), 0),
           "asiokafka: seek " + tp.topic + "[" + std::to_string(tp.partition) + "] to " + std::to_string(tp.offset));
  // With no timeout the seek completes in the background: "in progress" is its success.
  if (list->elems[0].err && list->elems[0].err != RD_KAFKA_RESP_ERR__IN_PROGRESS)
    throw boost::system::system_error(make_kafka_error_code(list->elems[0].err),
                                      "asiokafka: seek " + tp.topic + "[" + std::to_string(tp.partition) + "]");
}

topic_partition_list consumer_impl::position(const topic_partition_list& partitions) const {
  auto list = to_rd_list(partitions);
  throw_if(rd_kafka_position(rk_, list.get()), "asiokafka: position " + describe(partitions));
  auto out = from_rd_list(list.get());
  for (auto& p : out) {
    const key k{p.topic, p.partition};
    if (auto it = held_.find(k); it != held_.end() && !it->second.empty()) {
      p.offset = it->second.front().offset();
      continue;
    }
    auto it = std::find_if(buffer_.begin(), buffer_.end(),
                           [&](const message& m) { return m.partition() == p.partition && m.topic() == p.topic; });
    if (it != buffer_.end()) p.offset = it->offset();
  }
  return out;
}

void consumer_impl::committed(topic_partition_list partitions, std::chrono::milliseconds timeout,
                              asio::any_completion_handler<void(error_code, topic_partition_list)> h) {
  asio::post(blocking_pool(), [handle = handle_, ex = ex_, parts = std::move(partitions), timeout,
                               h = std::move(h)]() mutable {
    auto list = to_rd_list(parts);
    const auto err = rd_kafka_committed(handle->rk, list.get(), static_cast<int>(timeout.count()));
    asio::post(ex, asio::append(std::move(h), make_kafka_error_code(err), from_rd_list(list.get())));
  });
}

void consumer_impl::query_watermarks(std::string topic, std::int32_t partition, std::chrono::milliseconds timeout,
                                     asio::any_completion_handler<void(error_code, watermarks)> h) {
  asio::post(blocking_pool(), [handle = handle_, ex = ex_, topic = std::move(topic), partition, timeout,
                               h = std::move(h)]() mutable {
    watermarks w;
    const auto err = rd_kafka_query_watermark_offsets(handle->rk, topic.c_str(), partition, &w.low, &w.high,
                                                      static_cast<int>(timeout.count()));
    asio::post(ex, asio::append(std::move(h), make_kafka_error_code(err), w));
  });
}

// ---- rebalance ---------------------------------------------------------------------------

void consumer_impl::start_rebalance_driver() {
  if (rebalancing_) return;
  rebalancing_ = true;
  asio::co_spawn(ex_, [self = shared_from_this()]() { return self->rebalance_driver(); }, asio::detached);
}

asio::awaitable<void> consumer_impl::rebalance_driver() {
  auto self = shared_from_this();
  while (!rebalances_.empty() && state_ != state::closed) {
    rd_kafka_event_t* ev = rebalances_.front();
    rebalances_.pop_front();
    co_await run_rebalance(ev);
  }
  rebalancing_ = false;
  check_closed();
}

asio::awaitable<void> consumer_impl::run_hook(const partition_hook& hook, const topic_partition_list& parts,
                                              const char* name) {
  if (!hook || parts.empty()) co_return;
  try {
    co_await hook(parts);
  } catch (const std::exception& e) {
    report(make_error_code(error::fatal), std::string(name) + " hook threw: " + e.what());
  }
}

asio::awaitable<void> consumer_impl::run_rebalance(rd_kafka_event_t* ev) {
  const auto err = rd_kafka_event_error(ev);
  const rd_kafka_topic_partition_list_t* rd_parts = rd_kafka_event_topic_partition_list(ev);
  const auto parts = from_rd_list(rd_parts);
  const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk_)) == "COOPERATIVE";

  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_, rd_parts)) {
        report(make_kafka_error_code(rd_kafka_error_code(e)), "incremental assign " + describe(parts));
        rd_kafka_error_destroy(e);
      }
    } else if (auto e = rd_kafka_assign(rk_, rd_parts)) {
      report(make_kafka_error_code(e), "assign " + describe(parts));
    }
    rd_kafka_event_destroy(ev);
    if (flow_paused_) pause_for_flow(parts);
    log(log_level::info, "REBALANCE", "assigned " + describe(parts));
    co_await run_hook(opts_.hooks.on_assigned, parts, "on_assigned");
    co_return;
  }

  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    const bool lost = rd_kafka_assignment_lost(rk_) != 0;
    // Undelivered messages go to the next owner; messages already handed out may still be
    // finished (and stored) by the hook, which runs before the commit.
    drop_buffered(parts);
    log(log_level::info, "REBALANCE", (lost ? "lost " : "revoked ") + describe(parts));
    co_await run_hook(lost ? opts_.hooks.on_lost : opts_.hooks.on_revoked, parts, lost ? "on_lost" : "on_revoked");
    if (!lost && !fatal_) {
      // Offsets of finished messages are committed before the partitions go to another member.
      error_code ec;
      auto token = asio::redirect_error(asio::use_awaitable, ec);
      co_await asio::async_initiate<decltype(token), void(error_code)>(
          [this](auto h) { commit({}, false, plain_handler(std::move(h))); }, token);
      if (ec && ec != make_error_code(error::closed)) report(ec, "commit before revoking " + describe(parts));
    }
    purge_partitions(parts);
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk_, rd_parts)) {
        report(make_kafka_error_code(rd_kafka_error_code(e)), "incremental unassign " + describe(parts));
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(rk_, nullptr);
    }
    rd_kafka_event_destroy(ev);
    co_return;
  }

  report(make_kafka_error_code(err), "rebalance");
  rd_kafka_assign(rk_, nullptr);
  rd_kafka_event_destroy(ev);
}

void consumer_impl::drop_buffered(const topic_partition_list& parts) {
  std::set<key> keys;
  for (const auto& p : parts) keys.insert({p.topic, p.partition});
  std::deque<message> keep;
  for (auto& m : buffer_)
    if (!keys.count(key_of(m))) keep.push_back(std::move(m));
  buffer_.swap(keep);
  for (const auto& k : keys) held_.erase(k);
}

void consumer_impl::purge_partitions(const topic_partition_list& parts) {
  drop_buffered(parts);
  for (const auto& p : parts) {
    const key k{p.topic, p.partition};
    tracker_.forget(k);
    user_paused_.erase(k);
  }
}

void consumer_impl::pause_for_flow(const topic_partition_list& parts) {
  if (!parts.empty()) rd_kafka_pause_partitions(rk_, to_rd_list(parts).get());
}

// ---- close -------------------------------------------------------------------------------

void consumer_impl::close(plain_handler h) {
  if (state_ != state::open) {
    asio::post(ex_, asio::append(std::move(h), state_ == state::closed ? error_code{}
                                                                      : make_error_code(error::already_pending)));
    return;
  }
  while (!waiters_.empty()) {
    auto w = std::move(waiters_.front());
    waiters_.pop_front();
    complete_receive(w, make_error_code(error::closed), true);
  }
  // Fetched but undelivered messages were never processed: they are not committed and the
  // next owner of the partitions receives them.
  buffer_.clear();
  held_.clear();
  if (fatal_) {
    state_ = state::closing;
    close_handler_ = std::move(h);
    finish_close({});
    return;
  }
  state_ = state::closing;
  close_handler_ = std::move(h);
  close_q_ = rd_kafka_queue_new(rk_);
  waker_.attach(close_q_);
  if (rd_kafka_error_t* e = rd_kafka_consumer_close_queue(rk_, close_q_)) {
    const auto code = rd_kafka_error_code(e);
    std::string text = rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
    if (code == RD_KAFKA_RESP_ERR__DESTROY || rd_kafka_consumer_closed(rk_)) {
      finish_close({});
    } else {
      report(make_kafka_error_code(code), "close: " + text);
      finish_close(make_kafka_error_code(code));
    }
    return;
  }
  asio::post(ex_, [self = shared_from_this()] { self->drain(); });
}

void consumer_impl::check_closed() {
  if (state_ == state::closing && !rebalancing_ && rd_kafka_consumer_closed(rk_)) finish_close({});
}

void consumer_impl::finish_close(const error_code& ec) {
  state_ = state::closed;
  keepalive_.cancel();
  waker_.cancel();
  const auto closed = make_error_code(error::closed);
  for (auto& [id, c] : commits_) {
    c.slot.clear();
    asio::post(ex_, asio::append(c.handler.take(), closed));
  }
  commits_.clear();
  if (close_handler_) asio::post(ex_, asio::append(close_handler_.take(), ec));
}

// ---- reporting ---------------------------------------------------------------------------

void consumer_impl::report(const error_code& ec, std::string_view context) {
  if (opts_.on_error) {
    opts_.on_error(ec, context);
    return;
  }
  log(log_level::warning, "ERROR", ec.message() + " (" + std::string(context) + ")");
}

void consumer_impl::log(log_level level, std::string_view facility, std::string_view line) {
  if (opts_.log) opts_.log(level, facility, line);
}

}  // namespace asiokafka::detail
