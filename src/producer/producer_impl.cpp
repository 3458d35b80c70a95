#include "producer/producer_impl.hpp"

#include <asiokafka/config.hpp>

#include "detail/rd_conf.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <utility>

namespace asio = boost::asio;

namespace asiokafka::detail {

producer_impl::producer_impl(asio::any_io_executor ex, const composed_config& config, producer_options options)
    : core_(std::move(ex), RD_KAFKA_PRODUCER, make_rd_conf(config), RD_KAFKA_EVENT_DR,
            {std::move(options.on_error), std::move(options.on_statistics), std::move(options.log),
             std::move(options.token_provider)},
            "asiokafka producer"),
      rk_(core_.rk()),
      main_q_(core_.bridge(rd_kafka_queue_get_main(rk_))) {}

producer_impl::~producer_impl() = default;

void producer_impl::start() {
  core_.start(
      shared_from_this(), [this] { drain(); }, [this] { return !closed_; });
}

void producer_impl::shutdown() {
  if (closed_ && waiting_.empty() && pending_.empty() && flushes_.empty() && !close_handler_) {
    core_.stop();
    return;
  }
  closed_ = true;
  // Records still queued are dropped: their handlers learn it now.
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING);
  core_.stop();
  const auto closed = make_error_code(error::closed);
  auto fail = [&](produce_op& op) { complete(op, closed, {}, completion_mode::post); };
  complete_all(waiting_, fail);
  complete_all(pending_, fail);
  complete_flushes(closed);
  start_deferred_commit();  // fails: closed
  if (close_handler_) asio::post(executor(), asio::append(close_handler_.take(), closed));
}

void producer_impl::drain() {
  auto self = shared_from_this();
  core_.drain(main_q_, [this](rd_kafka_event_t* ev) {
    switch (rd_kafka_event_type(ev)) {
      case RD_KAFKA_EVENT_DR:
        handle_delivery(ev);
        break;
      case RD_KAFKA_EVENT_ERROR:
        report_error(ev);
        break;
      default:
        core_.serve_common_event(ev);
        break;
    }
    rd_kafka_event_destroy(ev);
    return true;
  });
  send_waiting();
  check_flush();
}

void producer_impl::report_error(rd_kafka_event_t* ev) {
  if (!rd_kafka_event_error_is_fatal(ev)) {
    core_.report({.code = make_kafka_error_code(rd_kafka_event_error(ev)),
                  .operation = "client",
                  .detail = rd_kafka_event_error_string(ev)});
    return;
  }
  // The event says only _FATAL: the cause (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, ...) is
  // reported, classified fatal, so an owner that is between transaction calls (an idle
  // exactly-once subscriber) learns now that the producer is unusable.
  char reason[512] = "";
  const auto err = rd_kafka_fatal_error(rk_, reason, sizeof reason);
  core_.report(
      {.code = make_transaction_error_code(err ? err : RD_KAFKA_RESP_ERR__FATAL, transaction_error_class::fatal),
       .operation = "fatal",
       .detail = reason});
}

void producer_impl::report_delivery_failure(const produce_op& op, const error_code& ec) {
  core_.report(
      {.code = ec, .operation = "delivery", .topic = op.rec.topic, .partition = op.rec.partition.value_or(-1)});
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
      if (ec)
        core_.report({.code = ec,
                      .operation = "delivery",
                      .topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "",
                      .partition = m->partition});
      continue;
    }
    delivery_report dr{m->rkt ? rd_kafka_topic_name(m->rkt) : "", m->partition, m->offset};
    auto op = std::move(it->second);
    pending_.erase(it);
    complete(op, ec, std::move(dr), completion_mode::dispatch);
  }
}

bool producer_impl::try_send(produce_op& op) {
  rd_kafka_headers_t* hdrs = nullptr;
  if (!op.rec.headers.empty()) {
    hdrs = rd_kafka_headers_new(op.rec.headers.size());
    for (const auto& h : op.rec.headers)
      rd_kafka_header_add(hdrs, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value ? h.value->data() : nullptr,
                          h.value ? static_cast<ssize_t>(h.value->size()) : 0);
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
      RD_KAFKA_V_PARTITION(op.rec.partition.value_or(RD_KAFKA_PARTITION_UA)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_VALUE(value_data, value_size), RD_KAFKA_V_KEY(key_data, key_size), RD_KAFKA_V_HEADERS(hdrs),
      RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(opaque))),
      RD_KAFKA_V_END);
  if (err && hdrs) rd_kafka_headers_destroy(hdrs);  // ownership passes only on success
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return false;
  op.slot.clear();
  if (err) {
    ++failed_;
    if (!op.handler) report_delivery_failure(op, make_kafka_error_code(err));
    complete(op, make_kafka_error_code(err), {}, completion_mode::post);
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
  start_deferred_commit();
}

void producer_impl::complete(produce_op& op, const error_code& ec, delivery_report dr, completion_mode mode) {
  if (op.handler) core_.complete(for_handler(mode, op.direct), op.handler.take(), ec, std::move(dr));
}

void producer_impl::start_produce(record r, report_handler h, bool direct) {
  produce_op op;
  op.direct = direct;
  op.id = next_id_++;
  op.rec = std::move(r);
  op.handler = std::move(h);
  if (closed_) {
    if (!op.handler) report_delivery_failure(op, make_error_code(error::closed));
    complete(op, make_error_code(error::closed), {}, completion_mode::post);
    return;
  }
  if (waiting_.empty() && try_send(op)) return;
  if (op.handler) {
    op.slot = op.handler.slot();
    connect_cancellation<&producer_impl::cancel_waiting>(op.slot, *this, op.id);
  }
  waiting_.push_back(std::move(op));
}

// Any cancellation type: the record never reached librdkafka.
void producer_impl::cancel_waiting(std::uint64_t id, asio::cancellation_type) {
  const bool found = cancel_by_id(
      waiting_, id, [&](produce_op& op) { complete(op, asio::error::operation_aborted, {}, completion_mode::post); });
  if (found) check_flush();
}

void producer_impl::start_flush(plain_handler h) {
  if (in_flight() == 0) {
    asio::post(executor(), asio::append(std::move(h), error_code{}));
    return;
  }
  flush_waiter f{next_id_++, std::move(h), {}};
  f.slot = f.handler.slot();
  connect_cancellation<&producer_impl::cancel_flush>(f.slot, *this, f.id);
  flushes_.push_back(std::move(f));
}

void producer_impl::cancel_flush(std::uint64_t id, asio::cancellation_type) {
  cancel_by_id(flushes_, id, [&](flush_waiter& f) {
    asio::post(executor(), asio::append(f.handler.take(), asio::error::operation_aborted));
  });
}

void producer_impl::check_flush() {
  if (in_flight() != 0) return;
  complete_flushes({});
  if (close_handler_) {
    closed_ = true;
    core_.stop();  // nothing is outstanding: stop holding the event loop
    asio::post(executor(), asio::append(close_handler_.take(), error_code{}));
  }
}

void producer_impl::start_close(plain_handler h) {
  if (closed_ || close_handler_) {
    asio::post(executor(),
               asio::append(std::move(h), closed_ ? error_code{} : make_error_code(error::already_pending)));
    return;
  }
  close_handler_ = std::move(h);
  if (in_flight() == 0) check_flush();
}

void producer_impl::complete_flushes(const error_code& ec) {
  complete_all(flushes_, [&](flush_waiter& f) { asio::post(executor(), asio::append(f.handler.take(), ec)); });
}

}  // namespace asiokafka::detail
