// A subscriber's dead letters: the failed record with its key, value and headers (verbatim:
// same bytes, same order, a malformed traceparent included), then error headers naming what
// failed and where it came from, published through the subscriber's path (inside the
// transaction for an exactly-once subscriber), retried with backoff. The publish is a span,
// child of the handling's, reported to the span sink; the record keeps the input's trace
// headers.
#include "broker/subscriber_runner.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;

namespace asiokafka::detail {

asio::awaitable<bool> subscriber_runner::dead_letter(context& ctx, std::string_view kind, const std::string& error) {
  const message& msg = ctx.raw();
  record r;
  r.topic = setup_.options.dead_letter_topic;
  if (auto k = msg.key()) r.key = std::string(*k);
  if (msg.has_payload()) r.value = std::string(msg.payload());  // a tombstone stays null
  for (const auto& h : msg.headers())
    r.headers.push_back(
        {std::string(h.name), h.value ? std::optional<std::string>(std::string(*h.value)) : std::nullopt});
  r.headers.push_back({std::string(dead_letter_headers::error), error});
  r.headers.push_back({std::string(dead_letter_headers::error_kind), std::string(kind)});
  r.headers.push_back({std::string(dead_letter_headers::original_topic), std::string(msg.topic())});
  r.headers.push_back({std::string(dead_letter_headers::original_partition), std::to_string(msg.partition())});
  r.headers.push_back({std::string(dead_letter_headers::original_offset), std::to_string(msg.offset())});
  r.headers.push_back({std::string(dead_letter_headers::subscriber), name()});
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string failure;
    try {
      outbound_record copy{r, {}, {}, {}};
      copy.verbatim_headers = true;
      const publish_origin origin{ctx.correlation_id(), &ctx.trace()};
      co_await out().publish(std::move(copy), origin);
      ++stats_.dead_lettered;
      co_return true;
    } catch (const std::exception& e) {
      failure = e.what();
    }
    log(log_level::warning, "dead letter for " + msg.describe() + " to \"" + r.topic + "\" failed: " + failure);
    asio::steady_timer backoff(strand_, setup_.options.retry_backoff * (1 << attempt));
    co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  ++stats_.dead_letter_failed;
  log(log_level::error, "giving up on dead letter for " + msg.describe() + "; its offset is not stored");
  co_return false;
}

}  // namespace asiokafka::detail
