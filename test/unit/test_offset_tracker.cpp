#define BOOST_TEST_MODULE test_offset_tracker
#include <boost/test/unit_test.hpp>

#include "detail/offset_tracker.hpp"

using asiokafka::detail::offset_tracker;

BOOST_AUTO_TEST_SUITE(test_offset_tracker)

BOOST_AUTO_TEST_CASE(in_order_finish_advances_each_time) {
  offset_tracker t;
  const offset_tracker::key tp{"t", 0};
  for (int i = 0; i < 3; ++i) t.delivered(tp, i);
  BOOST_TEST(t.finished(tp, 0).value() == 1);
  BOOST_TEST(t.finished(tp, 1).value() == 2);
  BOOST_TEST(t.finished(tp, 2).value() == 3);
  BOOST_TEST(t.in_flight(tp) == 0u);
}

BOOST_AUTO_TEST_CASE(out_of_order_finish_waits_for_the_gap) {
  offset_tracker t;
  const offset_tracker::key tp{"t", 1};
  for (int i = 10; i < 14; ++i) t.delivered(tp, i);
  BOOST_TEST(!t.finished(tp, 12).has_value());
  BOOST_TEST(!t.finished(tp, 11).has_value());
  BOOST_TEST(t.finished(tp, 10).value() == 13);  // 10, 11, 12 done
  BOOST_TEST(t.in_flight(tp) == 1u);
  BOOST_TEST(t.finished(tp, 13).value() == 14);
}

BOOST_AUTO_TEST_CASE(offsets_with_holes_commit_past_the_hole) {
  offset_tracker t;
  const offset_tracker::key tp{"t", 0};
  t.delivered(tp, 5);
  t.delivered(tp, 9);  // compaction or a transaction marker in between
  BOOST_TEST(!t.finished(tp, 9).has_value());
  BOOST_TEST(t.finished(tp, 5).value() == 10);
}

BOOST_AUTO_TEST_CASE(partitions_are_independent) {
  offset_tracker t;
  t.delivered({"t", 0}, 0);
  t.delivered({"t", 1}, 0);
  BOOST_TEST(t.finished({"t", 1}, 0).value() == 1);
  BOOST_TEST(t.in_flight({"t", 0}) == 1u);
}

BOOST_AUTO_TEST_CASE(an_offset_finished_twice_is_tracked_once) {
  offset_tracker t;
  const offset_tracker::key tp{"t", 0};
  for (int i = 0; i < 3; ++i) t.delivered(tp, i);
  bool tracked = false;
  BOOST_TEST(t.finished(tp, 0, &tracked).value() == 1);
  BOOST_TEST(tracked);
  BOOST_TEST(!t.finished(tp, 0, &tracked).has_value());  // already past the prefix
  BOOST_TEST(!tracked);
  BOOST_TEST(!t.finished(tp, 2, &tracked).has_value());
  BOOST_TEST(tracked);
  BOOST_TEST(!t.finished(tp, 2, &tracked).has_value());  // finished, behind 1
  BOOST_TEST(tracked);
  BOOST_TEST(t.finished(tp, 1).value() == 3);
  BOOST_TEST(t.in_flight(tp) == 0u);
}

BOOST_AUTO_TEST_CASE(unknown_or_forgotten_offsets_are_not_tracked) {
  offset_tracker t;
  const offset_tracker::key tp{"t", 0};
  bool tracked = true;
  BOOST_TEST(!t.finished(tp, 3, &tracked).has_value());
  BOOST_TEST(!tracked);
  t.delivered(tp, 3);
  t.forget(tp);
  BOOST_TEST(!t.finished(tp, 3, &tracked).has_value());
  BOOST_TEST(!tracked);
  t.delivered(tp, 4);
  BOOST_TEST(t.finished(tp, 4, &tracked).value() == 5);
  BOOST_TEST(tracked);
  BOOST_TEST(!t.finished(tp, 4, &tracked).has_value());  // finishing twice
  BOOST_TEST(!tracked);
}

BOOST_AUTO_TEST_SUITE_END()
