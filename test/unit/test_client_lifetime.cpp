// The lifetime of clients and of the threads asiokafka starts (asiokafka/threads.hpp): the
// blocking pool has the size set before its first call; clients destroyed with operations in
// flight complete each of them once and leave nothing running (the sanitized suite runs this
// under ASan and UBSan): a consumer's receive and committed-offsets query, a producer's records
// and flush, a transactional producer's init call on its own worker, an admin group request; a
// moved-from client keeps its executor, the client it moved to works.
#define BOOST_TEST_MODULE test_client_lifetime
#include <boost/test/unit_test.hpp>

#include "config/version_requirements.hpp"
#include "detail/blocking_pool.hpp"

#include <asiokafka/admin.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>
#include <asiokafka/threads.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::error_code;
namespace test = asiokafka::test;

namespace {

// The threads of this process now.
std::size_t thread_count() {
  return static_cast<std::size_t>(
      std::distance(std::filesystem::directory_iterator("/proc/self/task"), std::filesystem::directory_iterator()));
}

// The mock cluster with one 2-partition topic, and an io_context for the clients.
struct mock_kafka {
  asiokafka::testing::embedded_kafka kafka;
  std::string topic = test::unique_name("lifetime");
  asio::io_context io;
  std::string brokers = kafka.bootstrap_servers();

  mock_kafka() { kafka.create_topic(topic, 2); }
};

}  // namespace

