// Helpers for tests that run clients: configs, and running a coroutine to completion.
#pragma once

#include "test_support.hpp"

#include <asiokafka/admin_types.hpp>
#include <asiokafka/config.hpp>
#include <asiokafka/log.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace asiokafka::test {

using raw_config = std::map<std::string, std::string>;

/// A consumer config: group `group`, auto.offset.reset=earliest, plus `raw`.
composed_config consumer_config(const std::string& brokers, const std::string& group, raw_config raw = {},
                                const std::string& name = "test");
/// A producer config with `raw`.
composed_config producer_config(const std::string& brokers, raw_config raw = {});

/// Runs the coroutine `make()` on `io` until it finishes (then stops `io`) or `timeout` passes
/// (test failure). Rethrows the coroutine's exception.
template <class MakeAwaitable>
void run(boost::asio::io_context& io, MakeAwaitable make, std::chrono::seconds timeout = std::chrono::seconds(60)) {
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(io, make(), [&](std::exception_ptr e) {
    error = e;
    done = true;
    io.stop();
  });
  io.restart();
  io.run_for(timeout);
  if (!done)
    print_thread_stacks("the test's coroutine did not finish within " + std::to_string(timeout.count()) + " s");
  BOOST_REQUIRE_MESSAGE(done, "coroutine did not finish within " << timeout.count() << " s");
  if (error) std::rethrow_exception(error);
}

}  // namespace asiokafka::test

namespace asiokafka::test {

/// Collects the lines a log sink receives (from any thread) for the test to search.
class log_capture {
 public:
  log_sink sink() {
    return [this](log_level, std::string_view facility, std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.push_back(std::string(facility) + " " + std::string(line));
    };
  }
  /// True when some line contains `text`.
  bool contains(std::string_view text) const {
    std::lock_guard lock(mutex_);
    for (const auto& l : lines_)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
  /// How many lines contain `text`.
  std::size_t count(std::string_view text) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& l : lines_) n += l.find(text) != std::string::npos;
    return n;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

/// Creates a topic with topic-level `configs` through asiokafka's admin client, on an
/// io_context of its own (blocks; tests only). Throws std::runtime_error with the broker's
/// message on failure.
void create_topic(const std::string& brokers, const std::string& topic, int partitions, int replication_factor = 1,
                  const raw_config& configs = {});

/// A consumer group as the broker describes it, through asiokafka's admin client (blocking;
/// tests only): state "Dead" and no members for a group the broker does not know.
/// Throws std::runtime_error with the broker's message on failure.
group_description describe_group(const std::string& brokers, const std::string& group);

}  // namespace asiokafka::test

#include <asiokafka/testing/wait.hpp>

namespace asiokafka::test {

// The public testing helpers, under the names the tests use.
using asiokafka::testing::sleep_for;
using asiokafka::testing::wait_until;

}  // namespace asiokafka::test

#include <asiokafka/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/system/system_error.hpp>

namespace asiokafka::test {

/// Like run_app below, but returns what async_run completed with instead of throwing it.
template <class App, class Drive>
error_code run_app_for_result(boost::asio::io_context& io, App& app, Drive drive,
                              std::chrono::seconds timeout = std::chrono::seconds(60)) {
  error_code result;
  run(
      io,
      [&]() -> boost::asio::awaitable<void> {
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
              co_await drive();
              app.stop();
            },
            boost::asio::detached);
        auto [ec] = co_await app.async_run(boost::asio::as_tuple(boost::asio::use_awaitable));
        result = ec;
      },
      timeout);
  return result;
}

/// Runs `app.async_run()` on `io` while the coroutine `drive()` publishes and waits for what
/// the test expects; when `drive` returns the app is stopped gracefully. Fails the test if the
/// app has not stopped within `timeout`.
template <class App, class Drive>
void run_app(boost::asio::io_context& io, App& app, Drive drive,
             std::chrono::seconds timeout = std::chrono::seconds(60)) {
  if (const auto ec = run_app_for_result(io, app, std::move(drive), timeout))
    throw boost::system::system_error(ec, "async_run");
}

}  // namespace asiokafka::test

#include <asiokafka/consumer.hpp>

namespace asiokafka::test {

/// Reads the first `n` records of partition 0 of `topic` (from the beginning, no group commits).
inline boost::asio::awaitable<std::vector<message>> read_partition0(const std::string& brokers,
                                                                    const std::string& topic, std::size_t n) {
  auto ex = co_await boost::asio::this_coro::executor;
  consumer c(ex, consumer_config(brokers, unique_name("reader")));
  c.assign({{topic, 0, offsets::beginning}});
  std::vector<message> out;
  while (out.size() < n) out.push_back(co_await c.async_receive(boost::asio::use_awaitable));
  co_await c.async_close(boost::asio::use_awaitable);
  co_return out;
}

/// The sum of `group`'s committed offsets on partitions 0..partitions-1 of `topic` (a
/// partition without a commit counts 0).
inline boost::asio::awaitable<std::int64_t> committed_total(const std::string& brokers, const std::string& topic,
                                                            const std::string& group, int partitions) {
  auto ex = co_await boost::asio::this_coro::executor;
  consumer c(ex, consumer_config(brokers, group));
  topic_partition_list q;
  for (int p = 0; p < partitions; ++p) q.push_back({topic, p});
  auto parts = co_await c.async_committed(std::move(q), {std::chrono::seconds(10)}, boost::asio::use_awaitable);
  co_await c.async_close(boost::asio::use_awaitable);
  std::int64_t sum = 0;
  for (const auto& p : parts) sum += std::max<std::int64_t>(p.offset, 0);
  co_return sum;
}

}  // namespace asiokafka::test
