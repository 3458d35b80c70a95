#include "detail/client_core.hpp"

#include "detail/log_event.hpp"
#include "detail/oauthbearer_check.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <utility>

namespace asiokafka::detail {

namespace {

std::string conf_string(const rd_kafka_conf_t* conf, const char* key) {
  char buf[64];
  size_t size = sizeof buf;
  if (rd_kafka_conf_get(conf, key, buf, &size) != RD_KAFKA_CONF_OK) return {};
  return buf;
}

// Created before the handle so that a configuration librdkafka refuses never leaks one.
std::shared_ptr<rd_handle> create_handle(rd_kafka_type_t type, rd_conf_ptr conf, int events, bool token_provider,
                                         std::string_view label) {
  if (token_provider) {
    const oauthbearer_settings settings{conf_string(conf.get(), "sasl.mechanisms"),
                                        conf_string(conf.get(), "sasl.oauthbearer.method"),
                                        conf_bool(conf.get(), "enable.sasl.oauthbearer.unsecure.jwt", false)};
    if (auto conflict = provider_conflict(settings))
      throw boost::system::system_error(make_error_code(error::invalid_config), std::string(label) + ": " + *conflict);
  }
  // Internal plumbing, not user-tunable behaviour: logs become events too. A token refresh
  // is an event on the main queue (forwarded to a consumer's queue) whether or not the mask
  // names it, unless librdkafka makes the tokens itself (unsecured JWT, OIDC).
  char errstr[512];
  rd_kafka_conf_set(conf.get(), "log.queue", "true", errstr, sizeof errstr);
  rd_kafka_conf_set_events(conf.get(), events | RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_LOG | RD_KAFKA_EVENT_STATS |
                                           RD_KAFKA_EVENT_OAUTHBEARER_TOKEN_REFRESH);
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
  if (!rk)
    throw boost::system::system_error(make_error_code(error::invalid_config), std::string(label) + ": " + errstr);
  conf.release();  // owned by rk now
  rd_kafka_set_log_queue(rk, nullptr);
  return std::make_shared<rd_handle>(rk);
}

}  // namespace

client_core::client_core(boost::asio::any_io_executor ex, rd_kafka_type_t type, rd_conf_ptr conf, int events,
                         client_sinks sinks, std::string_view label)
    : ex_(std::move(ex)),
      completion_ex_(ex_),
      sinks_(std::move(sinks)),
      handle_(create_handle(type, std::move(conf), events, static_cast<bool>(sinks_.token_provider), label)),
      rk_(handle_->rk),
      waker_(ex_) {
  if (!sinks_.log) sinks_.log = log_to_stderr();
}

client_core::~client_core() {
  for (auto* q : queues_) {
    waker_.detach(q);
    rd_kafka_queue_destroy(q);
  }
}

rd_kafka_queue_t* client_core::bridge(rd_kafka_queue_t* q) {
  queues_.push_back(q);
  waker_.attach(q);
  return q;
}

void client_core::start(std::shared_ptr<void> owner, std::function<void()> drain, std::function<bool()> serving) {
  drain_ = std::move(drain);
  serving_ = std::move(serving);
  owner_ = owner;
  wait(owner);
  boost::asio::post(ex_, [this, owner] { drain_(); });
}

void client_core::wait(std::shared_ptr<void> owner) {
  if (waiting_) return;
  waiting_ = true;
  waker_.async_wait([this, owner](boost::system::error_code ec) {
    waiting_ = false;
    if (ec || !serving_()) return;
    drain_();
    if (serving_()) wait(owner);
  });
}

void client_core::stop() { waker_.cancel(); }

bool client_core::serve_common_event(rd_kafka_event_t* ev) {
  switch (rd_kafka_event_type(ev)) {
    case RD_KAFKA_EVENT_LOG:
      forward_log_event(ev, sinks_.log);
      return true;
    case RD_KAFKA_EVENT_STATS:
      if (sinks_.on_statistics) sinks_.on_statistics(rd_kafka_event_stats(ev));
      return true;
    case RD_KAFKA_EVENT_OAUTHBEARER_TOKEN_REFRESH:
      if (sinks_.token_provider)
        refresh_token();
      else
        rd_kafka_oauthbearer_set_token_failure(rk_, std::string(no_provider_reason()).c_str());
      return true;
    default:
      return false;
  }
}

// librdkafka asks again only after a token or a failure is set, so one call is in flight at
// most; the flag guards against a stray event all the same. The provider's std::function is
// copied into co_spawn's frame, which keeps it (and a coroutine lambda's captures) alive until
// it finishes.
void client_core::refresh_token() {
  if (refreshing_) return;
  refreshing_ = true;
  boost::asio::co_spawn(ex_, sinks_.token_provider,
                        [this, owner = owner_](std::exception_ptr e, oauthbearer_token token) {
                          // Gone: the client, and its handle with it.
                          if (const auto alive = owner.lock()) finish_refresh(e, token);
                        });
}

// librdkafka reports a failure itself (an _AUTHENTICATION error event, served as any error of
// the client) and asks again 10 s later; nothing said here can carry the token.
void client_core::finish_refresh(std::exception_ptr e, const oauthbearer_token& token) {
  refreshing_ = false;
  std::optional<std::string> problem;
  if (e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      problem = std::string("the token provider threw: ") + ex.what();
    } catch (...) {
      problem = "the token provider threw a non-standard exception";
    }
  } else {
    problem = token_problem(token, std::chrono::system_clock::now());
  }
  if (!problem) {
    std::vector<const char*> ext;
    for (const auto& [k, v] : token.extensions) {
      ext.push_back(k.c_str());
      ext.push_back(v.c_str());
    }
    const auto lifetime_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(token.expiry.time_since_epoch()).count();
    char errstr[512];
    const auto err = rd_kafka_oauthbearer_set_token(rk_, token.value.c_str(), lifetime_ms, token.principal.c_str(),
                                                    ext.data(), ext.size(), errstr, sizeof errstr);
    // librdkafka's errstr may quote the token: only the error's name is passed on.
    if (err) problem = std::string("librdkafka refused the token: ") + rd_kafka_err2name(err);
  }
  if (problem) {
    ++token_failures_;
    rd_kafka_oauthbearer_set_token_failure(rk_, refresh_failure_reason(*problem, token_failures_).c_str());
    return;
  }
  token_failures_ = 0;
  const auto left =
      std::chrono::duration_cast<std::chrono::seconds>(token.expiry - std::chrono::system_clock::now()).count();
  log(log_level::info, "OAUTHBEARER",
      "token set for principal \"" + token.principal + "\", expires in " + std::to_string(left) + " s");
}

void client_core::report(const error_info& error) {
  if (sinks_.on_error) {
    sinks_.on_error(error);
    return;
  }
  log(log_level::warning, "ERROR", error.code.message() + " (" + error.describe() + ")");
}

void client_core::log(log_level level, std::string_view facility, std::string_view line) {
  if (sinks_.log) sinks_.log(level, facility, line);
}

}  // namespace asiokafka::detail
