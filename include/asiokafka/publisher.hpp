// publisher<T>: a declared publisher of T on one topic (broker::publisher<T>()), with its
// encoder if it was given one.
#pragma once

#include <asiokafka/detail/bound_initiation.hpp>
#include <asiokafka/detail/outbound.hpp>
#include <asiokafka/detail/publish_link.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/publish.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>

#include <string>
#include <utility>

namespace asiokafka {

class broker;

template <class T>
class publisher {
 public:
  using executor_type = boost::asio::any_io_executor;

  /// The broker's executor.
  executor_type get_executor() const noexcept { return link_.executor; }
  const std::string& topic() const noexcept { return topic_; }
  /// The publisher's own encoder (no encode function: the broker's encoding).
  const message_encoder<T>& encoder() const noexcept { return encoder_; }

  /// Publishes `value` to topic(), encoded by encoder() when it has one, else as
  /// broker::async_publish(topic(), value, options, token) does; the same completion
  /// signature `void(error_code, delivery_report)`, executor, cancellation and errors
  /// (error::encode_failed when the encoder throws; error::closed, posted, once the broker
  /// and its subscribers are gone). Inside a handler, use context::publish(publisher, value),
  /// which propagates the handled message's correlation id and trace. Thread safety: as
  /// broker::async_publish (any thread).
  template <BOOST_ASIO_COMPLETION_TOKEN_FOR(void(error_code, delivery_report))
                CompletionToken = boost::asio::deferred_t>
  auto async_publish(const T& value, publish_options options = {}, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, delivery_report)>(
        detail::bound_initiation{this,
                                 [](publisher& self, auto handler, detail::outbound_record r) {
                                   self.link_.start(std::move(r), std::move(handler));
                                 }},
        token, detail::make_outbound(topic_, value, std::move(options), link_.broker_encoder, &encoder_));
  }

 private:
  friend class broker;
  publisher(detail::publish_link link, std::string topic, message_encoder<T> encoder)
      : link_(std::move(link)), topic_(std::move(topic)), encoder_(std::move(encoder)) {}

  detail::publish_link link_;
  std::string topic_;
  message_encoder<T> encoder_;
};

}  // namespace asiokafka
