#include "producer/producer_impl.hpp"

#include <asiokafka/config.hpp>

#include "detail/log_event.hpp"
#include "detail/rd_conf.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace asio = boost::asio;

namespace asiokafka::detail {

producer_impl::producer_impl(asio::any_io_executor ex, const composed_config& config, producer_options options)
    : ex_(std::move(ex)), opts_(std::move(options)), waker_(ex_) {
  if (!opts_.log) opts_.log = log_to_stderr();
  auto conf = make_rd_conf(config);
  char errstr[512];
  rd_kafka_conf_set(conf.get(), "log.queue", "true", errstr, sizeof errstr);
  rd_kafka_conf_set_events(conf.get(), RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_LOG |
                                           RD_KAFKA_EVENT_STATS);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr);
  if (!rk)
    throw boost::system::system_error(make_error_code(error::invalid_config),
                                      std::string("asiokafka producer: ") + errstr);
  conf.release();
  handle_ = std::make_shared<rd_handle>(rk);
  rk_ = rk;
  rd_kafka_set_log_queue(rk_, nullptr);
  main_q_ = rd_kafka_queue_get_main(rk_);
  waker_.attach(main_q_);
}

producer_impl::~producer_impl() {
  waker_.detach(main_q_);
  rd_kafka_queue_destroy(main_q_);
}

void producer_impl::start() {
  wait_for_events();
  // Ops queued before the wake-up fd was attached (e.g. logs from rd_kafka_new) signal nothing.
  asio::post(ex_, [self = shared_from_this()] { self->drain(); });
}

void producer_impl::shutdown() {
  if (closed_ && waiting_.empty() && pending_.empty() && flushes_.empty() && !close_handler_) {
    waker_.cancel();
    return;
  }
  closed_ = true;
  // Records still queued are dropped: their handlers learn it now.
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING);
  waker_.cancel();
  const auto closed = make_error_code(error::closed);
  for (auto& op : waiting_) complete(op, closed, {}, true);
  waiting_.clear();
  for (auto& [id, op] : pending_) complete(op, closed, {}, true);
  pending_.clear();
  for (auto& f : flushes_) asio::post(ex_, asio::append(f.handler.take(), closed));
  flushes_.clear();
  if (close_handler_) asio::post(ex_, asio::append(close_handler_.take(), closed));
}

void producer_impl::wait_for_events() {
  if (waiting_for_events_) return;
  waiting_for_events_ = true;
  waker_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    self->waiting_for_events_ = false;
    if (ec || self->closed_) return;
    self->drain();
    self->wait_for_events();
  });
}

void producer_impl::drain() {
  auto self = shared_from_this();
  for (;;) {
    rd_kafka_event_t* ev = rd_kafka_queue_poll(main_q_, 0);
    if (!ev) {
      if (rd_kafka_queue_length(main_q_) == 0) break;
      continue;
    }
    switch (rd_kafka_event_type(ev)) {
      case RD_KAFKA_EVENT_DR:
        handle_delivery(ev);
        break;
      case RD_KAFKA_EVENT_ERROR:
        report(make_kafka_error_code(rd_kafka_event_error(ev)), rd_kafka_event_error_string(ev));
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
  send_waiting();
  check_flush();
}

void producer_impl::handle_delivery(rd_kafka_event_t* ev) {
  while (const rd_kafka_message_t* m = rd_kafka_event_message_next(ev)) {
    --sent_;
    const auto ec = make_kafka_error_code(m->err);
    if (ec)
      ++failed_;
    else
      ++delivered_;
    const auto id = reinterpret_cast<std::uintptr_t>(m->_private);
    auto it = id ? pending_.find(id) : pending_.end();
    if (it == pending_.end()) {
      if (ec) {
        std::string ctx = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
        report(ec, ctx + "[" + std::to_string(m->partition) + "]");
      }
      continue;
    }
    delivery_report dr{m->rkt ? rd_kafka_topic_name(m->rkt) : "", m->partition, m->offset};
    auto op = std::move(it->second);
    pending_.erase(it);
    complete(op, ec, std::move(dr), false);
  }
}

bool producer_impl::try_send(produce_op& op) {
  rd_kafka_headers_t* hdrs = nullptr;
  if (!op.rec.headers.empty()) {
    hdrs = rd_kafka_headers_new(op.rec.headers.size());
    for (const auto& h : op.rec.headers)
      rd_kafka_header_add(hdrs, h.name.data(), static_cast<ssize_t>(h.name.size()),
                          h.value ? h.value->data() : nullptr, h.value ? static_cast<ssize_t>(h.value->size()) : 0);
  }
  const std::int64_t ts =
      op.rec.timestamp
          ? std::chrono::duration_cast<std::chrono::milliseconds>(op.rec.timestamp->time_since_epoch()).count()
          : 0;
  const std::uint64_t opaque = op.handler ? op.id : 0;
  const void* key_data = op.rec.key ? op.rec.key->data() : nullptr;
  const std::size_t key_size = op.rec.key ? op.rec.key->size() : 0;
  void* value_data = op.rec.value ? op.rec.value->data() : nullptr;
  const std::size_t value_size = op.rec.value ? op.rec.value->size() : 0;
  const auto err = rd_kafka_producev(
      rk_, RD_KAFKA_V_TOPIC(op.rec.topic.c_str()),
      RD_KAFKA_V_PARTITION(op.rec.partition.value_or(RD_KAFKA_PARTITION_UA)),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_VALUE(value_data, value_size),
      RD_KAFKA_V_KEY(key_data, key_size),
      RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_TIMESTAMP(ts),
      RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(opaque))), RD_KAFKA_V_END);
  if (err && hdrs) rd_kafka_headers_destroy(hdrs);  // ownership passes only on success
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return false;
  op.slot.clear();
  if (err) {
    ++failed_;
    if (!op.handler) report(make_kafka_error_code(err), op.rec.topic);
    complete(op, make_kafka_error_code(err), {}, true);
    return true;
  }
  ++sent_;
  if (op.handler) {
    op.rec = {};  // librdkafka copied the data
    pending_.emplace(op.id, std::move(op));
  }
  return true;
}

