// The admin client's group-offset reads when the group's coordinator is not ready, against
// librdkafka's in-process mock cluster, which answers OffsetFetch with the errors pushed here.
// librdkafka (2.0.2 to at least 2.14.2) reacts to NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE
// on an admin OffsetFetch by asking the handle's own consumer group to find its coordinator
// again; on a handle without one the process died with SIGSEGV (a fresh cluster's first group
// lag poll, or one during a broker restart, in test_rolling_deployment). Now the read fails
// with the broker's error and the client goes on.
#define BOOST_TEST_MODULE test_admin_group_offsets
#include <boost/test/unit_test.hpp>

#include <asiokafka/admin.hpp>

#include "kafka_helpers.hpp"
#include "mock_cluster.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;

namespace {

constexpr std::int16_t offset_fetch_api = 9;  // Kafka's ApiKey of OffsetFetch

}  // namespace

BOOST_AUTO_TEST_SUITE(test_admin_group_offsets)

BOOST_AUTO_TEST_CASE(coordinator_errors_fail_the_read_instead_of_crashing) {
  test::mock_cluster mock;
  asio::io_context io;
  asiokafka::admin a(io.get_executor(), test::producer_config(mock.bootstrap()));
  std::vector<asiokafka::error_code> errors;
  std::vector<asiokafka::error_code> lag_errors;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        for (const auto err : {RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE}) {
          rd_kafka_mock_push_request_errors(mock.cluster, offset_fetch_api, 1, err);
          auto [ec, offsets] = co_await a.async_list_group_offsets("billing", {}, asiokafka::call_options{10s},
                                                                   asio::as_tuple(asio::use_awaitable));
          errors.push_back(ec ? ec : offsets.error);
          rd_kafka_mock_push_request_errors(mock.cluster, offset_fetch_api, 1, err);
          auto [lag_ec, lags] =
              co_await a.async_group_lag("billing", asiokafka::call_options{10s}, asio::as_tuple(asio::use_awaitable));
          lag_errors.push_back(lag_ec);
        }
        // And the client still answers once the coordinator is back.
        auto [ec, offsets] = co_await a.async_list_group_offsets("billing", {}, asiokafka::call_options{10s},
                                                                 asio::as_tuple(asio::use_awaitable));
        BOOST_TEST(!ec, ec.message());
        BOOST_TEST(!offsets.error, offsets.error.message());
      },
      60s);
  BOOST_REQUIRE_EQUAL(errors.size(), 2u);
  BOOST_TEST(errors[0] == asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR_NOT_COORDINATOR), errors[0].message());
  BOOST_TEST(errors[1] == asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE),
             errors[1].message());
  for (const auto& ec : lag_errors) BOOST_TEST(static_cast<bool>(ec), "the lag read reported no error");
}

