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

// A mock cluster of one broker, owned by a handle of its own.
struct mock_cluster {
  rd_kafka_t* rk = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;

  mock_cluster() {
    char errstr[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    BOOST_REQUIRE_MESSAGE(rk, errstr);
    cluster = rd_kafka_mock_cluster_new(rk, 1);
    BOOST_REQUIRE(cluster);
    rd_kafka_mock_topic_create(cluster, "orders", 2, 1);
  }
  ~mock_cluster() {
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
  }
  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(test_admin_group_offsets)

BOOST_AUTO_TEST_CASE(coordinator_errors_fail_the_read_instead_of_crashing) {
  mock_cluster mock;
  asio::io_context io;
  asiokafka::admin a(io.get_executor(), test::producer_config(mock.bootstrap()));
  std::vector<asiokafka::error_code> errors;
  std::vector<asiokafka::error_code> lag_errors;
  test::run(io, [&]() -> asio::awaitable<void> {
    for (const auto err : {RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE}) {
      rd_kafka_mock_push_request_errors(mock.cluster, offset_fetch_api, 1, err);
      auto [ec, offsets] = co_await a.async_list_group_offsets("billing", {}, asiokafka::admin_call_options{10s},
                                                               asio::as_tuple(asio::use_awaitable));
      errors.push_back(ec ? ec : offsets.error);
      rd_kafka_mock_push_request_errors(mock.cluster, offset_fetch_api, 1, err);
      auto [lag_ec, lags] =
          co_await a.async_group_lag("billing", asiokafka::admin_call_options{10s}, asio::as_tuple(asio::use_awaitable));
      lag_errors.push_back(lag_ec);
    }
    // And the client still answers once the coordinator is back.
    auto [ec, offsets] = co_await a.async_list_group_offsets("billing", {}, asiokafka::admin_call_options{10s},
                                                             asio::as_tuple(asio::use_awaitable));
    BOOST_TEST(!ec, ec.message());
    BOOST_TEST(!offsets.error, offsets.error.message());
  }, 60s);
  BOOST_REQUIRE_EQUAL(errors.size(), 2u);
  BOOST_TEST(errors[0] == asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR_NOT_COORDINATOR), errors[0].message());
  BOOST_TEST(errors[1] == asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE),
             errors[1].message());
  for (const auto& ec : lag_errors) BOOST_TEST(static_cast<bool>(ec), "the lag read reported no error");
}

BOOST_AUTO_TEST_SUITE_END()
