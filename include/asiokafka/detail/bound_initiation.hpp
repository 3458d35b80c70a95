// The initiation object every asiokafka async operation hands to asio::async_initiate.
#pragma once

#include <utility>

namespace asiokafka::detail {

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

  template <class Handler, class... Args>
  void operator()(Handler&& handler, Args&&... args) {
    start(*self, std::forward<Handler>(handler), std::forward<Args>(args)...);
  }
};

template <class Object, class Start>
bound_initiation(Object*, Start) -> bound_initiation<Object, Start>;

}  // namespace asiokafka::detail
