// The ack policy table and the batch subscriber's batching, step by step, without Kafka or timers.
#define BOOST_TEST_MODULE test_ack_decision
#include <boost/test/unit_test.hpp>

#include "broker/ack_decision.hpp"
#include "broker/batch_window.hpp"

using namespace std::chrono_literals;
using asiokafka::ack_policy;
using asiokafka::context;
using namespace asiokafka::detail;

namespace {

ack_rules rules(ack_policy p, bool dlq = false, int max_retries = 3) { return {p, max_retries, 100ms, dlq}; }

attempt_outcome ok(int attempt = 0) { return {failure_kind::none, context::decision::none, attempt, false}; }
attempt_outcome threw(int attempt = 0) { return {failure_kind::handler, context::decision::none, attempt, false}; }
attempt_outcome undecodable() { return {failure_kind::decode, context::decision::none, 0, false}; }
attempt_outcome decided(context::decision d, int attempt = 0) { return {failure_kind::none, d, attempt, false}; }

ack_action action(const ack_rules& r, const attempt_outcome& o) { return decide_ack(r, o).action; }

}  // namespace

BOOST_AUTO_TEST_SUITE(test_ack_decision)

BOOST_AUTO_TEST_CASE(ack_first_stores_before_and_does_nothing_after) {
  const auto r = rules(ack_policy::ack_first, true);
  BOOST_TEST(stores_before_handling(r));
  BOOST_TEST((action(r, ok()) == ack_action::none));
  BOOST_TEST((action(r, threw()) == ack_action::none));
  BOOST_TEST((action(r, undecodable()) == ack_action::none));
}

BOOST_AUTO_TEST_CASE(ack_after_success_stores_successes_and_failures) {
  const auto r = rules(ack_policy::ack_after_success, true);  // a dead-letter topic does not matter
  BOOST_TEST(!stores_before_handling(r));
  BOOST_TEST((action(r, ok()) == ack_action::store));
  BOOST_TEST((action(r, threw()) == ack_action::store));
  BOOST_TEST((action(r, undecodable()) == ack_action::store));
}

BOOST_AUTO_TEST_CASE(nack_on_error_retries_with_doubling_backoff_then_dead_letters) {
  const auto r = rules(ack_policy::nack_on_error, true, 3);
  const auto first = decide_ack(r, threw(0));
  BOOST_TEST((first.action == ack_action::retry));
  BOOST_TEST(first.backoff.count() == 100);
  BOOST_TEST(decide_ack(r, threw(1)).backoff.count() == 200);
  BOOST_TEST(decide_ack(r, threw(2)).backoff.count() == 400);
  BOOST_TEST((action(r, threw(3)) == ack_action::dead_letter_then_store));  // retries exhausted
  BOOST_TEST((action(r, ok(2)) == ack_action::store));                      // a retry succeeded
}

BOOST_AUTO_TEST_CASE(nack_on_error_without_dead_letter_topic_stores_after_retries) {
  const auto r = rules(ack_policy::nack_on_error, false, 1);
  BOOST_TEST((action(r, threw(0)) == ack_action::retry));
  BOOST_TEST((action(r, threw(1)) == ack_action::store));
}

BOOST_AUTO_TEST_CASE(undecodable_messages_are_never_retried) {
  BOOST_TEST((action(rules(ack_policy::nack_on_error, true), undecodable()) == ack_action::dead_letter_then_store));
  BOOST_TEST((action(rules(ack_policy::nack_on_error, false), undecodable()) == ack_action::store));
}

BOOST_AUTO_TEST_CASE(a_stopping_subscriber_starts_no_retry) {
  auto o = threw(0);
  o.stopping = true;
  BOOST_TEST((action(rules(ack_policy::nack_on_error, true), o) == ack_action::dead_letter_then_store));
}

BOOST_AUTO_TEST_CASE(reject_on_error_dead_letters_failures_at_once) {
  const auto r = rules(ack_policy::reject_on_error, true);
  BOOST_TEST((action(r, threw()) == ack_action::dead_letter_then_store));
  BOOST_TEST((action(r, undecodable()) == ack_action::dead_letter_then_store));
  BOOST_TEST((action(r, ok()) == ack_action::store));
}

