// Client-side request/reply for a broker (broker::async_request): one reply consumer per
// broker instance, assigned to the instance's reply topic (no group, no rebalance) at the
// high watermark before the first request is sent; replies are matched to requests by
// correlation id. Lives on the broker's publish strand.
#pragma once

#include "broker/publish_path.hpp"
#include "detail/handler_box.hpp"

#include <asiokafka/consumer.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace asiokafka::detail {

class request_client : public std::enable_shared_from_this<request_client> {
 public:
  using handler_type = boost::asio::any_completion_handler<void(error_code, message)>;

  request_client(std::shared_ptr<publish_path> out, std::string reply_topic,
                 std::function<composed_config()> make_consumer_config, request_stats& stats);

  const std::string& reply_topic() const noexcept { return reply_topic_; }

  /// Any thread. Sends `r` with reply_to = the reply topic and a correlation id (given or
  /// new) once the reply consumer is positioned; completes with the reply, error::timeout
  /// after `timeout`, operation_aborted when cancelled (terminal, partial, total), the
  /// publish's error, or error::closed when the broker stops first.
  void start(outbound_record r, std::chrono::milliseconds timeout, const publish_origin& origin, handler_type handler);

  /// On the strand: fails what is pending with error::closed and closes the reply consumer.
  /// Later requests start a new one.
  boost::asio::awaitable<void> close();

 private:
  struct pending {
    handler_box<void(error_code, message)> handler;
    std::unique_ptr<boost::asio::steady_timer> deadline;
    trace_context span = trace_context::new_root();  // the request span
    std::optional<trace_context::span_id_type> parent;
  };
  struct queued {
    outbound_record rec;
    std::string correlation_id;
  };
  enum class reply_state { idle, positioning, ready };

  void submit(queued q);
  void send(queued q);
  void complete(const std::string& id, error_code ec, message reply = {});
  void abandon(const std::string& id);
  boost::asio::awaitable<void> run_consumer();
  // Creates the reply consumer and assigns it the reply topic's end; false when it failed
  // (the waiting requests failed with it) or the client closes meanwhile.
  boost::asio::awaitable<bool> start_consumer();
  // A reply: completes its pending request, or is counted and logged as late or unmatched.
  void match_reply(message& m);
  void fail_waiting(error_code ec, const std::string& why);
  void log(log_level level, const std::string& line) const;
  void emit_span(const std::string& id, const pending& p, span_event::phase phase, error_code ec = {});

  std::shared_ptr<publish_path> out_;
  std::string reply_topic_;
  std::function<composed_config()> make_consumer_config_;
  request_stats& stats_;
  reply_state state_ = reply_state::idle;
  bool closing_ = false;
  boost::asio::steady_timer positioned_;  // signals close() that positioning ended
  std::unique_ptr<consumer> consumer_;
  std::deque<queued> waiting_;              // sent once the reply consumer is positioned
  std::map<std::string, pending> pending_;  // by correlation id
  // Ids of requests that timed out or were cancelled, so their late replies are told apart
  // from replies nobody asked for; the oldest are forgotten past a bound.
  std::set<std::string> abandoned_;
  std::deque<std::string> abandoned_order_;
};

}  // namespace asiokafka::detail
