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

#include <cstddef>
#include <tuple>

namespace asiokafka {

/// A coroutine view of a consumer. Same thread-safety as the consumer; the consumer must
/// outlive the stream.
///
/// next() takes a message that is already buffered without suspending (consumer::try_receive):
/// the cost of a raw librdkafka poll loop rather than one scheduler round trip per message.
/// So that other work on the executor keeps its turn, after `max_inline` such messages in a
/// row the next one goes through consumer::async_receive, which always completes through the
/// executor.
class message_stream {
 public:
  static constexpr std::size_t default_max_inline = 128;

  explicit message_stream(consumer& c, std::size_t max_inline = default_max_inline) noexcept
      : consumer_(&c), max_inline_(max_inline) {}

  /// The next message, or an empty message once the consumer is closed (error::closed).
  /// Throws boost::system::system_error for any other error (fatal errors, cancellation),
  /// carrying the error code. Cancellation: as consumer::async_receive when it waits; a
  /// message taken from the buffer is returned whatever the cancellation state.
  boost::asio::awaitable<message> next() {
    error_code ec;
    message msg;
    if (inline_left_ > 0) msg = consumer_->try_receive(ec);
    if (msg) {
      --inline_left_;
      co_return msg;
    }
    if (!ec) {
      inline_left_ = max_inline_;
      std::tuple<error_code, message> received =
          co_await consumer_->async_receive(boost::asio::as_tuple(boost::asio::use_awaitable));
      ec = std::get<0>(received);
      msg = std::move(std::get<1>(received));
    }
    if (ec == error::closed) co_return message{};
    if (ec) throw boost::system::system_error(ec, "asiokafka::message_stream::next");
    co_return msg;
  }

 private:
  consumer* consumer_;
  std::size_t max_inline_;
  std::size_t inline_left_ = 0;
};

}  // namespace asiokafka
