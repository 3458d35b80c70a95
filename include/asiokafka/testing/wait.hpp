// Helpers for users' tests of subscribers: wait, without blocking the event loop, until a
// condition holds (e.g. a handler saw the published messages).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace asiokafka::testing {

/// Checks `pred` every `interval` on the calling coroutine's executor until it holds (true) or
/// `timeout` passes (false).
template <class Predicate>
boost::asio::awaitable<bool> wait_until(Predicate pred, std::chrono::milliseconds timeout,
                                        std::chrono::milliseconds interval = std::chrono::milliseconds(20)) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) co_return false;
    timer.expires_after(interval);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
  co_return true;
}

/// Lets the event loop run for `d`.
inline boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

}  // namespace asiokafka::testing
