// What every librdkafka client (consumer, producer, later the admin client) needs once: the
// handle created from a composed configuration, its queues bridged to the reactor through one
// waker, the event loop that drains them after every wake-up, and the error, statistics and
// log sinks. The clients above it only handle the events that are theirs.
#pragma once

#include <asiokafka/sinks.hpp>

#include "detail/queue_waker.hpp"
#include "detail/rd_conf.hpp"
#include "detail/rd_handle.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <librdkafka/rdkafka.h>

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
};

class client_core {
 public:
  /// Creates the handle. Every callback librdkafka offers becomes an event on a bridged
  /// queue: `events` (the client's own kinds) plus errors, statistics and logs, which the
  /// core serves. Throws system_error (error::invalid_config) as "<label>: <librdkafka's
  /// reason>" when librdkafka refuses the configuration.
  client_core(boost::asio::any_io_executor ex, rd_kafka_type_t type, rd_conf_ptr conf, int events,
              client_sinks sinks, std::string_view label);
  client_core(const client_core&) = delete;
  client_core& operator=(const client_core&) = delete;
  /// Unbridges and destroys the queues handed to bridge().
  ~client_core();

  const boost::asio::any_io_executor& executor() const noexcept { return ex_; }
  rd_kafka_t* rk() const noexcept { return rk_; }
  const std::shared_ptr<rd_handle>& handle() const noexcept { return handle_; }

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

  /// Serves the events every client has (logs, statistics); false for any other kind. The
  /// caller still owns (and destroys) the event.
  bool serve_common_event(rd_kafka_event_t* ev);

  /// To the error sink, else to the log sink at warning level.
  void report(const error_code& ec, std::string_view context);
  void log(log_level level, std::string_view facility, std::string_view line);

 private:
  void wait(std::shared_ptr<void> owner);

  boost::asio::any_io_executor ex_;
  client_sinks sinks_;
  std::shared_ptr<rd_handle> handle_;
  rd_kafka_t* rk_ = nullptr;
  queue_waker waker_;
  std::vector<rd_kafka_queue_t*> queues_;
  std::function<void()> drain_;
  std::function<bool()> serving_;
  bool waiting_ = false;
};

}  // namespace asiokafka::detail
