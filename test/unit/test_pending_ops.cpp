// Completing and cancelling pending operations (src/detail/pending_ops.hpp): no Kafka.
#define BOOST_TEST_MODULE test_pending_ops
#include <boost/test/unit_test.hpp>

#include "detail/pending_ops.hpp"

#include <boost/asio/cancellation_signal.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <vector>

namespace asio = boost::asio;
using asiokafka::detail::complete_all;
using asiokafka::detail::connect_cancellation;

namespace {

struct pending_op {
  std::uint64_t id = 0;
  asio::cancellation_slot slot{};
  int value = 0;
};

struct client : std::enable_shared_from_this<client> {
  std::vector<std::pair<std::uint64_t, asio::cancellation_type>> cancelled;
  void cancel(std::uint64_t id, asio::cancellation_type type) { cancelled.emplace_back(id, type); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(test_pending_ops)

BOOST_AUTO_TEST_CASE(complete_all_completes_in_order_with_slots_cleared) {
  asio::cancellation_signal s1, s2;
  std::deque<pending_op> ops;
  ops.push_back({1, s1.slot(), 10});
  ops.push_back({2, s2.slot(), 20});
  for (auto& op : ops) op.slot.assign([](asio::cancellation_type) {});
  std::vector<int> seen;
  complete_all(ops, [&](pending_op& op) {
    BOOST_TEST(!op.slot.has_handler());
    seen.push_back(op.value);
  });
  BOOST_TEST(ops.empty());
  BOOST_TEST(seen == (std::vector<int>{10, 20}));
  BOOST_TEST(!s1.slot().has_handler());
  BOOST_TEST(!s2.slot().has_handler());
}

BOOST_AUTO_TEST_CASE(complete_all_serves_maps_keyed_by_id) {
  asio::cancellation_signal s;
  std::map<std::uint64_t, pending_op> ops;
  ops[7] = {7, s.slot(), 70};
  ops[7].slot.assign([](asio::cancellation_type) {});
  int completed = 0;
  complete_all(ops, [&](pending_op& op) { completed += op.value; });
  BOOST_TEST(ops.empty());
  BOOST_TEST(completed == 70);
  BOOST_TEST(!s.slot().has_handler());
}

BOOST_AUTO_TEST_CASE(a_completion_that_starts_an_operation_keeps_it) {
  std::deque<pending_op> ops(2);
  int completed = 0;
  complete_all(ops, [&](pending_op&) {
    ++completed;
    ops.push_back({});
  });
  BOOST_TEST(completed == 2);
  BOOST_TEST(ops.size() == 2u);  // the new ones, not completed
}

BOOST_AUTO_TEST_CASE(cancellation_reaches_the_living_client_with_id_and_type) {
  auto c = std::make_shared<client>();
  asio::cancellation_signal s1, s2;
  auto slot1 = s1.slot(), slot2 = s2.slot();
  connect_cancellation<&client::cancel>(slot1, *c, 42);
  connect_cancellation<&client::cancel>(slot2, *c, 43);
  s1.emit(asio::cancellation_type::terminal);
  s2.emit(asio::cancellation_type::partial);
  BOOST_REQUIRE(c->cancelled.size() == 2u);
  BOOST_TEST(c->cancelled[0].first == 42u);
  BOOST_TEST((c->cancelled[0].second == asio::cancellation_type::terminal));
  BOOST_TEST(c->cancelled[1].first == 43u);
  BOOST_TEST((c->cancelled[1].second == asio::cancellation_type::partial));
}

BOOST_AUTO_TEST_CASE(cancellation_after_the_client_is_gone_does_nothing) {
  auto c = std::make_shared<client>();
  asio::cancellation_signal s1, s2;
  auto slot1 = s1.slot(), slot2 = s2.slot();
  connect_cancellation<&client::cancel>(slot1, *c, 1);
  connect_cancellation<&client::cancel>(slot2, *c, 2);
  c.reset();
  // Must not touch the destroyed client.
  s1.emit(asio::cancellation_type::total);
  s2.emit(asio::cancellation_type::total);
  BOOST_TEST(!c);
}

BOOST_AUTO_TEST_CASE(a_handler_without_a_slot_connects_nothing) {
  auto c = std::make_shared<client>();
  asio::cancellation_slot none;
  connect_cancellation<&client::cancel>(none, *c, 1);
  BOOST_TEST(!none.is_connected());
  BOOST_TEST(c->cancelled.empty());
}

BOOST_AUTO_TEST_SUITE_END()
