// The consumer's close sequence, step by step: no Kafka, no timers.
#define BOOST_TEST_MODULE test_close_sequence
#include <boost/test/unit_test.hpp>

#include "consumer/close_sequence.hpp"

using asiokafka::error_code;
using asiokafka::detail::close_action;
using asiokafka::detail::close_progress;
using asiokafka::detail::close_queue_result;
using asiokafka::detail::close_sequence;
using asiokafka::detail::close_state;

namespace {
const error_code no_error{};
const error_code fatal = asiokafka::make_kafka_error_code(82);  // FENCED_INSTANCE_ID
}  // namespace

BOOST_AUTO_TEST_SUITE(test_close_sequence)

BOOST_AUTO_TEST_CASE(starts_open) {
  close_sequence s;
  BOOST_TEST(s.open());
  BOOST_TEST(!s.closed());
  BOOST_TEST((s.on_progress({.rebalance_running = false, .librdkafka_closed = true}) == close_action::none));
  BOOST_TEST((s.on_fatal() == close_action::none));
  BOOST_TEST(s.open());
}

BOOST_AUTO_TEST_CASE(graceful_close_waits_for_librdkafka_then_finishes) {
  close_sequence s;
  BOOST_TEST((s.on_close(no_error) == close_action::open_close_queue));
  BOOST_TEST((s.state() == close_state::closing));
  BOOST_TEST((s.on_close_queue(close_queue_result::started) == close_action::none));
  BOOST_TEST((s.on_progress({.rebalance_running = false, .librdkafka_closed = false}) == close_action::none));
  BOOST_TEST((s.state() == close_state::closing));
  BOOST_TEST((s.on_progress({.rebalance_running = false, .librdkafka_closed = true}) == close_action::finish));
  BOOST_TEST(s.closed());
}

BOOST_AUTO_TEST_CASE(a_running_rebalance_holds_the_close) {
  close_sequence s;
  s.on_close(no_error);
  s.on_close_queue(close_queue_result::started);
  BOOST_TEST((s.on_progress({.rebalance_running = true, .librdkafka_closed = true}) == close_action::none));
  BOOST_TEST((s.state() == close_state::closing));
  BOOST_TEST((s.on_progress({.rebalance_running = false, .librdkafka_closed = true}) == close_action::finish));
}

BOOST_AUTO_TEST_CASE(close_of_a_fatal_consumer_finishes_at_once) {
  close_sequence s;
  BOOST_TEST((s.on_close(fatal) == close_action::finish));
  BOOST_TEST(s.closed());
}

BOOST_AUTO_TEST_CASE(fatal_error_while_closing_finishes) {
  close_sequence s;
  s.on_close(no_error);
  s.on_close_queue(close_queue_result::started);
  BOOST_TEST((s.on_fatal() == close_action::finish));
  BOOST_TEST(s.closed());
  BOOST_TEST((s.on_fatal() == close_action::none));
}

BOOST_AUTO_TEST_CASE(close_queue_on_an_already_closed_handle_finishes_with_success) {
  close_sequence s;
  s.on_close(no_error);
  BOOST_TEST((s.on_close_queue(close_queue_result::already_closed) == close_action::finish));
  BOOST_TEST(s.closed());
}

BOOST_AUTO_TEST_CASE(close_queue_refused_finishes_with_its_error) {
  close_sequence s;
  s.on_close(no_error);
  BOOST_TEST((s.on_close_queue(close_queue_result::failed) == close_action::finish_with_error));
  BOOST_TEST(s.closed());
}

BOOST_AUTO_TEST_CASE(second_close_while_closing_is_rejected) {
  close_sequence s;
  s.on_close(no_error);
  BOOST_TEST((s.on_close(no_error) == close_action::reject_already_pending));
  BOOST_TEST((s.state() == close_state::closing));
}

BOOST_AUTO_TEST_CASE(close_after_closed_succeeds_again) {
  close_sequence s;
  s.on_close(fatal);
  BOOST_TEST((s.on_close(no_error) == close_action::complete_success));
  BOOST_TEST((s.on_close(fatal) == close_action::complete_success));
}

BOOST_AUTO_TEST_CASE(destroy_aborts_an_open_or_closing_consumer_once) {
  close_sequence open;
  BOOST_TEST((open.on_destroy() == close_action::abort));
  BOOST_TEST(open.closed());
  BOOST_TEST((open.on_destroy() == close_action::none));

  close_sequence closing;
  closing.on_close(no_error);
  BOOST_TEST((closing.on_destroy() == close_action::abort));
  // librdkafka's late answers change nothing any more.
  BOOST_TEST((closing.on_progress({.rebalance_running = false, .librdkafka_closed = true}) == close_action::none));
  BOOST_TEST((closing.on_close_queue(close_queue_result::failed) == close_action::none));
}

BOOST_AUTO_TEST_CASE(destroy_after_a_finished_close_does_nothing) {
  close_sequence s;
  s.on_close(no_error);
  s.on_close_queue(close_queue_result::already_closed);
  BOOST_TEST((s.on_destroy() == close_action::none));
}

BOOST_AUTO_TEST_SUITE_END()
