// asiokafka::message_stream - `co_await` iteration over a consumer's messages.
//
//   asiokafka::message_stream stream(consumer);
//   while (auto msg = co_await stream.next()) { ... }   // ends when the consumer closes
#pragma once

#include <asiokafka/consumer.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace asiokafka {

/// A coroutine view of a consumer. Same thread-safety as the consumer; the consumer must
/// outlive the stream.
class message_stream {
 public:
  explicit message_stream(consumer& c) noexcept : consumer_(&c) {}

  /// The next message, or an empty message once the consumer is closed (error::closed).
  /// Throws boost::system::system_error for any other error (fatal errors, cancellation),
  /// carrying the error code. Cancellation: as consumer::async_receive.
  boost::asio::awaitable<message> next() {
    auto [ec, msg] = co_await consumer_->async_receive(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec == error::closed) co_return message{};
    if (ec) throw boost::system::system_error(ec, "asiokafka::message_stream::next");
    co_return std::move(msg);
  }

 private:
  consumer* consumer_;
};

}  // namespace asiokafka
