// The consumer's lifetime and event loop: creation on the client core, queue serving,
// librdkafka's events and fatal errors.
#include "consumer/consumer_impl.hpp"

#include <asiokafka/config.hpp>

#include "detail/rd_conf.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>

namespace asio = boost::asio;

namespace asiokafka::detail {
namespace {

rd_conf_ptr consumer_conf(const composed_config& config) {
  auto conf = make_rd_conf(config);
  if (!config.get("group.id"))
    throw config_error("group.id", config_scope::subscriber, config.name(),
                       "a consumer needs a group.id (offsets are committed to its group)");
  return conf;
}

client_sinks sinks_of(const consumer_options& o) { return {o.on_error, o.on_statistics, o.log, o.token_provider}; }

}  // namespace

consumer_impl::consumer_impl(asio::any_io_executor ex, const composed_config& config, consumer_options options)
    : opts_(std::move(options)),
      core_(std::move(ex), RD_KAFKA_CONSUMER, consumer_conf(config),
            RD_KAFKA_EVENT_REBALANCE | RD_KAFKA_EVENT_OFFSET_COMMIT, sinks_of(opts_),
            "asiokafka consumer \"" + config.name() + "\""),
      rk_(core_.rk()),
      keepalive_(core_.executor()),
      flow_(opts_.max_buffered_messages),
      hold_timer_(core_.executor()) {
  const rd_kafka_conf_t* conf = rd_kafka_conf(rk_);
  track_offsets_ = !conf_bool(conf, "enable.auto.offset.store", true);
  keepalive_period_ =
      std::chrono::milliseconds(std::max<long long>(conf_int(conf, "max.poll.interval.ms", 300000) / 2, 100));
  rd_kafka_poll_set_consumer(rk_);
  consumer_q_ = core_.bridge(rd_kafka_queue_get_consumer(rk_));
  ops_q_ = core_.bridge(rd_kafka_queue_new(rk_));
}

// The core destroys the queues; events and messages referring into them go first.
consumer_impl::~consumer_impl() {
  for (auto* ev : rebalances_) rd_kafka_event_destroy(ev);
  buffer_.clear();
  held_.clear();
}

void consumer_impl::start() {
  core_.start(
      shared_from_this(), [this] { drain(); }, [this] { return !close_seq_.closed(); });
  arm_keepalive();
}

// librdkafka's max.poll.interval.ms counts from the last poll of the consumer queue; an
// application that is not receiving (and a paused, quiet consumer) must not drop out of the
// group, so the queue is also served at half that interval.
void consumer_impl::arm_keepalive() {
  keepalive_.expires_after(keepalive_period_);
  keepalive_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->close_seq_.closed()) return;
    self->drain();
    self->arm_keepalive();
  });
}

void consumer_impl::shutdown() {
  if (close_seq_.on_destroy() != close_action::abort) return;
  keepalive_.cancel();
  hold_timer_.cancel();
  core_.stop();
  const auto closed = make_error_code(error::closed);
  fail_receives(closed);
  fail_commits(closed);
  if (close_handler_) asio::post(executor(), asio::append(close_handler_.take(), closed));
}

// ---- queue serving ---------------------------------------------------------------------

void consumer_impl::drain() {
  if (draining_) return;
  auto self = shared_from_this();
  draining_ = true;
  serve(consumer_q_, true);
  serve(ops_q_);
  if (close_q_) serve(close_q_);
  deliver();
  flush_stores();
  draining_ = false;
  flow_control();
  check_closed();
}

void consumer_impl::serve(rd_kafka_queue_t* q, bool bounded) {
  // A full buffer makes the flow gate hold: what it leaves in librdkafka's queue is taken
  // from a drain posted when the buffer is half empty (librdkafka signals nothing new for it).
  auto may_serve = [this, bounded] {
    if (close_seq_.closed()) return false;
    if (!bounded) return true;
    if (buffer_.size() >= flow_.limit()) flow_control();
    return flow_.may_serve(buffer_.size());
  };
  if (!may_serve()) return;
  core_.drain(q, [this, &may_serve](rd_kafka_event_t* ev) {
    handle_event(ev);
    return may_serve();
  });
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
    default:
      core_.serve_common_event(ev);
      break;
  }
  rd_kafka_event_destroy(ev);
}

void consumer_impl::handle_fetch(rd_kafka_event_t* ev) {
  const rd_kafka_message_t* m = rd_kafka_event_message_next(ev);
  if (!m || m->err) {
    if (m && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      core_.report({.code = make_kafka_error_code(m->err),
                    .operation = "fetch",
                    .topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "",
                    .partition = m->partition,
                    .offset = m->offset,
                    .detail = rd_kafka_message_errstr(m)});
    }
    rd_kafka_event_destroy(ev);
    return;
  }
  message msg = message::adopt_event(core_.handle(), ev, m);
  if (!user_paused_.empty()) {
    key k{std::string(msg.topic()), msg.partition()};
    if (user_paused_.count(k)) {
      held_[k].push_back(std::move(msg));
      return;
    }
  }
  buffer_.push_back(std::move(msg));
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
  core_.report({.code = ec, .operation = "client", .detail = text ? text : ""});
}

void consumer_impl::enter_fatal(const error_code& ec, std::string reason) {
  if (fatal_) return;
  fatal_ = ec;
  fatal_reason_ = std::move(reason);
  core_.report({.code = ec, .operation = "fatal", .detail = fatal_reason_});
  fail_receives(fatal_);
  fail_commits(fatal_);
  buffer_.clear();
  held_.clear();
  if (close_seq_.on_fatal() == close_action::finish) finish_close({});
}

}  // namespace asiokafka::detail
