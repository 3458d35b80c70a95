// A condition for coroutines on one strand: each waits until something it watches may have
// changed (notify()) or its deadline passes, then checks again. Every waiter has its own
// timer, so deadlines never disturb each other; without waiters notify() costs a check, so a
// per-record path may call it freely.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

namespace asiokafka::detail {

class change_signal {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Completes at the next notify() or at `deadline`, whichever comes first. Call on the
  /// strand that calls notify().
  boost::asio::awaitable<void> wait(boost::asio::any_io_executor ex, time_point deadline = time_point::max()) {
    boost::asio::steady_timer timer(std::move(ex), deadline);
    waiters_.push_back(&timer);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    std::erase(waiters_, &timer);
  }

  /// Wakes every current waiter.
  void notify() {
    if (!waiters_.empty()) wake_all();
  }

 private:
  void wake_all() {
    for (auto* t : waiters_) t->cancel();
  }

  std::vector<boost::asio::steady_timer*> waiters_;
};

}  // namespace asiokafka::detail
