// The consumer's flow gate, step by step: no Kafka, no timers.
#define BOOST_TEST_MODULE test_flow_gate
#include <boost/test/unit_test.hpp>

#include "consumer/flow_gate.hpp"

using asiokafka::detail::flow_action;
using asiokafka::detail::flow_gate;

BOOST_AUTO_TEST_SUITE(test_flow_gate)

BOOST_AUTO_TEST_CASE(below_the_limit_keeps_serving) {
  flow_gate g(10);
  for (std::size_t n = 0; n < 10; ++n) {
    BOOST_TEST((g.on_buffered(n) == flow_action::none));
    BOOST_TEST(g.may_serve(n));
  }
  BOOST_TEST(!g.paused());
  BOOST_TEST(!g.holding());
  BOOST_TEST(!g.may_serve(10));  // the event that would make it full stays in librdkafka's queue
}

BOOST_AUTO_TEST_CASE(reaching_the_limit_holds_once_without_pausing) {
  flow_gate g(10);
  BOOST_TEST((g.on_buffered(10) == flow_action::hold));
  BOOST_TEST(g.holding());
  BOOST_TEST(!g.paused());
  BOOST_TEST(!g.may_serve(9));  // holding: nothing is taken until half empty
  BOOST_TEST((g.on_buffered(10) == flow_action::none));
  BOOST_TEST((g.on_buffered(7) == flow_action::none));
}

BOOST_AUTO_TEST_CASE(a_buffer_worked_off_within_the_hold_time_serves_again_without_a_pause) {
  flow_gate g(10);
  BOOST_TEST((g.on_buffered(10) == flow_action::hold));
  BOOST_TEST((g.on_buffered(6) == flow_action::none));
  BOOST_TEST((g.on_buffered(5) == flow_action::serve));
  BOOST_TEST(!g.holding());
  BOOST_TEST(g.may_serve(5));
  // The hold timer started before expires now: nothing to do.
  BOOST_TEST((g.on_hold_expired(5) == flow_action::none));
  BOOST_TEST((g.on_hold_expired(9) == flow_action::none));
  BOOST_TEST(!g.paused());
}

BOOST_AUTO_TEST_CASE(a_buffer_still_full_at_the_hold_time_pauses_and_serves_everything) {
  flow_gate g(10);
  BOOST_TEST((g.on_buffered(10) == flow_action::hold));
  BOOST_TEST((g.on_buffered(8) == flow_action::none));
  BOOST_TEST((g.on_hold_expired(8) == flow_action::pause));
  BOOST_TEST(g.paused());
  BOOST_TEST(!g.holding());
  // Paused: every event is served (rebalances behind the messages), the buffer may overshoot.
  BOOST_TEST(g.may_serve(10));
  BOOST_TEST(g.may_serve(40));
  BOOST_TEST((g.on_buffered(40) == flow_action::none));
  BOOST_TEST((g.on_hold_expired(40) == flow_action::none));  // one pause per hold
  BOOST_TEST((g.on_buffered(6) == flow_action::none));
  BOOST_TEST((g.on_buffered(5) == flow_action::resume));
  BOOST_TEST(!g.paused());
  BOOST_TEST(g.may_serve(5));
}

BOOST_AUTO_TEST_CASE(a_buffer_that_shrank_without_a_receive_serves_at_the_hold_time) {
  flow_gate g(10);
  BOOST_TEST((g.on_buffered(10) == flow_action::hold));
  // A seek dropped the buffered messages: no receive reported the smaller buffer.
  BOOST_TEST((g.on_hold_expired(3) == flow_action::serve));
  BOOST_TEST(!g.holding());
  BOOST_TEST(!g.paused());
  BOOST_TEST(g.may_serve(3));
}

BOOST_AUTO_TEST_CASE(holds_again_after_serving_or_resuming) {
  flow_gate g(4);
  BOOST_TEST((g.on_buffered(4) == flow_action::hold));
  BOOST_TEST((g.on_buffered(2) == flow_action::serve));
  BOOST_TEST((g.on_buffered(3) == flow_action::none));
  BOOST_TEST((g.on_buffered(4) == flow_action::hold));
  BOOST_TEST((g.on_hold_expired(4) == flow_action::pause));
  BOOST_TEST((g.on_buffered(0) == flow_action::resume));
  BOOST_TEST((g.on_buffered(4) == flow_action::hold));
}

BOOST_AUTO_TEST_CASE(a_limit_below_two_is_raised_to_two) {
  flow_gate zero(0);
  BOOST_TEST(zero.limit() == 2u);
  BOOST_TEST((zero.on_buffered(1) == flow_action::none));
  BOOST_TEST((zero.on_buffered(2) == flow_action::hold));
  BOOST_TEST((zero.on_buffered(1) == flow_action::serve));
}

BOOST_AUTO_TEST_SUITE_END()
