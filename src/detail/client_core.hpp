// What every librdkafka client (consumer, producer, later the admin client) needs once: the
// handle created from a composed configuration, its queues bridged to the reactor through one
// waker, the event loop that drains them after every wake-up, and the error, statistics and
// log sinks, and the OAUTHBEARER token refresh. The clients above it only handle the events
// that are theirs.
#pragma once

#include <asiokafka/oauthbearer.hpp>
#include <asiokafka/sinks.hpp>

#include "detail/pending_ops.hpp"
#include "detail/queue_waker.hpp"
#include "detail/rd_conf.hpp"
#include "detail/rd_handle.hpp"

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/version.hpp>
#if BOOST_VERSION >= 108200
#include <boost/asio/associated_immediate_executor.hpp>
#endif

#include <librdkafka/rdkafka.h>

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace asiokafka::detail {

struct client_sinks {
  error_sink on_error{};
  statistics_sink on_statistics{};
  log_sink log{};  // empty: log_to_stderr()
  oauthbearer_token_provider token_provider{};
};

class client_core {
 public:
  /// Creates the handle. Every callback librdkafka offers becomes an event on a bridged
  /// queue: `events` (the client's own kinds) plus errors, statistics, logs and OAUTHBEARER
  /// token refreshes, which the core serves. Throws system_error (error::invalid_config) as
  /// "<label>: <reason>" when librdkafka refuses the configuration or a token provider is
  /// set for a configuration that cannot use one.
  client_core(boost::asio::any_io_executor ex, rd_kafka_type_t type, rd_conf_ptr conf, int events, client_sinks sinks,
              std::string_view label);
  client_core(const client_core&) = delete;
  client_core& operator=(const client_core&) = delete;
  /// Unbridges and destroys the queues handed to bridge().
  ~client_core();

  const boost::asio::any_io_executor& executor() const noexcept { return ex_; }
  rd_kafka_t* rk() const noexcept { return rk_; }
  const std::shared_ptr<rd_handle>& handle() const noexcept { return handle_; }

  /// Completes `handler` with `args` as `mode` says: posted to the client's executor,
  /// dispatched to it from the event loop, invoked in place (from the event loop, for a handler
  /// that runs on the client's executor), or (`immediate`) through the handler's associated
  /// immediate executor (Boost >= 1.82; by default the client's executor without blocking,
  /// that is a post). The handler's own executor is read before its arguments are appended:
  /// Boost 1.83's append does not forward the immediate executor of a type-erased handler.
  template <class Handler, class... Args>
  void complete(completion_mode mode, Handler&& handler, Args&&... args) const {
    switch (mode) {
      case completion_mode::post:
        boost::asio::post(ex_, boost::asio::append(std::forward<Handler>(handler), std::forward<Args>(args)...));
        return;
      case completion_mode::immediate: {
#if BOOST_VERSION >= 108200
        const auto immediate = boost::asio::get_associated_immediate_executor(handler, ex_);
        const auto own = boost::asio::get_associated_executor(handler, ex_);
        boost::asio::dispatch(
            immediate, boost::asio::bind_executor(
                           own, boost::asio::append(std::forward<Handler>(handler), std::forward<Args>(args)...)));
#else
        boost::asio::post(ex_, boost::asio::append(std::forward<Handler>(handler), std::forward<Args>(args)...));
#endif
        return;
      }
      case completion_mode::dispatch:
        boost::asio::dispatch(completion_ex_,
                              boost::asio::append(std::forward<Handler>(handler), std::forward<Args>(args)...));
        return;
      case completion_mode::in_place:
        std::forward<Handler>(handler)(std::forward<Args>(args)...);
        return;
    }
  }

  /// Takes ownership of `q` and makes its ops wake the event loop.
  rd_kafka_queue_t* bridge(rd_kafka_queue_t* q);

  /// Starts the event loop: after every wake-up, `drain` runs while `serving()` holds; the
  /// loop waits again only while it still holds. `owner` is kept alive while a wait is
  /// pending. One drain is posted at once: ops queued before the waker was attached (logs of
  /// rd_kafka_new) signalled nothing.
  void start(std::shared_ptr<void> owner, std::function<void()> drain, std::function<bool()> serving);
  /// Cancels the pending wait: the event loop stops and releases its owner.
  void stop();

  /// Serves `q` until it is empty (librdkafka signals again only after an empty poll).
  /// `on_event` owns each event and returns false to stop early.
  template <class OnEvent>
  void drain(rd_kafka_queue_t* q, OnEvent&& on_event) {
    for (;;) {
      rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 0);
      if (!ev) {
        // A served op (e.g. a close TERMINATE wake-up) can end one poll early.
        if (rd_kafka_queue_length(q) == 0) return;
        continue;
      }
      if (!on_event(ev)) return;
    }
  }

  /// Serves the events every client has (logs, statistics, token refreshes); false for any
  /// other kind. The caller still owns (and destroys) the event.
  bool serve_common_event(rd_kafka_event_t* ev);

  /// To the error sink, else to the log sink at warning level.
  void report(const error_info& error);
  void log(log_level level, std::string_view facility, std::string_view line);

 private:
  void wait(std::shared_ptr<void> owner);
  // Runs the token provider; finish_refresh hands its token (or its failure) to librdkafka.
  void refresh_token();
  void finish_refresh(std::exception_ptr e, const oauthbearer_token& token);

  boost::asio::any_io_executor ex_;
  // ex_ wrapped once in the type of an any_completion_handler's associated executor. Dispatch
  // asks the handler for its executor with the dispatching executor as the fallback, and
  // converts that fallback to this type: from an any_io_executor a heap allocation and a free
  // per completion, from this a reference count. The wrapper executes on ex_'s own target, so
  // dispatching with it is dispatching with ex_. Posting keeps ex_: post requires
  // blocking.never, which the wrapper's type cannot express.
  boost::asio::any_completion_executor completion_ex_;
  client_sinks sinks_;
  std::shared_ptr<rd_handle> handle_;
  rd_kafka_t* rk_ = nullptr;
  queue_waker waker_;
  std::vector<rd_kafka_queue_t*> queues_;
  std::function<void()> drain_;
  std::function<bool()> serving_;
  std::weak_ptr<void> owner_;  // from start(): a token refresh completes only while it lives
  bool waiting_ = false;
  bool refreshing_ = false;      // a token provider call is in flight
  unsigned token_failures_ = 0;  // refresh failures in a row
};

}  // namespace asiokafka::detail
