#include "broker/request_client.hpp"

#include "broker/reply_topic.hpp"
#include "detail/blocking_pool.hpp"

#include <asiokafka/wire.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;

namespace asiokafka::detail {

namespace {
constexpr std::size_t max_remembered_abandoned = 16384;
constexpr std::chrono::milliseconds positioning_timeout{10000};
}  // namespace

request_client::request_client(std::shared_ptr<publish_path> out, std::string reply_topic,
                               std::function<composed_config()> make_consumer_config, request_stats& stats)
    : out_(std::move(out)),
      reply_topic_(std::move(reply_topic)),
      make_consumer_config_(std::move(make_consumer_config)),
      stats_(stats),
      positioned_(out_->strand()) {}

void request_client::log(log_level level, const std::string& line) const { out_->log()(level, "REQUEST", line); }

void request_client::start(outbound_record r, std::chrono::milliseconds timeout, const publish_origin& origin,
                           handler_type handler) {
  std::string id = r.correlation_id ? *r.correlation_id : wire::new_correlation_id();
  r.correlation_id = id;
  r.reply_to = reply_topic_;
  auto slot = asio::get_associated_cancellation_slot(handler);
  if (slot.is_connected()) {
    slot.assign([weak = weak_from_this(), strand = out_->strand(), id](asio::cancellation_type) {
      asio::post(strand, [weak, id] {
        if (auto self = weak.lock(); self && self->pending_.count(id)) {
          ++self->stats_.cancelled;
          self->complete(id, asio::error::operation_aborted);
          self->abandon(id);
        }
      });
    });
  }
  // A request span (when traced) is the parent of the record's publish span.
  std::optional<trace_context> parent;
  if (origin.span) parent = *origin.span;
  asio::dispatch(out_->strand(), [self = shared_from_this(), q = queued{std::move(r), id}, timeout, parent,
                                  h = handler_box<void(error_code, message)>(std::move(handler))]() mutable {
    if (self->pending_.count(q.correlation_id)) {
      auto handler = h.take();
      asio::get_associated_cancellation_slot(handler).clear();
      asio::post(self->out_->strand(),
                 asio::append(std::move(handler), make_error_code(error::already_pending), message{}));
      return;
    }
    auto& p = self->pending_[q.correlation_id];
    p.handler = std::move(h);
    p.span = parent ? parent->child() : trace_context::new_root();
    p.parent = parent ? std::optional(parent->span_id()) : std::nullopt;
    p.deadline = std::make_unique<asio::steady_timer>(self->out_->strand(), timeout);
    p.deadline->async_wait([weak = self->weak_from_this(), id = q.correlation_id](error_code ec) {
      auto s = weak.lock();
      if (ec || !s || !s->pending_.count(id)) return;
      ++s->stats_.timed_out;
      s->log(log_level::warning, "request " + id + " timed out waiting for a reply on \"" + s->reply_topic_ + "\"");
      s->complete(id, make_error_code(error::timeout));
      s->abandon(id);
    });
    self->emit_span(q.correlation_id, p, span_event::phase::start);
    self->submit(std::move(q));
  });
}

void request_client::submit(queued q) {
  switch (state_) {
    case reply_state::ready:
      send(std::move(q));
      return;
    case reply_state::idle:
      state_ = reply_state::positioning;
      asio::co_spawn(
          out_->strand(), [self = shared_from_this()] { return self->run_consumer(); }, asio::detached);
      [[fallthrough]];
    case reply_state::positioning:
      waiting_.push_back(std::move(q));
      return;
  }
}

void request_client::send(queued q) {
  auto it = pending_.find(q.correlation_id);
  if (it == pending_.end()) return;  // timed out or cancelled while the consumer was positioned
  ++stats_.sent;
  const publish_origin origin{std::nullopt, &it->second.span};
  out_->start(std::move(q.rec), origin,
              asio::bind_executor(
                  out_->strand(), [weak = weak_from_this(), id = q.correlation_id](error_code ec, delivery_report) {
                    if (auto self = weak.lock(); self && ec && self->pending_.count(id)) {
                      ++self->stats_.failed;
                      self->log(log_level::error, "request " + id + " could not be published: " + ec.message());
                      self->complete(id, ec);
                    }
                  }));
}

void request_client::emit_span(const std::string& id, const pending& p, span_event::phase phase, error_code ec) {
  const auto& sink = out_->on_span();
  if (!sink) return;
  const std::string name = reply_topic_ + " request";
  const std::string what = ec ? ec.message() : std::string();
  span_event e = make_span_event(span_event::kind::request, phase, name, p.span, p.parent, reply_topic_, id);
  e.error = ec;
  e.error_text = what;
  sink(e);
}

void request_client::complete(const std::string& id, error_code ec, message reply) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  auto handler = it->second.handler.take();
  emit_span(id, it->second, span_event::phase::end, ec);
  if (it->second.deadline) it->second.deadline->cancel();
  pending_.erase(it);
  asio::get_associated_cancellation_slot(handler).clear();
  asio::post(out_->strand(), asio::append(std::move(handler), ec, std::move(reply)));
}

