// asiokafka::cancel_after - a completion token adapter that cancels an operation which has not
// completed within a timeout. Boost 1.81 has no asio::cancel_after; this is its equivalent,
// for asiokafka's operations and any other Asio operation that supports cancellation.
//
//   auto [ec, msg] = co_await consumer.async_receive(
//       asiokafka::cancel_after(2s, asio::as_tuple(asio::use_awaitable)));
//   // ec == asio::error::operation_aborted when nothing arrived within 2 s
//
// When the timeout expires first, the adapter emits a cancellation (terminal unless another
// type is given) on the operation's cancellation slot; the operation then does what its
// documentation says for that type (a cancelled async_receive takes no message, a cancelled
// async_produce that waits for queue space is never produced). An operation that does not
// support the type ignores it and completes normally. When the operation completes first, the
// timer is cancelled. A cancellation slot bound to the inner token keeps working: what it
// emits is forwarded to the operation.
//
// Executor: the timer runs on the handler's associated executor, else on the executor of the
// object that started the operation (asiokafka's initiations expose it, as Asio's do). The
// cancellation is emitted there, which is where asiokafka objects require it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>
#include <type_traits>
#include <utility>

namespace asiokafka {

/// The completion token cancel_after() returns: `token`, with a deadline.
template <class CompletionToken>
struct cancel_after_t {
  std::chrono::steady_clock::duration timeout;
  boost::asio::cancellation_type_t type;
  CompletionToken token;
};

/// Cancels the operation with a cancellation of `type` (terminal, partial or total) unless
/// it completes within `timeout`. `token` (default: asio::deferred) says how the operation
/// completes.
template <class Rep, class Period, class CompletionToken = boost::asio::deferred_t>
cancel_after_t<std::decay_t<CompletionToken>> cancel_after(std::chrono::duration<Rep, Period> timeout,
                                                           boost::asio::cancellation_type_t type,
                                                           CompletionToken&& token = {}) {
  return {std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout), type,
          std::forward<CompletionToken>(token)};
}

/// The same with terminal cancellation.
template <class Rep, class Period, class CompletionToken = boost::asio::deferred_t>
cancel_after_t<std::decay_t<CompletionToken>> cancel_after(std::chrono::duration<Rep, Period> timeout,
                                                           CompletionToken&& token = {}) {
  return cancel_after(timeout, boost::asio::cancellation_type::terminal, std::forward<CompletionToken>(token));
}

namespace detail {

// What the timer and the operation share: the timer, the signal the operation's slot hangs
// on, and whether the operation has completed.
struct cancel_after_state {
  explicit cancel_after_state(boost::asio::any_io_executor ex) : timer(std::move(ex)) {}

  boost::asio::steady_timer timer;
  boost::asio::cancellation_signal signal;
  bool completed = false;
};

// The handler the operation sees: the inner handler with the adapter's cancellation slot.
// Every other associated characteristic (executor, allocator) is the inner handler's.
template <class Handler>
class cancel_after_handler {
 public:
  using cancellation_slot_type = boost::asio::cancellation_slot;

  cancel_after_handler(Handler handler, std::shared_ptr<cancel_after_state> state)
      : handler_(std::move(handler)), state_(std::move(state)) {}

  cancellation_slot_type get_cancellation_slot() const noexcept { return state_->signal.slot(); }
  const Handler& inner() const noexcept { return handler_; }

  template <class... Args>
  void operator()(Args&&... args) {
    const std::shared_ptr<cancel_after_state> state = std::move(state_);
    state->completed = true;
    state->timer.cancel();
    auto outer = boost::asio::get_associated_cancellation_slot(handler_);
    if (outer.is_connected()) outer.clear();
    std::move(handler_)(std::forward<Args>(args)...);
  }

 private:
  Handler handler_;
  std::shared_ptr<cancel_after_state> state_;
};

template <class T, class = void>
struct has_get_executor : std::false_type {};
template <class T>
struct has_get_executor<T, std::void_t<decltype(std::declval<const T&>().get_executor())>> : std::true_type {};

// Wraps the operation's initiation: starts the timer, then the operation with the wrapped
// handler.
template <class Initiation>
struct cancel_after_initiation {
  Initiation initiation;
  std::chrono::steady_clock::duration timeout;
  boost::asio::cancellation_type_t type;

  template <class Handler, class... Args>
  void operator()(Handler&& handler, Args&&... args) {
    auto state = std::make_shared<cancel_after_state>(timer_executor(handler));
    auto outer = boost::asio::get_associated_cancellation_slot(handler);
    if (outer.is_connected()) {
      outer.assign([weak = std::weak_ptr<cancel_after_state>(state)](boost::asio::cancellation_type_t t) {
        if (auto s = weak.lock(); s && !s->completed) s->signal.emit(t);
      });
    }
    state->timer.expires_after(timeout);
    state->timer.async_wait([weak = std::weak_ptr<cancel_after_state>(state), t = type](boost::system::error_code ec) {
      if (ec) return;
      if (auto s = weak.lock(); s && !s->completed) s->signal.emit(t);
    });
    std::move(initiation)(cancel_after_handler<std::decay_t<Handler>>(std::forward<Handler>(handler), std::move(state)),
                          std::forward<Args>(args)...);
  }

  template <class Handler>
  boost::asio::any_io_executor timer_executor(const Handler& handler) const {
    if constexpr (has_get_executor<Initiation>::value)
      return boost::asio::get_associated_executor(handler, initiation.get_executor());
    else
      return boost::asio::get_associated_executor(handler);
  }
};

}  // namespace detail
}  // namespace asiokafka

/// @cond INTERNAL
namespace boost::asio {

template <class CompletionToken, class... Signatures>
struct async_result<asiokafka::cancel_after_t<CompletionToken>, Signatures...> {
  template <class Initiation, class RawCompletionToken, class... Args>
  static auto initiate(Initiation&& initiation, RawCompletionToken&& token, Args&&... args) {
    return boost::asio::async_initiate<CompletionToken, Signatures...>(
        asiokafka::detail::cancel_after_initiation<std::decay_t<Initiation>>{std::forward<Initiation>(initiation),
                                                                             token.timeout, token.type},
        token.token, std::forward<Args>(args)...);
  }
};

template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct associator<Associator, asiokafka::detail::cancel_after_handler<Handler>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
  static decltype(auto) get(const asiokafka::detail::cancel_after_handler<Handler>& h) noexcept {
    return Associator<Handler, DefaultCandidate>::get(h.inner());
  }
  static decltype(auto) get(const asiokafka::detail::cancel_after_handler<Handler>& h,
                            const DefaultCandidate& c) noexcept {
    return Associator<Handler, DefaultCandidate>::get(h.inner(), c);
  }
};

}  // namespace boost::asio
/// @endcond
