// The consumer's flow gate, step by step: no Kafka, no timers.
#define BOOST_TEST_MODULE test_flow_gate
#include <boost/test/unit_test.hpp>

#include "consumer/flow_gate.hpp"

using asiokafka::detail::flow_action;
using asiokafka::detail::flow_gate;

BOOST_AUTO_TEST_SUITE(test_flow_gate)

BOOST_AUTO_TEST_CASE(below_the_limit_keeps_fetching) {
  flow_gate g(10);
  for (std::size_t n = 0; n < 10; ++n) BOOST_TEST((g.on_buffered(n) == flow_action::none));
  BOOST_TEST(!g.paused());
}

BOOST_AUTO_TEST_CASE(reaching_the_limit_pauses_once) {
  flow_gate g(10);
  BOOST_TEST((g.on_buffered(10) == flow_action::pause));
  BOOST_TEST(g.paused());
  // Records librdkafka had already fetched still arrive: no second pause.
  BOOST_TEST((g.on_buffered(12) == flow_action::none));
  BOOST_TEST((g.on_buffered(10) == flow_action::none));
  BOOST_TEST(g.paused());
}

BOOST_AUTO_TEST_CASE(resumes_only_when_half_empty) {
  flow_gate g(10);
  BOOST_TEST((g.on_buffered(11) == flow_action::pause));
  BOOST_TEST((g.on_buffered(9) == flow_action::none));
  BOOST_TEST((g.on_buffered(6) == flow_action::none));
  BOOST_TEST((g.on_buffered(5) == flow_action::resume));
  BOOST_TEST(!g.paused());
  BOOST_TEST((g.on_buffered(4) == flow_action::none));
}

BOOST_AUTO_TEST_CASE(pauses_again_after_a_resume) {
  flow_gate g(4);
  BOOST_TEST((g.on_buffered(4) == flow_action::pause));
  BOOST_TEST((g.on_buffered(0) == flow_action::resume));
  BOOST_TEST((g.on_buffered(3) == flow_action::none));
  BOOST_TEST((g.on_buffered(4) == flow_action::pause));
}

BOOST_AUTO_TEST_CASE(a_limit_below_two_is_raised_to_two) {
  flow_gate zero(0);
  BOOST_TEST(zero.limit() == 2u);
  BOOST_TEST((zero.on_buffered(1) == flow_action::none));
  BOOST_TEST((zero.on_buffered(2) == flow_action::pause));
  BOOST_TEST((zero.on_buffered(1) == flow_action::resume));
}

BOOST_AUTO_TEST_SUITE_END()
