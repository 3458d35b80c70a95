// The initiation object every asiokafka async operation hands to asio::async_initiate.
#pragma once

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/recycling_allocator.hpp>

#include <memory>
#include <type_traits>
#include <utility>

namespace asiokafka::detail {

/// A handler with no allocator of its own gets Asio's per-thread recycling allocator, as
/// Asio's own operations use: the library type-erases every handler
/// (asio::any_completion_handler), and that allocation then comes from the thread's cache
/// instead of the heap. Every other associated property is forwarded by the binder.
template <class Handler>
decltype(auto) with_recycling_allocator(Handler&& handler) {
  using H = std::decay_t<Handler>;
  if constexpr (std::is_same_v<boost::asio::associated_allocator_t<H>, std::allocator<void>>)
    return boost::asio::bind_allocator(boost::asio::recycling_allocator<void>(), std::forward<Handler>(handler));
  else
    return std::forward<Handler>(handler);
}

/// True when the handler's associated executor is `ex` itself (a handler with none gets
/// `ex`): a completion that already runs on `ex`, inside its event loop, may then invoke the
/// handler in place, as asio::dispatch would, without its type-erased trip through the
/// executor. Decided before the handler is type-erased, where its executor type is known;
/// any other executor type (a strand bound to the handler, say) says false.
/// A type-erased handler (asio::any_completion_handler, as one layer of the library hands a
/// handler to the next) answers with an any_completion_executor, compared as one.
template <class Handler, class Executor>
bool runs_on(const Handler& handler, const Executor& ex) {
  using associated = boost::asio::associated_executor_t<Handler, Executor>;
  if constexpr (std::is_same_v<associated, Executor>)
    return boost::asio::get_associated_executor(handler, ex) == ex;
  else if constexpr (std::is_same_v<associated, boost::asio::any_completion_executor>)
    return boost::asio::get_associated_executor(handler, ex) == boost::asio::any_completion_executor(ex);
  else
    return false;
}

/// An initiation bound to the I/O object that starts the operation. Like Asio's own
/// initiations it exposes the object's executor, so completion token adapters
/// (asiokafka::cancel_after) know where the operation lives. `start(object, handler, args...)`
/// begins the operation.
template <class Object, class Start>
struct bound_initiation {
  using executor_type = typename Object::executor_type;

  Object* self;
  Start start;

  executor_type get_executor() const noexcept { return self->get_executor(); }

// GCC 12 with Boost 1.81 at -O1 (the floor) reports the allocator binder's temporary as maybe
// used uninitialized: a false positive (the sanitized builds turn the warning off globally).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  template <class Handler, class... Args>
  void operator()(Handler&& handler, Args&&... args) {
    start(*self, with_recycling_allocator(std::forward<Handler>(handler)), std::forward<Args>(args)...);
  }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
};

template <class Object, class Start>
bound_initiation(Object*, Start) -> bound_initiation<Object, Start>;

}  // namespace asiokafka::detail
