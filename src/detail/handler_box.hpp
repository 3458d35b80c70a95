// Storage for a pending asio::any_completion_handler.
//
// Boost 1.81's any_completion_handler move *assignment* copies its argument as an lvalue into
// the converting constructor, which wraps the handler in itself forever (stack overflow).
// Containers and members that are assigned (deque erase, map nodes, `x = std::move(y)`) hold
// handlers through this box, whose assignment only ever move-constructs.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>

#include <new>
#include <utility>

namespace asiokafka::detail {

template <class Signature>
class handler_box {
 public:
  using handler_type = boost::asio::any_completion_handler<Signature>;

  handler_box() noexcept = default;
  handler_box(handler_type&& h) noexcept : h_(std::move(h)) {}  // NOLINT: implicit by design
  handler_box(handler_box&& other) noexcept : h_(std::move(other.h_)) {}
  handler_box& operator=(handler_box&& other) noexcept {
    if (this != &other) {
      h_.~handler_type();
      ::new (static_cast<void*>(&h_)) handler_type(std::move(other.h_));
    }
    return *this;
  }
  handler_box(const handler_box&) = delete;
  handler_box& operator=(const handler_box&) = delete;
  ~handler_box() = default;

  explicit operator bool() const noexcept { return static_cast<bool>(h_); }

  boost::asio::cancellation_slot slot() const noexcept { return boost::asio::get_associated_cancellation_slot(h_); }

  /// Moves the handler out (the box becomes empty).
  handler_type take() noexcept { return handler_type(std::move(h_)); }

 private:
  handler_type h_;
};

}  // namespace asiokafka::detail
