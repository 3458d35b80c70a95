// The local buffer and the receives waiting on it: delivery, cancellation, flow control, and
// what pause, resume, seek and position do to buffered messages.
#include "consumer/consumer_impl.hpp"

#include "detail/partition_list.hpp"
#include "detail/rd_conf.hpp"
#include "detail/rd_error.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace asio = boost::asio;

namespace asiokafka::detail {
namespace {

offset_tracker::key key_of(const message& m) { return {std::string(m.topic()), m.partition()}; }

}  // namespace

message consumer_impl::take_message() {
  message m = std::move(buffer_.front());
  buffer_.pop_front();
  if (track_offsets_) tracker_.delivered({m.topic(), m.partition()}, m.offset());
  return m;
}

void consumer_impl::complete_receive(receive_waiter& w, const error_code& ec, completion_mode mode) {
  w.slot.clear();
  mode = for_handler(mode, w.direct);
  if (w.max == 0) {
    message m;
    if (!ec) m = take_message();
    core_.complete(mode, w.single.take(), ec, std::move(m));
  } else {
    std::vector<message> batch;
    if (!ec) {
      batch.reserve(std::min(w.max, buffer_.size()));
      while (batch.size() < w.max && !buffer_.empty()) batch.push_back(take_message());
    }
    core_.complete(mode, w.batch.take(), ec, std::move(batch));
  }
}

void consumer_impl::fail_receives(const error_code& ec) {
  complete_all(waiters_, [&](receive_waiter& w) { complete_receive(w, ec, completion_mode::post); });
}

// Completes waiters from the buffer. Runs from the drain, never from an initiating function,
// so it may dispatch: a coroutine resumed here that receives again just queues a waiter,
// which this loop serves next, without a post per message.
void consumer_impl::deliver() {
  while (!waiters_.empty() && !buffer_.empty() && close_seq_.open() && !fatal_) {
    auto w = std::move(waiters_.front());
    waiters_.pop_front();
    complete_receive(w, {}, completion_mode::dispatch);
  }
}

void consumer_impl::start_receive(single_handler h, bool direct) {
  receive_waiter w;
  w.direct = direct;
  w.single = std::move(h);
  w.slot = w.single.slot();
  submit_receive(std::move(w));
}

void consumer_impl::start_receive_batch(std::size_t max, batch_handler h, bool direct) {
  receive_waiter w;
  w.direct = direct;
  w.max = std::max<std::size_t>(max, 1);
  w.batch = std::move(h);
  w.slot = w.batch.slot();
  submit_receive(std::move(w));
}

// Serves the receive from the buffer at once when nothing queued before it, else queues it.
void consumer_impl::submit_receive(receive_waiter w) {
  if (fatal_ || !close_seq_.open()) {
    complete_receive(w, fatal_ ? fatal_ : make_error_code(error::closed), completion_mode::post);
    return;
  }
  if (!buffer_.empty() && waiters_.empty() && !draining_) {
    complete_receive(w, {}, completion_mode::immediate);
    flow_control();
    return;
  }
  w.id = next_id_++;
  connect_cancellation<&consumer_impl::cancel_receive>(w.slot, *this, w.id);
  waiters_.push_back(std::move(w));
}

// The buffered message at once, when no receive waits before it.
message consumer_impl::try_receive(error_code& ec) {
  ec = fatal_ ? fatal_ : close_seq_.open() ? error_code{} : make_error_code(error::closed);
  if (ec || buffer_.empty() || !waiters_.empty()) return {};
  message m = take_message();
  flow_control();
  return m;
}

// Any cancellation type: a waiting receive has taken nothing yet.
void consumer_impl::cancel_receive(std::uint64_t id, asio::cancellation_type) {
  cancel_by_id(waiters_, id,
               [&](receive_waiter& w) { complete_receive(w, asio::error::operation_aborted, completion_mode::post); });
}

void consumer_impl::cancel_receives() { fail_receives(asio::error::operation_aborted); }

// Executes the flow gate's decision (flow_gate.hpp).
void consumer_impl::flow_control() {
  if (!close_seq_.open() || fatal_) return;
  execute_flow(flow_.on_buffered(buffer_.size()));
}

void consumer_impl::execute_flow(flow_action action) {
  switch (action) {
    case flow_action::none:
      return;
    case flow_action::hold:
      core_.log(log_level::debug, "FLOW", "local buffer full: holding librdkafka's queue");
      hold_timer_.expires_after(flow_hold_time);
      hold_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        auto self = weak.lock();
        if (ec || !self || !self->close_seq_.open() || self->fatal_) return;
        self->execute_flow(self->flow_.on_hold_expired(self->buffer_.size()));
      });
      return;
    case flow_action::serve:
      hold_timer_.cancel();
      break;
    case flow_action::pause:
    case flow_action::resume:
      set_assignment_paused(action == flow_action::pause);
      break;
  }
  // Serving again (or everything, when paused) starts from the drain, not from the caller.
  asio::post(executor(), [self = shared_from_this()] { self->drain(); });
}

// Pauses or resumes the whole assignment for flow control; partitions the user paused stay
// paused.
void consumer_impl::set_assignment_paused(bool pause) {
  rd_kafka_topic_partition_list_t* list = nullptr;
  const bool have = rd_kafka_assignment(rk_, &list) == RD_KAFKA_RESP_ERR_NO_ERROR && list;
  if (pause) {
    if (have) rd_kafka_pause_partitions(rk_, list);
    core_.log(log_level::debug, "FLOW", "local buffer full for the hold time: fetching paused");
  } else {
    if (have) {
      topic_partition_list resume_list;
      for (const auto& p : from_rd_list(list))
        if (!user_paused_.count({p.topic, p.partition})) resume_list.push_back(p);
      rd_kafka_resume_partitions(rk_, to_rd_list(resume_list).get());
    }
    core_.log(log_level::debug, "FLOW", "local buffer drained: fetching resumed");
  }
  if (list) rd_kafka_topic_partition_list_destroy(list);
}

void consumer_impl::pause_for_flow(const topic_partition_list& parts) {
  if (!parts.empty()) rd_kafka_pause_partitions(rk_, to_rd_list(parts).get());
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
  flush_stores();  // what was finished before a seek or a revocation is stored as before it
  drop_buffered(parts);
  for (const auto& p : parts) {
    const key k{p.topic, p.partition};
    tracker_.forget(k);
    user_paused_.erase(k);
  }
  flow_control();  // the buffer may have shrunk below the gate's resume point
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
  flow_control();  // held messages leave the buffer: it may be below the gate's resume point
}

void consumer_impl::resume(const topic_partition_list& partitions) {
  for (const auto& p : partitions) user_paused_.erase({p.topic, p.partition});
  if (!flow_.paused())
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
  if (moved && !waiters_.empty()) asio::post(executor(), [self = shared_from_this()] { self->drain(); });
}

void consumer_impl::seek(const topic_partition& tp) {
  purge_partitions({tp});
  rd_list_ptr list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = tp.offset;
  const std::string where = tp.topic + "[" + std::to_string(tp.partition) + "]";
  throw_if(rd_kafka_seek_partitions(rk_, list.get(), 0),
           "asiokafka: seek " + where + " to " + std::to_string(tp.offset));
  // With no timeout the seek completes in the background: "in progress" is its success.
  if (list->elems[0].err && list->elems[0].err != RD_KAFKA_RESP_ERR__IN_PROGRESS)
    throw boost::system::system_error(make_kafka_error_code(list->elems[0].err), "asiokafka: seek " + where);
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

}  // namespace asiokafka::detail
