// Executes the close sequence (close_sequence.hpp decides): fails what is pending, hands
// librdkafka a close queue, and completes the close when librdkafka reports the consumer
// closed.
#include "consumer/consumer_impl.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/post.hpp>

namespace asio = boost::asio;

namespace asiokafka::detail {

void consumer_impl::start_close(plain_handler h) {
  const close_action action = close_seq_.on_close(fatal_);
  if (action == close_action::complete_success || action == close_action::reject_already_pending) {
    asio::post(executor(), asio::append(std::move(h), action == close_action::complete_success
                                                          ? error_code{}
                                                          : make_error_code(error::already_pending)));
    return;
  }
  close_handler_ = std::move(h);
  flush_stores();  // librdkafka's close commits the stored offsets
  fail_receives(make_error_code(error::closed));
  // Fetched but undelivered messages were never processed: they are not committed and the
  // next owner of the partitions receives them.
  buffer_.clear();
  held_.clear();
  if (action == close_action::finish)
    finish_close({});
  else
    open_close_queue();
}

void consumer_impl::open_close_queue() {
  close_q_ = core_.bridge(rd_kafka_queue_new(rk_));
  rd_kafka_error_t* e = rd_kafka_consumer_close_queue(rk_, close_q_);
  if (!e) {
    close_seq_.on_close_queue(close_queue_result::started);
    asio::post(executor(), [self = shared_from_this()] { self->drain(); });
    return;
  }
  const auto code = rd_kafka_error_code(e);
  const std::string text = rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  const bool already_closed = code == RD_KAFKA_RESP_ERR__DESTROY || rd_kafka_consumer_closed(rk_);
  const auto ec = make_kafka_error_code(code);
  if (!already_closed) core_.report({.code = ec, .operation = "close", .detail = text});
  switch (close_seq_.on_close_queue(already_closed ? close_queue_result::already_closed : close_queue_result::failed)) {
    case close_action::finish:
      finish_close({});
      break;
    case close_action::finish_with_error:
      finish_close(ec);
      break;
    default:
      break;
  }
}

void consumer_impl::check_closed() {
  // librdkafka is asked only while closing: this runs after every drain.
  if (close_seq_.state() != close_state::closing) return;
  const close_progress progress{.rebalance_running = rebalancing_,
                                .librdkafka_closed = !rebalancing_ && rd_kafka_consumer_closed(rk_)};
  if (close_seq_.on_progress(progress) == close_action::finish) finish_close({});
}

void consumer_impl::finish_close(const error_code& ec) {
  keepalive_.cancel();
  hold_timer_.cancel();
  core_.stop();
  fail_commits(make_error_code(error::closed));
  if (close_handler_) asio::post(executor(), asio::append(close_handler_.take(), ec));
}

}  // namespace asiokafka::detail
