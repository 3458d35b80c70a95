#include <asiokafka/subscriber.hpp>
#include <asiokafka/wire.hpp>

#include "broker/subscriber_runner.hpp"

#include <boost/system/system_error.hpp>

namespace asiokafka {

std::string_view to_string(ack_policy p) noexcept {
  switch (p) {
    case ack_policy::ack_first:
      return "ack_first";
    case ack_policy::ack_after_success:
      return "ack_after_success";
    case ack_policy::nack_on_error:
      return "nack_on_error";
    case ack_policy::reject_on_error:
      return "reject_on_error";
    case ack_policy::manual:
      return "manual";
  }
  return "unknown";
}

const std::string& context::subscriber_name() const noexcept { return runner_->name(); }

const std::string& context::output_topic() const noexcept { return runner_->options().output_topic; }

std::optional<std::string_view> context::correlation_id() const noexcept { return wire::correlation_id(*msg_); }

std::optional<std::string_view> context::reply_to() const noexcept { return wire::reply_to(*msg_); }

std::optional<trace_context> context::incoming_trace() const {
  auto parent = msg_->header(wire::traceparent_header);
  if (!parent || !parent->has_value()) return std::nullopt;
  auto state = msg_->header(wire::tracestate_header);
  return trace_context::parse(**parent, state && state->has_value() ? **state : std::string_view());
}

const trace_context& context::trace() const {
  if (!span_) {
    if (auto incoming = incoming_trace()) {
      span_ = std::make_unique<trace_context>(incoming->child());
    } else {
      if (auto parent = msg_->header(wire::traceparent_header); parent && parent->has_value())
        runner_->invalid_trace_context(*msg_, **parent);
      span_ = std::make_unique<trace_context>(trace_context::new_root());
    }
  }
  return *span_;
}

boost::asio::awaitable<delivery_report> context::publish_outbound(detail::outbound_record r) {
  const detail::publish_origin origin{correlation_id(), &trace()};
  co_return co_await runner_->publish(std::move(r), origin);
}

const std::string& batch_context::subscriber_name() const noexcept { return runner_->name(); }

boost::asio::awaitable<delivery_report> batch_context::publish_outbound(detail::outbound_record r) {
  const detail::publish_origin origin{std::nullopt, &span_};
  co_return co_await runner_->publish(std::move(r), origin);
}

namespace detail {

const payload_encoder& broker_encoder_of(const context& ctx) noexcept { return ctx.runner_->encoder(); }

const payload_encoder& broker_encoder_of(const batch_context& ctx) noexcept { return ctx.runner_->encoder(); }

namespace {
// Kafka's rule for topic names: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic_name(std::string_view t) noexcept {
  if (t.empty() || t.size() > 249 || t == "." || t == "..") return false;
  for (const char c : t)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-'))
      return false;
  return true;
}
}  // namespace

boost::asio::awaitable<void> publish_result(context& ctx, outbound_record result) {
  auto& runner = *ctx.runner_;
  const auto reply_to = ctx.reply_to();
  result.rec.topic = reply_to ? std::string(*reply_to) : ctx.output_topic();
  if (result.rec.topic.empty()) {
    runner.unroutable_result(ctx.raw());
    co_return;
  }
  if (!valid_topic_name(result.rec.topic)) {
    ++runner.stats().replies_failed;
    throw boost::system::system_error(make_kafka_error_code(17 /* INVALID_TOPIC_EXCEPTION */),
                                      "asiokafka: reply_to names an invalid topic \"" + result.rec.topic + "\"");
  }
  if (auto k = ctx.key()) result.rec.key = std::string(*k);
  try {
    co_await ctx.publish_outbound(std::move(result));
  } catch (...) {
    ++runner.stats().replies_failed;
    throw;
  }
}

}  // namespace detail
}  // namespace asiokafka