// First in this module: nothing before it may start the blocking pool (ctest runs each case in
// a process of its own anyway).
BOOST_AUTO_TEST_CASE(the_blocking_pool_has_the_threads_set_before_its_first_call) {
  BOOST_CHECK_THROW(asiokafka::set_blocking_threads(0), std::invalid_argument);
  BOOST_TEST(asiokafka::blocking_threads() == 1u);
  asiokafka::set_blocking_threads(3);
  BOOST_TEST(asiokafka::blocking_threads() == 3u);

  // Three calls that each wait until all three run: they can only meet on three threads.
  std::atomic<int> running{0};
  std::vector<std::future<bool>> met;
  for (int i = 0; i < 3; ++i) {
    auto done = std::make_shared<std::promise<bool>>();
    met.push_back(done->get_future());
    asio::post(asiokafka::detail::blocking_pool(), [&running, done] {
      ++running;
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (running.load() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
      done->set_value(running.load() == 3);
    });
  }
  for (auto& m : met) BOOST_TEST(m.get());

  asiokafka::set_blocking_threads(3);  // the size it has: accepted
  try {
    asiokafka::set_blocking_threads(4);
    BOOST_FAIL("resizing a running pool was accepted");
  } catch (const std::logic_error& e) {
    BOOST_TEST(std::string(e.what()).find("already runs with 3 thread(s)") != std::string::npos);
  }
}

// Each handler must run exactly once, the io_context must run out of work (nothing left
// holding it: no thread still waiting for librdkafka on a destroyed client), every thread the
// clients started must end, and the sanitizers must find nothing.
BOOST_FIXTURE_TEST_CASE(clients_destroyed_with_operations_in_flight_complete_each_once, mock_kafka) {
  constexpr int records = 200;
  const bool admin_in_flight = asiokafka::detail::running_librdkafka_version() >= 0x020c0000;  // 2.12
  std::promise<void> pool_started;
  asio::post(asiokafka::detail::blocking_pool(), [&] { pool_started.set_value(); });
  pool_started.get_future().wait();
  const std::size_t threads_before = thread_count();  // the mock cluster's and the blocking pool's

  std::atomic<int> receive_calls{0}, committed_calls{0}, flush_calls{0}, init_calls{0}, admin_calls{0};
  std::atomic<int> report_calls{0};
  error_code receive_ec, flush_ec;
  {
    asiokafka::consumer c(io.get_executor(), test::consumer_config(brokers, test::unique_name("g")));
    c.subscribe({topic});
    c.async_receive([&](error_code ec, asiokafka::message) {
      ++receive_calls;
      receive_ec = ec;
    });
    c.async_committed({{topic, 0}, {topic, 1}}, {5s},
                      [&](error_code, asiokafka::topic_partition_list) { ++committed_calls; });

    asiokafka::producer p(io.get_executor(), test::producer_config(brokers));
    for (int i = 0; i < records; ++i)
      p.async_produce(asiokafka::record{topic, i % 2, {}, "v" + std::to_string(i), {}, {}},
                      [&](error_code, asiokafka::delivery_report) { ++report_calls; });
    p.async_flush([&](error_code ec) {
      ++flush_calls;
      flush_ec = ec;
    });

    asiokafka::producer txn(io.get_executor(),
                            test::producer_config(brokers, {{"transactional.id", test::unique_name("tx")}}));
    txn.async_init_transactions({10s}, [&](error_code) { ++init_calls; });

    // Not async_list_groups: librdkafka 2.14.2 leaks one of the handle's queues when the handle
    // is destroyed with a ListConsumerGroups request in flight; and not on the floor: librdkafka
    // 2.0.2's rd_kafka_destroy can deadlock with a group request in flight (README, known limits).
    std::optional<asiokafka::admin> a;
    if (admin_in_flight) {
      a.emplace(io.get_executor(), test::producer_config(brokers));
      a->async_describe_groups({"nobody"}, {}, [&](error_code, auto) { ++admin_calls; });
    }
  }  // every client destroyed with its operations in flight

  const auto started = std::chrono::steady_clock::now();
  io.run_for(60s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  BOOST_TEST_MESSAGE("the io_context ran out of work " << took.count() << " ms after the clients were destroyed");
  BOOST_TEST(io.stopped());  // ran out of work, not out of time
  BOOST_TEST(receive_calls == 1);
  BOOST_TEST((receive_ec == asiokafka::error::closed));
  BOOST_TEST(committed_calls == 1);
  BOOST_TEST(report_calls == records);
  BOOST_TEST(flush_calls == 1);
  BOOST_TEST(init_calls == 1);
  BOOST_TEST(admin_calls == (admin_in_flight ? 1 : 0));
  // No thread outlives its client: librdkafka's, the transaction worker.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (thread_count() > threads_before && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  BOOST_TEST(thread_count() == threads_before);
}

// As Asio's I/O objects: a moved-from client still answers get_executor(); the moved-to one
// is the working client (here: a record produced and consumed through them).
BOOST_FIXTURE_TEST_CASE(a_moved_from_client_keeps_its_executor, mock_kafka) {
  asiokafka::producer p(io.get_executor(), test::producer_config(brokers));
  asiokafka::producer p2 = std::move(p);
  asiokafka::consumer c(io.get_executor(), test::consumer_config(brokers, test::unique_name("g")));
  asiokafka::consumer c2(std::move(c));
  asiokafka::admin a(io.get_executor(), test::producer_config(brokers));
  asiokafka::admin a2(std::move(a));
  BOOST_TEST((p.get_executor() == io.get_executor()));  // NOLINT(bugprone-use-after-move): the point
  BOOST_TEST((c.get_executor() == io.get_executor()));  // NOLINT(bugprone-use-after-move)
  BOOST_TEST((a.get_executor() == io.get_executor()));  // NOLINT(bugprone-use-after-move)

  // Move-assignment shuts the assigned-to client down first, then takes the other's.
  asiokafka::producer spare(io.get_executor(), test::producer_config(brokers));
  spare = std::move(p2);
  std::string got;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        asiokafka::record r{topic, 0, {}, "after the moves", {}, {}};  // a local: GCC 12 (README, known limits)
        co_await spare.async_produce(std::move(r), asio::use_awaitable);
        c2.subscribe({topic});
        auto m = co_await c2.async_receive(asio::use_awaitable);
        got = std::string(m.payload());
        co_await c2.async_close(asio::use_awaitable);
      },
      30s);
  BOOST_TEST(got == "after the moves");
}