// A coordinator read that times out while the coordinator is unreachable, then the coordinator
// comes back: librdkafka (2.0.2 to at least 2.14.2) then sends the timed-out request's
// coordinator step anyway, finds the request gone, and reports that as a failure whose
// handler releases the request's reference a second time: the process aborts
// ("eonce->refcnt > 0", or a use after free). Found by test_random_outages. asiokafka keeps
// its coordinator requests alive inside librdkafka until the coordinator answers and times
// them out itself, so the reads fail with _TIMED_OUT and the client goes on.
BOOST_AUTO_TEST_CASE(a_read_timed_out_while_the_coordinator_is_down_does_not_crash_when_it_returns) {
  test::mock_cluster mock;
  asio::io_context io;
  asiokafka::admin a(io.get_executor(), test::producer_config(mock.bootstrap()));
  const asiokafka::call_options call{1s};
  asiokafka::error_code before, during, lag_during, after;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        auto [ec0, first] =
            co_await a.async_list_group_offsets("billing", {}, call, asio::as_tuple(asio::use_awaitable));
        before = ec0 ? ec0 : first.error;
        rd_kafka_mock_broker_set_down(mock.cluster, 1);
        // Until librdkafka has seen its connections close, a read may still go out on one and fail
        // with a transport error instead of waiting for the coordinator.
        co_await test::sleep_for(1s);
        auto [ec1, second] =
            co_await a.async_list_group_offsets("billing", {}, call, asio::as_tuple(asio::use_awaitable));
        during = ec1 ? ec1 : second.error;
        auto [ec2, lags] = co_await a.async_group_lag("billing", call, asio::as_tuple(asio::use_awaitable));
        lag_during = ec2;
        rd_kafka_mock_broker_set_up(mock.cluster, 1);
        // The coordinator is back: librdkafka reconnects and meets the timed-out requests.
        co_await test::sleep_for(3s);
        const asiokafka::call_options patient{10s};
        auto [ec3, third] =
            co_await a.async_list_group_offsets("billing", {}, patient, asio::as_tuple(asio::use_awaitable));
        after = ec3 ? ec3 : third.error;
      },
      60s);
  const auto timed_out = asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR__TIMED_OUT);
  BOOST_TEST(!before, before.message());
  BOOST_TEST(during == timed_out, during.message());
  BOOST_TEST(lag_during == timed_out, lag_during.message());
  BOOST_TEST(!after, after.message());
}

#if RD_KAFKA_VERSION >= 0x020a0000
// librdkafka 2.10 and later forget ("decommission") a broker that metadata stops listing - a
// restarting node is absent from it for a while - but its coordinator cache may keep pointing
// at the forgotten broker, and a request to that group's coordinator then waits for a broker
// that never comes back. Each new request looks the entry up again, which keeps it from
// expiring: a lag poller's reads all time out from then on (librdkafka issue 5511; seen in
// test_random_outages). asiokafka's admin handle lets an unused coordinator entry expire after
// a second, so the read after a timed-out one looks the coordinator up afresh.
BOOST_AUTO_TEST_CASE(a_read_after_the_coordinator_was_decommissioned_finds_the_new_one) {
  test::mock_cluster mock(3);
  rd_kafka_mock_coordinator_set(mock.cluster, "group", "billing", 2);
  asio::io_context io;
  asiokafka::admin a(io.get_executor(), test::producer_config(mock.bootstrap()));
  const asiokafka::call_options call{2s};
  asiokafka::error_code before;
  std::vector<asiokafka::error_code> after;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        auto [ec0, first] =
            co_await a.async_list_group_offsets("billing", {}, call, asio::as_tuple(asio::use_awaitable));
        before = ec0 ? ec0 : first.error;
        // Broker 2 leaves the cluster; broker 3 becomes the group's coordinator. The client's next
        // metadata refresh no longer lists broker 2, and librdkafka forgets it.
        rd_kafka_mock_coordinator_set(mock.cluster, "group", "billing", 3);
        rd_kafka_mock_broker_decommission(mock.cluster, 2);
        co_await test::sleep_for(2s);
        for (int i = 0; i < 5; ++i) {
          auto [ec, offsets] =
              co_await a.async_list_group_offsets("billing", {}, call, asio::as_tuple(asio::use_awaitable));
          after.push_back(ec ? ec : offsets.error);
          if (!after.back()) break;
        }
      },
      60s);
  BOOST_TEST(!before, before.message());
  std::string outcomes;
  for (const auto& ec : after) outcomes += (outcomes.empty() ? "" : ", ") + (ec ? ec.message() : std::string("ok"));
  BOOST_TEST_MESSAGE("reads after the decommission: " << outcomes);
  BOOST_REQUIRE(!after.empty());
  // At most one read (the one that met the stale entry) times out.
  BOOST_TEST(!after.back(), outcomes);
  BOOST_TEST(after.size() <= 2u, outcomes);
}
#endif

BOOST_AUTO_TEST_SUITE_END()