void producer_impl::send_waiting() {
  while (!waiting_.empty()) {
    if (!try_send(waiting_.front())) return;
    waiting_.pop_front();
  }
}

void producer_impl::complete(produce_op& op, const error_code& ec, delivery_report dr, bool post) {
  if (!op.handler) return;
  if (post)
    asio::post(ex_, asio::append(op.handler.take(), ec, std::move(dr)));
  else
    asio::dispatch(ex_, asio::append(op.handler.take(), ec, std::move(dr)));
}

void producer_impl::produce(record r, report_handler h) {
  produce_op op;
  op.id = next_id_++;
  op.rec = std::move(r);
  op.handler = std::move(h);
  if (closed_) {
    if (!op.handler) report(make_error_code(error::closed), op.rec.topic);
    complete(op, make_error_code(error::closed), {}, true);
    return;
  }
  if (waiting_.empty() && try_send(op)) return;
  if (op.handler) {
    op.slot = op.handler.slot();
    if (op.slot.is_connected())
      op.slot.assign([weak = weak_from_this(), id = op.id](asio::cancellation_type) {
        if (auto self = weak.lock()) self->cancel_waiting(id);
      });
  }
  waiting_.push_back(std::move(op));
}

// Runs inside the slot's handler: the slot is left alone.
void producer_impl::cancel_waiting(std::uint64_t id) {
  auto op = take_by_id(waiting_, id);
  if (!op) return;
  op->slot = {};
  complete(*op, asio::error::operation_aborted, {}, true);
  check_flush();
}

void producer_impl::flush(plain_handler h) {
  if (in_flight() == 0) {
    asio::post(ex_, asio::append(std::move(h), error_code{}));
    return;
  }
  flush_waiter f{next_id_++, std::move(h), {}};
  f.slot = f.handler.slot();
  if (f.slot.is_connected())
    f.slot.assign([weak = weak_from_this(), id = f.id](asio::cancellation_type) {
      if (auto self = weak.lock()) self->cancel_flush(id);
    });
  flushes_.push_back(std::move(f));
}

void producer_impl::cancel_flush(std::uint64_t id) {
  auto f = take_by_id(flushes_, id);
  if (!f) return;
  asio::post(ex_, asio::append(f->handler.take(), asio::error::operation_aborted));
}

void producer_impl::check_flush() {
  if (in_flight() != 0) return;
  while (!flushes_.empty()) {
    auto f = std::move(flushes_.front());
    flushes_.pop_front();
    f.slot.clear();
    asio::post(ex_, asio::append(f.handler.take(), error_code{}));
  }
  if (close_handler_) {
    closed_ = true;
    waker_.cancel();  // nothing is outstanding: stop holding the event loop
    asio::post(ex_, asio::append(close_handler_.take(), error_code{}));
  }
}

void producer_impl::close(plain_handler h) {
  if (closed_ || close_handler_) {
    asio::post(ex_, asio::append(std::move(h), closed_ ? error_code{} : make_error_code(error::already_pending)));
    return;
  }
  close_handler_ = std::move(h);
  if (in_flight() == 0) check_flush();
}

void producer_impl::report(const error_code& ec, std::string_view context) {
  if (opts_.on_error) {
    opts_.on_error(ec, context);
    return;
  }
  if (opts_.log) opts_.log(log_level::warning, "ERROR", ec.message() + " (" + std::string(context) + ")");
}

}  // namespace asiokafka::detail
