// The subscriber's dispatch decisions (lane_dispatch), step by step, without Kafka or timers:
// which lane a record joins, which lane may start, the order records leave a lane, when
// receiving pauses and resumes, handlers in flight per partition, and what a revoke, an
// abort and a stop drop.
#define BOOST_TEST_MODULE test_lane_dispatch
#include <boost/test/unit_test.hpp>

#include "broker/lane_dispatch.hpp"

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using asiokafka::topic_partition_list;
using asiokafka::detail::dispatch_limits;

namespace {

struct rec {
  std::string t;
  std::int32_t p = 0;
  std::int64_t o = 0;
  std::string_view topic() const noexcept { return t; }
  std::int32_t partition() const noexcept { return p; }
};

using dispatch = asiokafka::detail::lane_dispatch<rec>;

rec r(std::int32_t partition, std::int64_t offset, std::string topic = "orders") {
  return {std::move(topic), partition, offset};
}

// A dispatch with these (partition, offset) records of "orders" pushed in order.
dispatch filled(dispatch_limits limits, std::initializer_list<std::pair<std::int32_t, std::int64_t>> records) {
  dispatch d(limits);
  for (const auto& [partition, offset] : records) d.push(r(partition, offset));
  return d;
}

// The lane's next record, if it has one.
std::optional<rec> next(dispatch& d, dispatch::lane_id lane) {
  rec* front = d.front(lane);
  if (!front) return std::nullopt;
  rec out = std::move(*front);
  d.pop(lane);
  return out;
}

// Pops the lane until it has nothing; the offsets in order.
std::vector<std::int64_t> pop_all(dispatch& d, dispatch::lane_id lane) {
  std::vector<std::int64_t> out;
  while (auto r = next(d, lane)) out.push_back(r->o);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_lane_dispatch)

BOOST_AUTO_TEST_CASE(a_sequential_subscriber_runs_one_lane_in_arrival_order) {
  dispatch d = filled({1, 100}, {{0, 10}, {1, 20}, {0, 11}});
  const auto lane = d.start_next();
  BOOST_REQUIRE(lane);
  BOOST_TEST(*lane == dispatch::sequential);
  BOOST_TEST(!d.start_next());  // one lane only
  BOOST_TEST(pop_all(d, *lane) == (std::vector<std::int64_t>{10, 20, 11}), boost::test_tools::per_element());
  d.finish(*lane);
  BOOST_TEST(d.running() == 0u);
  BOOST_TEST(!d.start_next());
}

BOOST_AUTO_TEST_CASE(lanes_per_partition_start_within_max_concurrency_in_the_order_they_waited) {
  dispatch d = filled({2, 100}, {{2, 1}, {0, 1}, {1, 1}, {2, 2}});
  const auto first = d.start_next();
  const auto second = d.start_next();
  BOOST_REQUIRE(first && second);
  BOOST_TEST(*first == d.partition_of("orders", 2));
  BOOST_TEST(*second == d.partition_of("orders", 0));
  BOOST_TEST(!d.start_next());  // both slots taken: partition 1 waits
  BOOST_TEST(d.running() == 2u);
  BOOST_TEST(pop_all(d, *first) == (std::vector<std::int64_t>{1, 2}), boost::test_tools::per_element());
  d.finish(*first);
  const auto third = d.start_next();
  BOOST_REQUIRE(third);
  BOOST_TEST(*third == d.partition_of("orders", 1));
}

BOOST_AUTO_TEST_CASE(the_same_partition_of_another_topic_is_another_lane) {
  dispatch d(dispatch_limits{4, 100});
  d.push(r(0, 1, "orders"));
  d.push(r(0, 1, "payments"));
  const auto a = d.start_next();
  const auto b = d.start_next();
  BOOST_REQUIRE(a && b);
  BOOST_TEST(*a != *b);
  BOOST_TEST(next(d, *b)->t == "payments");
}

BOOST_AUTO_TEST_CASE(a_running_lane_takes_new_records_itself_and_is_never_started_twice) {
  dispatch d = filled({2, 100}, {{0, 1}});
  const auto lane = d.start_next();
  BOOST_REQUIRE(lane);
  BOOST_TEST(next(d, *lane)->o == 1);
  d.push(r(0, 2));  // arrives while the lane's handler runs
  BOOST_TEST(!d.start_next());
  BOOST_TEST(next(d, *lane)->o == 2);
  BOOST_TEST(!next(d, *lane));
  d.finish(*lane);
  d.push(r(0, 3));  // after the lane ended: it waits and starts again
  const auto again = d.start_next();
  BOOST_REQUIRE(again);
  BOOST_TEST(*again == *lane);
}

BOOST_AUTO_TEST_CASE(a_lane_that_ends_with_records_left_waits_again_behind_the_others) {
  dispatch d = filled({1, 100}, {{0, 1}});
  const auto lane = d.start_next();
  BOOST_REQUIRE(lane);
  d.finish(*lane);  // e.g. a batch lane that handled its batch while more arrived
  BOOST_TEST(d.running() == 0u);
  const auto again = d.start_next();
  BOOST_REQUIRE(again);
  BOOST_TEST(next(d, *again)->o == 1);
}

BOOST_AUTO_TEST_CASE(receiving_pauses_at_max_queued_and_resumes_at_half) {
  dispatch d(dispatch_limits{1, 4});
  for (int i = 0; i < 3; ++i) d.push(r(0, i));
  BOOST_TEST(!d.full());
  d.push(r(0, 3));
  BOOST_TEST(d.full());
  BOOST_TEST(!d.drained());
  const auto lane = d.start_next();
  BOOST_REQUIRE(lane);
  BOOST_REQUIRE(next(d, *lane));
  BOOST_TEST(!d.drained());  // 3 queued: still above half
  BOOST_REQUIRE(next(d, *lane));
  BOOST_TEST(d.drained());  // 2 queued: the receive loop goes on
  BOOST_TEST(d.queued() == 2u);
}

BOOST_AUTO_TEST_CASE(a_batch_lane_takes_its_oldest_records_in_order) {
  dispatch d(dispatch_limits{1, 100});
  for (int i = 0; i < 5; ++i) d.push(r(0, i));
  const auto lane = d.start_next();
  BOOST_REQUIRE(lane);
  BOOST_TEST(d.queued_in(*lane) == 5u);
  const auto batch = d.take(*lane, 3);
  BOOST_REQUIRE(batch.size() == 3u);
  BOOST_TEST(batch[0].o == 0);
  BOOST_TEST(batch[2].o == 2);
  BOOST_TEST(d.queued_in(*lane) == 2u);
  BOOST_TEST(d.take(*lane, 10).size() == 2u);  // fewer when it has fewer
  BOOST_TEST(d.queued() == 0u);
}

BOOST_AUTO_TEST_CASE(a_revoke_drops_only_the_revoked_partitions_queued_records) {
  // One lane holding records of several partitions.
  dispatch d = filled({1, 100}, {{0, 1}, {1, 1}, {0, 2}, {2, 1}});
  const topic_partition_list revoked{{"orders", 0, -1}, {"orders", 2, -1}};
  BOOST_TEST(d.drop(revoked) == 3u);
  BOOST_TEST(d.queued() == 1u);
  const auto lane = d.start_next();
  BOOST_REQUIRE(lane);
  const auto left = next(d, *lane);
  BOOST_REQUIRE(left);
  BOOST_TEST(left->p == 1);
}

BOOST_AUTO_TEST_CASE(handlers_in_flight_are_counted_per_partition) {
  dispatch d(dispatch_limits{4, 100});
  const rec a = r(0, 1), b = r(0, 2), c = r(1, 1);
  BOOST_TEST(!d.in_flight());
  d.handling(a);
  d.handling(b);
  d.handling(c);
  const topic_partition_list p0{{"orders", 0, -1}}, p1{{"orders", 1, -1}}, p5{{"orders", 5, -1}};
  BOOST_TEST(d.in_flight(p0));
  BOOST_TEST(!d.in_flight(p5));
  d.handled(a);
  BOOST_TEST(d.in_flight(p0));  // b still runs
  d.handled(b);
  BOOST_TEST(!d.in_flight(p0));
  BOOST_TEST(d.in_flight(p1));
  d.handled(c);
  BOOST_TEST(!d.in_flight());
}

BOOST_AUTO_TEST_CASE(an_abort_sees_every_queued_record_before_dropping_it) {
  dispatch d = filled({2, 100}, {{0, 5}, {1, 7}, {0, 6}});
  const auto lane = d.start_next();
  BOOST_REQUIRE(lane);
  std::vector<std::int64_t> seen;
  d.drop_all([&](const rec& x) { seen.push_back(x.o); });
  BOOST_TEST(seen.size() == 3u);
  BOOST_TEST(d.queued() == 0u);
  BOOST_TEST(!next(d, *lane));  // the running lane ends
  BOOST_TEST(!d.start_next());  // the waiting one was dropped
  d.finish(*lane);
  d.push(r(0, 5));  // the restart's records come again and run
  BOOST_TEST(d.start_next().has_value());
}

BOOST_AUTO_TEST_CASE(a_stop_drops_what_waits_ignores_new_records_and_lets_receiving_go) {
  dispatch d = filled({1, 2}, {{0, 1}, {0, 2}});
  const auto lane = d.start_next();
  BOOST_REQUIRE(lane);
  BOOST_TEST(!d.drained());
  d.stop();
  BOOST_TEST(d.stopped());
  BOOST_TEST(d.drained());  // a receive loop waiting for room ends
  BOOST_TEST(!next(d, *lane));
  d.push(r(0, 3));
  BOOST_TEST(d.queued() == 0u);
  d.finish(*lane);
  BOOST_TEST(!d.start_next());
  BOOST_TEST(d.running() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
