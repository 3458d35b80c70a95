#include <asiokafka/subscriber.hpp>

#include "broker/subscriber_runner.hpp"

namespace asiokafka {

std::string_view to_string(ack_policy p) noexcept {
  switch (p) {
    case ack_policy::ack_first: return "ack_first";
    case ack_policy::ack_after_success: return "ack_after_success";
    case ack_policy::nack_on_error: return "nack_on_error";
    case ack_policy::reject_on_error: return "reject_on_error";
    case ack_policy::manual: return "manual";
  }
  return "unknown";
}

const std::string& context::subscriber_name() const noexcept { return runner_->name(); }

const std::string& context::output_topic() const noexcept { return runner_->options().output_topic; }

boost::asio::awaitable<delivery_report> context::publish(std::string topic, std::string value, publish_options options) {
  record r{std::move(topic), options.partition, std::move(options.key), std::move(value), std::move(options.headers), {}};
  co_return co_await runner_->publish(std::move(r));
}

}  // namespace asiokafka
