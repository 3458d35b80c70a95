// The broker's lifecycle on its strand: start (validate, configure, run), the hooks, the
// subscribers' runs and their ends, stop, and the final flush of publishes and requests.
#include "broker/broker_state.hpp"

#include "broker/subscriber_scope.hpp"

#include <asiokafka/wire.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;

namespace asiokafka {

namespace {

// statistics_interval is a broker-scope default: a statistics.interval.ms the user set at
// broker scope is kept, one set at subscriber scope wins as any subscriber key does.
broker_options with_statistics_default(broker_options o) {
  if (o.statistics_interval.count() > 0 && !o.config.raw.contains("statistics.interval.ms"))
    o.config.raw["statistics.interval.ms"] = std::to_string(o.statistics_interval.count());
  return o;
}

std::string default_reply_topic() {
  std::string id = wire::new_correlation_id();
  std::erase(id, '-');
  return "asiokafka-replies-" + id.substr(0, 16);
}

}  // namespace

std::string describe_exception(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

broker::state::state(asio::any_io_executor executor, broker_options o)
    : ex(std::move(executor)),
      strand(asio::make_strand(ex)),
      opts(with_statistics_default(std::move(o))),
      composer(opts.config, opts.policy, opts.static_ids),
      middlewares(std::make_shared<std::vector<middleware>>()),
      all_done(strand) {
  if (!opts.log) opts.log = log_to_stderr();
  out = std::make_shared<detail::publish_path>(
      ex,
      [composer = composer, producer_scope = opts.producer_config] {
        return composer.compose_producer(producer_scope);
      },
      opts.log, opts.token_provider, opts.on_span);
  const std::string reply_topic = opts.reply_topic.empty() ? default_reply_topic() : opts.reply_topic;
  requests = std::make_shared<detail::request_client>(
      out, reply_topic,
      [composer = composer, reply_topic] {
        client_options scope;
        scope.group_id = reply_topic;  // never joined: the reply consumer is assigned
        return composer.compose_consumer(
            {reply_topic,
             scope,
             {{"enable.auto.commit", "false", "the reply consumer reads from the end and commits nothing"}}});
      },
      request_counters);
}

void broker::state::request_stop() {
  asio::post(strand, [self = shared_from_this()] {
    self->stop_requested = true;
    for (auto& r : self->runners) r->stop();
    if (!self->running)  // publishes and requests made without async_run end with stop() too
      asio::co_spawn(self->out->strand(), self->finish_publishing(), asio::detached);
  });
}

void broker::state::start(asio::any_completion_handler<void(error_code)> handler) {
  // Cancellation (any type) means stop(); connected here, in the initiating function.
  auto slot = asio::get_associated_cancellation_slot(handler);
  if (slot.is_connected())
    slot.assign([weak = weak_from_this()](asio::cancellation_type) {
      if (auto s = weak.lock()) s->request_stop();
    });
  asio::post(strand, [self = shared_from_this(), h = std::move(handler)]() mutable {
    const auto complete = [&](error_code ec) {
      if (auto s = asio::get_associated_cancellation_slot(h); s.is_connected()) s.clear();
      asio::post(self->ex, asio::append(std::move(h), ec));
    };
    if (self->running) return complete(make_error_code(error::already_pending));
    try {
      auto configs = self->compose_subscribers();
      auto producers = self->compose_transactional_producers();
      for (std::size_t i = 0; i < configs.size(); ++i)
        self->runners[i]->configure(std::move(configs[i]), std::move(producers[i]));
    } catch (const config_error& e) {
      self->opts.log(log_level::error, "BROKER", std::string("not started: ") + e.what());
      return complete(make_error_code(error::invalid_config));
    }
    self->running = true;
    self->first_fatal = {};
    asio::co_spawn(self->strand, self->run_all(),
                   [self, h = std::move(h)](std::exception_ptr e, error_code ec) mutable {
                     // On the strand (co_spawn's executor).
                     if (auto s = asio::get_associated_cancellation_slot(h); s.is_connected()) s.clear();
                     if (e) {  // run_all itself failed (e.g. out of memory): never reported as success
                       self->running = false;
                       ec = make_error_code(error::fatal);
                       self->opts.log(log_level::error, "BROKER", "run failed: " + describe_exception(e));
                     }
                     asio::dispatch(self->ex, asio::append(std::move(h), ec));
                   });
  });
}

// Runs one startup or shutdown hook; a hook that throws is logged and reported as
// error::hook_failed.
asio::awaitable<error_code> broker::state::run_hook(const std::function<asio::awaitable<void>()>& hook,
                                                    const char* kind, std::size_t index) {
  std::exception_ptr failure;
  try {
    co_await hook();
    co_return error_code{};
  } catch (...) {
    failure = std::current_exception();
  }
  opts.log(log_level::error, "BROKER",
           std::string(kind) + " hook #" + std::to_string(index + 1) + " failed: " + describe_exception(failure));
  co_return make_error_code(error::hook_failed);
}

// Startup hooks, subscribers, shutdown hooks, publisher flush. A failing startup hook stops
// the start: no subscriber starts and no shutdown hook runs (what the hooks published is
// still flushed). Every shutdown hook runs; the result is the first fatal subscriber error,
// else the first hook failure.
asio::awaitable<error_code> broker::state::run_all() {
  auto self = shared_from_this();
  error_code result;
  for (std::size_t i = 0; i < startup_hooks.size() && !result; ++i)
    result = co_await run_hook(startup_hooks[i], "startup", i);
  if (!result) {
    co_await run_subscribers();
    for (std::size_t i = 0; i < shutdown_hooks.size(); ++i) {
      auto ec = co_await run_hook(shutdown_hooks[i], "shutdown", i);
      if (!result) result = ec;
    }
    if (first_fatal) result = first_fatal;
  }
  co_await asio::co_spawn(out->strand(), finish_publishing(), asio::use_awaitable);
  running = false;
  co_return result;
}

// On the publish strand: pending requests end with error::closed, the publishes are
// flushed. One at a time: stop() and the destructor may both ask.
asio::awaitable<void> broker::state::finish_publishing() {
  auto self = shared_from_this();
  if (finishing) co_return;
  finishing = true;
  co_await requests->close();
  if (auto ec = co_await out->close())
    opts.log(log_level::warning, "BROKER", "flushing publishes failed: " + ec.message());
  finishing = false;
}

// Runs every subscriber on its strand until all have stopped.
asio::awaitable<void> broker::state::run_subscribers() {
  auto self = shared_from_this();
  remaining = runners.size();
  for (std::size_t i = 0; i < runners.size(); ++i) {
    auto runner = runners[i];
    asio::co_spawn(runner->strand(), runner->run(), [self, runner](std::exception_ptr e, error_code ec) {
      asio::post(self->strand, [self, runner, e, ec] { self->runner_finished(*runner, e, ec); });
    });
  }
  if (stop_requested)
    for (auto& r : runners) r->stop();
  while (remaining > 0) {
    all_done.expires_at(asio::steady_timer::time_point::max());
    co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void broker::state::runner_finished(detail::subscriber_runner& runner, std::exception_ptr e, error_code ec) {
  if (e) {
    const std::string what = describe_exception(e);
    opts.log(log_level::error, "BROKER", "subscriber \"" + runner.name() + "\" stopped: " + what);
    runner.stopped_by_exception(what);
    if (!ec) ec = make_error_code(error::fatal);
  }
  if (ec && !first_fatal) {
    first_fatal = ec;
    for (auto& r : runners) r->stop();
  }
  if (--remaining == 0) all_done.cancel();
}

std::vector<composed_config> broker::state::compose_subscribers() const {
  std::vector<consumer_scope> scopes;
  for (const auto& r : runners)
    scopes.push_back(detail::subscriber_consumer_scope(r->topics(), r->options(), r->batch_mode()));
  auto configs = composer.compose_consumers(scopes);
  for (std::size_t i = 0; i < configs.size(); ++i) detail::check_composed_subscriber(runners[i]->options(), configs[i]);
  return configs;
}

std::vector<std::optional<composed_config>> broker::state::compose_transactional_producers() const {
  std::vector<consumer_scope> scopes;
  std::vector<std::size_t> index;
  for (std::size_t i = 0; i < runners.size(); ++i) {
    const auto& o = runners[i]->options();
    if (o.guarantee != processing_guarantee::exactly_once) continue;
    scopes.push_back({o.name, o.config, {}, {}});
    index.push_back(i);
  }
  std::vector<std::optional<composed_config>> result(runners.size());
  if (scopes.empty()) return result;
  auto configs = composer.compose_transactional_producers(scopes, opts.producer_config);
  for (std::size_t k = 0; k < configs.size(); ++k) result[index[k]] = std::move(configs[k]);
  return result;
}

}  // namespace asiokafka