void request_client::abandon(const std::string& id) {
  if (!abandoned_.insert(id).second) return;
  abandoned_order_.push_back(id);
  if (abandoned_order_.size() > max_remembered_abandoned) {
    abandoned_.erase(abandoned_order_.front());
    abandoned_order_.pop_front();
  }
}

void request_client::fail_waiting(error_code ec, const std::string& why) {
  log(log_level::error, "requests cannot be sent: " + why + ": " + ec.message());
  while (!waiting_.empty()) {
    auto q = std::move(waiting_.front());
    waiting_.pop_front();
    if (pending_.count(q.correlation_id)) ++stats_.failed;
    complete(q.correlation_id, ec);
  }
}

asio::awaitable<bool> request_client::start_consumer() {
  try {
    consumer_options copts;
    copts.log = out_->log();
    copts.token_provider = out_->token_provider();
    consumer_ = std::make_unique<consumer>(out_->strand(), make_consumer_config_(), std::move(copts));
  } catch (const std::exception& e) {
    state_ = reply_state::idle;
    fail_waiting(make_error_code(error::invalid_config), std::string("reply consumer: ") + e.what());
    co_return false;
  }
  // close() waits for this blocking step: it uses the consumer's handle on a pool thread.
  auto position = co_await asio::async_initiate<decltype(asio::use_awaitable), void(reply_topic_position)>(
      [this](auto handler) {
        asio::post(blocking_pool(), [rk = consumer_->native_handle(), topic = reply_topic_, strand = out_->strand(),
                                     h = std::move(handler)]() mutable {
          asio::post(strand, asio::append(std::move(h), position_reply_topic(rk, topic, positioning_timeout)));
        });
      },
      asio::use_awaitable);
  positioned_.cancel();
  if (closing_) {
    state_ = reply_state::idle;
    co_return false;
  }
  if (!position.error) {
    try {
      consumer_->assign(position.start);
    } catch (const boost::system::system_error& e) {
      position.error = e.code();
      position.what = std::string("assigning reply topic \"") + reply_topic_ + "\": " + e.what();
    }
  }
  if (position.error) {
    consumer_.reset();
    state_ = reply_state::idle;  // the next request tries again
    fail_waiting(position.error, position.what);
    co_return false;
  }
  co_return true;
}

void request_client::match_reply(message& m) {
  const auto cid = wire::correlation_id(m);
  const std::string id = cid ? std::string(*cid) : std::string();
  if (cid && pending_.count(id)) {
    ++stats_.answered;
    complete(id, {}, std::move(m));
  } else if (cid && abandoned_.count(id)) {
    ++stats_.late_replies;
    log(log_level::info, "late reply " + m.describe() + " to request " + id + " (timed out or cancelled): dropped");
  } else {
    ++stats_.unmatched_replies;
    log(log_level::warning, "reply " + m.describe() +
                                (cid ? " has correlation id " + id + ", which no pending request of this broker sent"
                                     : " has no correlation_id") +
                                ": dropped");
  }
}

asio::awaitable<void> request_client::run_consumer() {
  auto self = shared_from_this();
  if (!co_await start_consumer()) co_return;
  state_ = reply_state::ready;
  while (!waiting_.empty()) {
    auto q = std::move(waiting_.front());
    waiting_.pop_front();
    send(std::move(q));
  }
  for (;;) {
    auto [ec, batch] = co_await consumer_->async_receive_batch(256, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == error::closed || ec == asio::error::operation_aborted) break;
      if (is_fatal(ec)) {
        log(log_level::error, "reply consumer failed: " + ec.message() + " - " + consumer_->fatal_reason());
        break;
      }
      log(log_level::warning, "reply consumer: " + ec.message());
      continue;
    }
    for (auto& m : batch) match_reply(m);
  }
}

asio::awaitable<void> request_client::close() {
  auto self = shared_from_this();
  closing_ = true;
  while (state_ == reply_state::positioning) {
    positioned_.expires_at(asio::steady_timer::time_point::max());
    co_await positioned_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  std::vector<std::string> ids;
  for (const auto& [id, p] : pending_) ids.push_back(id);
  for (const auto& id : ids) complete(id, make_error_code(error::closed));
  waiting_.clear();
  if (consumer_) {
    consumer_->cancel();
    auto [ec] = co_await consumer_->async_close(asio::as_tuple(asio::use_awaitable));
    if (ec) log(log_level::warning, "closing the reply consumer: " + ec.message());
    consumer_.reset();
  }
  state_ = reply_state::idle;
  closing_ = false;
}

}  // namespace asiokafka::detail
