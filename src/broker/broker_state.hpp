// The broker's state, shared by the broker object, its subscribers' completions and its
// publishers' publish path. Ownership: everything mutable here lives on `strand` (running,
// stop_requested, remaining, first_fatal); the registrations (runners, hooks, middlewares,
// operations) are made before async_run and only read after it; `out` and `requests` have
// strands of their own. Split out of broker.cpp: the lifecycle (broker_state.cpp), the
// broker's members (broker.cpp) and its introspection (broker_introspection.cpp) share it.
#pragma once

#include <asiokafka/broker.hpp>

#include "broker/publish_path.hpp"
#include "broker/request_client.hpp"
#include "broker/subscriber_runner.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace asiokafka {

struct broker::state : std::enable_shared_from_this<broker::state> {
  state(boost::asio::any_io_executor executor, broker_options o);

  boost::asio::any_io_executor ex;
  boost::asio::strand<boost::asio::any_io_executor> strand;
  broker_options opts;
  config_composer composer;
  std::shared_ptr<std::vector<middleware>> middlewares;
  std::vector<std::function<boost::asio::awaitable<void>()>> startup_hooks;
  std::vector<std::function<boost::asio::awaitable<void>()>> shutdown_hooks;
  std::vector<std::shared_ptr<detail::subscriber_runner>> runners;
  std::vector<detail::operation_contract> operations;  // for asyncapi(), in declaration order
  std::shared_ptr<detail::publish_path> out;
  request_stats request_counters;
  std::shared_ptr<detail::request_client> requests;
  bool finishing = false;  // finish_publishing() running (publish strand)
  // On strand:
  bool running = false;
  bool stop_requested = false;
  std::size_t remaining = 0;
  error_code first_fatal;
  boost::asio::steady_timer all_done;

  /// Any thread: stops the subscribers (and, when not running, ends what publishes and
  /// requests left), on the strand.
  void request_stop();

  /// On the strand: validates and configures every subscriber, then runs them; completes
  /// `handler` (on its executor, never inline) with error::already_pending when running,
  /// error::invalid_config when a subscriber's configuration is refused (its config_error
  /// logged, naming key, scope and subscriber), else with run_all's result.
  void start(boost::asio::any_completion_handler<void(error_code)> handler);

  /// The consumer configuration of each subscriber, in registration order (throws
  /// config_error); any thread, once the subscribers are registered.
  std::vector<composed_config> compose_subscribers() const;
  /// The transactional producer of each exactly-once subscriber (nullopt for the others).
  std::vector<std::optional<composed_config>> compose_transactional_producers() const;

 private:
  boost::asio::awaitable<error_code> run_hook(const std::function<boost::asio::awaitable<void>()>& hook,
                                              const char* kind, std::size_t index);
  boost::asio::awaitable<error_code> run_all();
  boost::asio::awaitable<void> finish_publishing();
  boost::asio::awaitable<void> run_subscribers();
  void runner_finished(detail::subscriber_runner& runner, std::exception_ptr e, error_code ec);
};

/// The message of an exception_ptr's exception ("unknown exception" for a non-std one).
std::string describe_exception(const std::exception_ptr& e);

}  // namespace asiokafka
