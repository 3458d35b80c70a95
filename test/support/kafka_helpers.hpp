// Helpers for tests that run clients: configs, and running a coroutine to completion.
#pragma once

#include <asiokafka/config.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <map>
#include <string>

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
  BOOST_REQUIRE_MESSAGE(done, "coroutine did not finish within " << timeout.count() << " s");
  if (error) std::rethrow_exception(error);
}

}  // namespace asiokafka::test

namespace asiokafka::test {

/// Creates a topic on a real cluster through librdkafka's admin API (blocking; tests only).
/// Throws std::runtime_error with the broker's message on failure.
void create_topic(const std::string& brokers, const std::string& topic, int partitions, int replication_factor = 1);

}  // namespace asiokafka::test

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asiokafka::test {

/// Polls `pred` every 50 ms until it holds (true) or `timeout` passes (false). Tests only.
template <class Predicate>
boost::asio::awaitable<bool> wait_until(Predicate pred, std::chrono::milliseconds timeout) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) co_return false;
    timer.expires_after(std::chrono::milliseconds(50));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
  co_return true;
}

/// Lets the event loop run for `d`.
inline boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

}  // namespace asiokafka::test
