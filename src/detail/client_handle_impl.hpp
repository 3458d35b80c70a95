// The members of detail::client_handle (include/asiokafka/detail/client_handle.hpp), for the
// source file of each client, which instantiates them for its implementation type.
#pragma once

#include <asiokafka/detail/client_handle.hpp>

#include <utility>

namespace asiokafka::detail {

template <class Impl>
client_handle<Impl>::client_handle(executor_type ex, std::shared_ptr<Impl> impl)
    : executor_(std::move(ex)), impl_(std::move(impl)) {
  impl_->start();
}

template <class Impl>
client_handle<Impl>::client_handle(client_handle&& other) noexcept
    : executor_(other.executor_), impl_(std::move(other.impl_)) {}

template <class Impl>
client_handle<Impl>& client_handle<Impl>::operator=(client_handle&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->shutdown();
    executor_ = other.executor_;
    impl_ = std::move(other.impl_);
  }
  return *this;
}

template <class Impl>
client_handle<Impl>::~client_handle() {
  if (impl_) impl_->shutdown();
}

}  // namespace asiokafka::detail
