#include "detail/client_core.hpp"

#include "detail/log_event.hpp"

#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

namespace asiokafka::detail {

namespace {

// Created before the handle so that a configuration librdkafka refuses never leaks one.
std::shared_ptr<rd_handle> create_handle(rd_kafka_type_t type, rd_conf_ptr conf, int events,
                                         std::string_view label) {
  // Internal plumbing, not user-tunable behaviour: logs become events too.
  char errstr[512];
  rd_kafka_conf_set(conf.get(), "log.queue", "true", errstr, sizeof errstr);
  rd_kafka_conf_set_events(conf.get(), events | RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_LOG | RD_KAFKA_EVENT_STATS);
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
  if (!rk)
    throw boost::system::system_error(make_error_code(error::invalid_config), std::string(label) + ": " + errstr);
  conf.release();  // owned by rk now
  rd_kafka_set_log_queue(rk, nullptr);
  return std::make_shared<rd_handle>(rk);
}

}  // namespace

client_core::client_core(boost::asio::any_io_executor ex, rd_kafka_type_t type, rd_conf_ptr conf, int events,
                         client_sinks sinks, std::string_view label)
    : ex_(std::move(ex)),
      completion_ex_(ex_),
      sinks_(std::move(sinks)),
      handle_(create_handle(type, std::move(conf), events, label)),
      rk_(handle_->rk),
      waker_(ex_) {
  if (!sinks_.log) sinks_.log = log_to_stderr();
}

client_core::~client_core() {
  for (auto* q : queues_) {
    waker_.detach(q);
    rd_kafka_queue_destroy(q);
  }
}

rd_kafka_queue_t* client_core::bridge(rd_kafka_queue_t* q) {
  queues_.push_back(q);
  waker_.attach(q);
  return q;
}

void client_core::start(std::shared_ptr<void> owner, std::function<void()> drain, std::function<bool()> serving) {
  drain_ = std::move(drain);
  serving_ = std::move(serving);
  wait(owner);
  boost::asio::post(ex_, [this, owner] { drain_(); });
}

void client_core::wait(std::shared_ptr<void> owner) {
  if (waiting_) return;
  waiting_ = true;
  waker_.async_wait([this, owner](boost::system::error_code ec) {
    waiting_ = false;
    if (ec || !serving_()) return;
    drain_();
    if (serving_()) wait(owner);
  });
}

void client_core::stop() { waker_.cancel(); }

bool client_core::serve_common_event(rd_kafka_event_t* ev) {
  switch (rd_kafka_event_type(ev)) {
    case RD_KAFKA_EVENT_LOG:
      forward_log_event(ev, sinks_.log);
      return true;
    case RD_KAFKA_EVENT_STATS:
      if (sinks_.on_statistics) sinks_.on_statistics(rd_kafka_event_stats(ev));
      return true;
    default:
      return false;
  }
}

void client_core::report(const error_code& ec, std::string_view context) {
  if (sinks_.on_error) {
    sinks_.on_error(ec, context);
    return;
  }
  log(log_level::warning, "ERROR", ec.message() + " (" + std::string(context) + ")");
}

void client_core::log(log_level level, std::string_view facility, std::string_view line) {
  if (sinks_.log) sinks_.log(level, facility, line);
}

}  // namespace asiokafka::detail
