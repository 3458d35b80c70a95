// Storage for a pending asio::any_completion_handler.
//
// Boost 1.81's any_completion_handler move *assignment* copies its argument as an lvalue into
// the converting constructor, which wraps the handler in itself forever (stack overflow).
// Containers and members that are assigned (deque erase, map nodes, `x = std::move(y)`) hold
// handlers through this box, whose assignment only ever move-constructs.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>

#include <optional>
#include <utility>

namespace asiokafka::detail {

template <class Signature>
class handler_box {
 public:
  using handler_type = boost::asio::any_completion_handler<Signature>;

  handler_box() noexcept = default;
  handler_box(handler_type&& h) noexcept {  // NOLINT: implicit by design
    if (h) h_.emplace(std::move(h));
  }
  handler_box(handler_box&& other) noexcept { steal(other); }
  handler_box& operator=(handler_box&& other) noexcept {
    if (this != &other) {
      h_.reset();
      steal(other);
    }
    return *this;
  }
  handler_box(const handler_box&) = delete;
  handler_box& operator=(const handler_box&) = delete;

  explicit operator bool() const noexcept { return h_.has_value(); }

  boost::asio::cancellation_slot slot() const noexcept {
    return h_ ? boost::asio::get_associated_cancellation_slot(*h_) : boost::asio::cancellation_slot();
  }

  /// Moves the handler out (the box becomes empty).
  handler_type take() noexcept {
    handler_type h(std::move(*h_));
    h_.reset();
    return h;
  }

 private:
  void steal(handler_box& other) noexcept {
    if (other.h_) {
      h_.emplace(std::move(*other.h_));
      other.h_.reset();
    }
  }

  std::optional<handler_type> h_;
};

}  // namespace asiokafka::detail