BOOST_AUTO_TEST_CASE(manual_follows_the_handlers_decision) {
  const auto r = rules(ack_policy::manual, true, 2);
  BOOST_TEST((action(r, decided(context::decision::ack)) == ack_action::store));
  BOOST_TEST((action(r, decided(context::decision::none)) == ack_action::hold_back));
  BOOST_TEST((action(r, decided(context::decision::reject)) == ack_action::dead_letter_then_store));
  BOOST_TEST((action(r, decided(context::decision::nack, 0)) == ack_action::retry));
  BOOST_TEST((action(r, decided(context::decision::nack, 2)) == ack_action::dead_letter_then_store));
  BOOST_TEST((action(r, threw()) == ack_action::dead_letter_then_store));  // a throw is not retried in manual mode
  BOOST_TEST((action(rules(ack_policy::manual, false), decided(context::decision::reject)) == ack_action::store));
}

BOOST_AUTO_TEST_CASE(failure_kinds_name_the_dead_letter_header_values) {
  BOOST_TEST(to_string(failure_kind::decode) == "decode");
  BOOST_TEST(to_string(failure_kind::handler) == "handler");
}

BOOST_AUTO_TEST_SUITE_END()

// A batch subscriber's batching (batch_window.hpp), step by step with made-up clocks.
BOOST_AUTO_TEST_SUITE(test_batch_window)

using clock_type = batch_window::clock;
const clock_type::time_point t0{std::chrono::seconds(1000)};

BOOST_AUTO_TEST_CASE(full_batch_is_due_at_once_and_takes_max_records) {
  batch_window w({500, 100ms});
  BOOST_TEST(!w.is_collecting());
  BOOST_TEST((w.deadline() == clock_type::time_point::max()));
  w.collecting(t0);
  BOOST_TEST(!w.due(499, t0));
  BOOST_TEST(w.due(500, t0));
  BOOST_TEST(w.due(1200, t0));
  BOOST_TEST(w.take(1200) == 500u);  // the oldest 500; the rest wait for the next batch
  BOOST_TEST(!w.is_collecting());
}

BOOST_AUTO_TEST_CASE(partial_batch_is_due_when_max_wait_ran_out_since_collecting_began) {
  batch_window w({500, 100ms});
  w.collecting(t0);
  w.collecting(t0 + 60ms);  // more records arrived: the window does not restart
  BOOST_TEST((w.deadline() == t0 + 100ms));
  BOOST_TEST(!w.due(1, t0 + 99ms));
  BOOST_TEST(w.due(1, t0 + 100ms));
  BOOST_TEST(w.take(1) == 1u);
  // The next batch's window starts when records wait again.
  w.collecting(t0 + 500ms);
  BOOST_TEST((w.deadline() == t0 + 600ms));
  BOOST_TEST(!w.due(3, t0 + 599ms));
  BOOST_TEST(w.due(3, t0 + 600ms));
}

BOOST_AUTO_TEST_CASE(nothing_queued_is_never_due) {
  batch_window w({1, 10ms});
  BOOST_TEST(!w.due(0, t0));
  w.collecting(t0);
  BOOST_TEST(!w.due(0, t0 + 1s));
  BOOST_TEST(w.due(1, t0));  // max_records 1: every record is a batch
}

BOOST_AUTO_TEST_CASE(receive_ahead_leaves_room_for_full_batches) {
  BOOST_TEST(max_queued_records(64, 1, nullptr) == 128u);  // per-record subscribers as before
  BOOST_TEST(max_queued_records(64, 8, nullptr) == 128u);
  const batch_limits limits{500, 100ms};
  BOOST_TEST(max_queued_records(64, 1, &limits) == 1000u);  // two full batches
  BOOST_TEST(max_queued_records(64, 4, &limits) == 4000u);  // two per concurrency slot
  const batch_limits small{10, 100ms};
  BOOST_TEST(max_queued_records(64, 1, &small) == 128u);
}

BOOST_AUTO_TEST_SUITE_END()
