// A transactional producer whose librdkafka call does not return. librdkafka (from 1.4 to at
// least 2.14.2) can wait forever in rd_kafka_send_offsets_to_transaction when the group's
// coordinator is away: the call's timeout is never checked on the way to the coordinator
// (librdkafka issues 5456 and 5511; the rolling and exactly-once fault tests met it after a
// broker restart, with the subscriber's gate closed and its stop hanging). The call completes
// anyway, within its timeout and a grace, and the producer refuses every later transaction
// call. On librdkafka's in-process mock cluster, whose group coordinator is set down here.
#define BOOST_TEST_MODULE test_transaction_stall
#include <boost/test/unit_test.hpp>

#include <asiokafka/consumer.hpp>
#include <asiokafka/error.hpp>
#include <asiokafka/producer.hpp>

#include "kafka_helpers.hpp"
#include "mock_cluster.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <string>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;

BOOST_AUTO_TEST_SUITE(test_transaction_stall)

BOOST_AUTO_TEST_CASE(a_call_librdkafka_does_not_return_completes_within_its_timeout_and_grace) {
  // The transaction coordinator on broker 1, the group's coordinator on broker 2.
  test::mock_cluster mock(2, 1);
  rd_kafka_mock_coordinator_set(mock.cluster, "transaction", "stall-txn", 1);
  rd_kafka_mock_coordinator_set(mock.cluster, "group", "stall-group", 2);
  asio::io_context io;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asiokafka::producer p(ex, test::producer_config(mock.bootstrap(), {{"transactional.id", "stall-txn"}}));
        asiokafka::consumer c(ex, test::consumer_config(mock.bootstrap(), "stall-group"));
        co_await p.async_init_transactions({10s}, asio::use_awaitable);
        p.begin_transaction();
        rd_kafka_mock_broker_set_down(mock.cluster, 2);  // the group's coordinator goes away
        asiokafka::topic_partition_list offsets{{"orders", 0, 1}};
        const auto started = std::chrono::steady_clock::now();
        auto [ec] = co_await p.async_send_offsets_to_transaction(offsets, c, {2s}, asio::as_tuple(asio::use_awaitable));
        const auto took = std::chrono::steady_clock::now() - started;
        BOOST_TEST_MESSAGE("send offsets completed after "
                           << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                           << " ms: " << ec.message());
        BOOST_TEST(ec);
        // 2 s, then the grace (a quarter of it and 1 s): completed, with whatever error.
        BOOST_TEST((took < 2s + 1500ms + 2s));
        if (ec == asiokafka::error::transaction_stalled) {
          // The stuck call still holds librdkafka's transaction API: nothing more is tried.
          auto [abort] = co_await p.async_abort_transaction({2s}, asio::as_tuple(asio::use_awaitable));
          BOOST_TEST((abort == asiokafka::error::transaction_stalled));
        }
      },
      60s);
}

BOOST_AUTO_TEST_SUITE_END()
