#include <asiokafka/broker.hpp>

#include "broker/asyncapi_document.hpp"
#include "broker/explicit_partitions.hpp"
#include "broker/publish_path.hpp"
#include "broker/request_client.hpp"
#include "broker/subscriber_runner.hpp"

#include <asiokafka/wire.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <mutex>
#include <optional>

namespace asio = boost::asio;

namespace asiokafka {

namespace {

constexpr std::string_view offset_store_reason =
    "asiokafka stores offsets itself once the ack policy has decided (at-least-once)";

constexpr std::string_view unjoined_group_reason =
    "explicit partitions without a group: librdkafka's consumer needs a group.id; this one is never joined "
    "and nothing is committed to it";

constexpr std::string_view transactional_commit_reason =
    "exactly-once commits the input offsets in the producer's transaction";

// What a subscriber's options must be for exactly-once (the composer checks its keys).
void check_exactly_once(const subscriber_options& o) {
  if (o.ack == ack_policy::ack_first)
    throw config_error("ack", config_scope::subscriber, o.name,
                       "processing_guarantee::exactly_once cannot use ack_policy::ack_first (it acknowledges "
                       "before handling, so nothing is left for the transaction to commit)");
  if (o.transaction.max_records == 0)
    throw config_error("transaction.max_records", config_scope::subscriber, o.name, "must be at least 1");
  if (o.transaction.max_time.count() <= 0 || o.transaction.call_timeout.count() <= 0)
    throw config_error(o.transaction.max_time.count() <= 0 ? "transaction.max_time" : "transaction.call_timeout",
                       config_scope::subscriber, o.name, "must be positive");
}

// What a batch subscriber's options must be.
void check_batch(const subscriber_options& o) {
  if (o.ack == ack_policy::manual)
    throw config_error("ack", config_scope::subscriber, o.name,
                       "a batch subscriber cannot use ack_policy::manual (a batch handler has no per-record "
                       "ack/nack; it throws to fail the batch)");
  if (o.guarantee == processing_guarantee::exactly_once)
    throw config_error("guarantee", config_scope::subscriber, o.name,
                       "a batch subscriber cannot use processing_guarantee::exactly_once (not supported yet)");
  if (o.batch.max_records == 0)
    throw config_error("batch.max_records", config_scope::subscriber, o.name, "must be at least 1");
  if (o.batch.max_wait.count() <= 0)
    throw config_error("batch.max_wait", config_scope::subscriber, o.name, "must be positive");
}

std::string describe_exception(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

std::string default_name(const std::vector<std::string>& topics) {
  std::string name;
  for (const auto& t : topics) name += (name.empty() ? "" : "+") + t;
  return name;
}

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

// The broker's publisher is shared by every publish: it cannot be transactional.
broker_options checked_publisher_scope(broker_options o) {
  if (o.producer_config.transactional_id || o.producer_config.raw.contains("transactional.id"))
    throw config_error("transactional.id", config_scope::producer, "",
                       "the broker's publisher is not transactional; set transactional_id at broker scope (a base "
                       "for exactly-once subscribers) or at a subscriber's scope");
  return o;
}

struct broker::state : std::enable_shared_from_this<broker::state> {
  state(asio::any_io_executor executor, broker_options o)
      : ex(std::move(executor)),
        strand(asio::make_strand(ex)),
        opts(with_statistics_default(std::move(o))),
        composer(opts.config, opts.policy, opts.static_ids),
        middlewares(std::make_shared<std::vector<middleware>>()),
        all_done(strand) {
    if (!opts.log) opts.log = log_to_stderr();
    out = std::make_shared<detail::publish_path>(
        ex, [composer = composer, producer_scope = opts.producer_config] { return composer.compose_producer(producer_scope); },
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

  asio::any_io_executor ex;
  asio::strand<asio::any_io_executor> strand;
  broker_options opts;
  config_composer composer;
  std::shared_ptr<std::vector<middleware>> middlewares;
  std::vector<std::function<asio::awaitable<void>()>> startup_hooks;
  std::vector<std::function<asio::awaitable<void>()>> shutdown_hooks;
  std::vector<std::shared_ptr<detail::subscriber_runner>> runners;
  std::vector<detail::operation_contract> operations;  // for asyncapi(), in declaration order
  std::shared_ptr<detail::publish_path> out;
  request_stats request_counters;
  std::shared_ptr<detail::request_client> requests;
  bool finishing = false;  // finish_publishing() running (publish strand)
  bool running = false;
  bool stop_requested = false;
  std::size_t remaining = 0;
  error_code first_fatal;
  asio::steady_timer all_done;

  void request_stop() {
    asio::post(strand, [self = shared_from_this()] {
      self->stop_requested = true;
      for (auto& r : self->runners) r->stop();
      if (!self->running)  // publishes and requests made without async_run end with stop() too
        asio::co_spawn(self->out->strand(), self->finish_publishing(), asio::detached);
    });
  }

  // Runs one startup or shutdown hook; a hook that throws is logged and reported as
  // error::hook_failed.
  asio::awaitable<error_code> run_hook(const std::function<asio::awaitable<void>()>& hook, const char* kind,
                                       std::size_t index) {
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
  asio::awaitable<error_code> run_all() {
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
  // flushed.
  // One at a time: stop() and the destructor may both ask (on the publish strand only).
  asio::awaitable<void> finish_publishing() {
    auto self = shared_from_this();
    if (finishing) co_return;
    finishing = true;
    co_await requests->close();
    if (auto ec = co_await out->close())
      opts.log(log_level::warning, "BROKER", "flushing publishes failed: " + ec.message());
    finishing = false;
  }

  // Runs every subscriber on its strand until all have stopped.
  asio::awaitable<void> run_subscribers() {
    auto self = shared_from_this();
    remaining = runners.size();
    for (std::size_t i = 0; i < runners.size(); ++i) {
      auto runner = runners[i];
      asio::co_spawn(runner->strand(), runner->run(),
                     [self, runner](std::exception_ptr e, error_code ec) {
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

  void runner_finished(detail::subscriber_runner& runner, std::exception_ptr e, error_code ec) {
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
};

namespace {
// Registers a subscriber's runner and its AsyncAPI operations (State: broker::state).
template <class State>
const subscriber_stats& add_runner(State& st, detail::subscriber_runner::setup s,
                                   std::vector<detail::operation_contract> contracts) {
  for (auto& c : contracts) st.operations.push_back(std::move(c));
  auto runner = std::make_shared<detail::subscriber_runner>(st.ex, std::move(s));
  st.runners.push_back(runner);
  return runner->stats();
}
}  // namespace

broker::broker(executor_type ex, broker_options options)
    : state_(std::make_shared<state>(std::move(ex), checked_publisher_scope(std::move(options)))) {}

broker::~broker() {
  // Subscribers still running and the reply consumer keep their own state alive; stop them.
  state_->request_stop();
}

broker::executor_type broker::get_executor() const noexcept { return state_->ex; }

void broker::name_subscriber(subscriber_options& options, const std::vector<std::string>& topics) {
  if (!options.name.empty()) return;
  if (!topics.empty() || options.partitions.empty()) {
    options.name = default_name(topics);
    return;
  }
  std::vector<std::string> partitions;
  for (const auto& p : options.partitions) partitions.push_back(p.topic + "[" + std::to_string(p.partition) + "]");
  options.name = default_name(partitions);
}

void broker::add_publisher(detail::operation_contract contract) {
  state_->operations.push_back(std::move(contract));
}

const subscriber_stats& broker::add_subscriber(std::vector<std::string> topics, subscriber_options options,
                                               detail::erased_handler handler,
                                               std::vector<detail::operation_contract> contracts) {
  return add_runner(*state_, {std::move(topics),    std::move(options), std::move(handler),
                              state_->middlewares, state_->out,        state_->opts.log,
                              state_->opts.graceful_timeout, state_->opts.encoder},
                    std::move(contracts));
}

const subscriber_stats& broker::add_batch_subscriber(std::vector<std::string> topics, subscriber_options options,
                                                     detail::erased_batch_handler handler,
                                                     std::vector<detail::operation_contract> contracts) {
  return add_runner(*state_, {std::move(topics), std::move(options), {}, state_->middlewares, state_->out,
                              state_->opts.log, state_->opts.graceful_timeout, state_->opts.encoder,
                              std::move(handler)},
                    std::move(contracts));
}

void broker::use(middleware m) { state_->middlewares->push_back(std::move(m)); }
void broker::on_startup(std::function<asio::awaitable<void>()> hook) { state_->startup_hooks.push_back(std::move(hook)); }
void broker::on_shutdown(std::function<asio::awaitable<void>()> hook) {
  state_->shutdown_hooks.push_back(std::move(hook));
}

std::vector<composed_config> broker::compose_subscribers() const {
  std::vector<consumer_scope> scopes;
  for (const auto& r : state_->runners) {
    const auto& o = r->options();
    if (o.ack == ack_policy::reject_on_error && o.dead_letter_topic.empty())
      throw config_error("dead_letter_topic", config_scope::subscriber, o.name,
                         "ack_policy::reject_on_error needs a dead_letter_topic");
    detail::check_subscription(r->topics(), o);
    if (r->batch_mode()) check_batch(o);
    consumer_scope scope{o.name, o.config, {{"enable.auto.offset.store", "false", std::string(offset_store_reason)}}, {}};
    if (!o.partitions.empty()) {
      scope.group_membership = false;
      scope.defaults.push_back({"group.id", detail::unjoined_group_id(o.name), std::string(unjoined_group_reason)});
    }
    if (o.guarantee == processing_guarantee::exactly_once) {
      check_exactly_once(o);
      scope.owned.push_back({"enable.auto.commit", "false", std::string(transactional_commit_reason)});
      scope.defaults.push_back({"isolation.level", "read_committed", "exactly-once reads only committed records"});
    }
    scopes.push_back(std::move(scope));
  }
  auto configs = state_->composer.compose_consumers(scopes);
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const auto& o = state_->runners[i]->options();
    if (!o.partitions.empty())
      detail::check_committed_starts(o, detail::has_user_group(configs[i]));
    else if (!configs[i].get("group.id"))
      throw config_error("group.id", config_scope::subscriber, o.name,
                         "a subscriber needs a group_id (at broker or subscriber scope)");
  }
  return configs;
}

std::vector<std::optional<composed_config>> broker::compose_transactional_producers() const {
  std::vector<consumer_scope> scopes;
  std::vector<std::size_t> index;
  for (std::size_t i = 0; i < state_->runners.size(); ++i) {
    const auto& o = state_->runners[i]->options();
    if (o.guarantee != processing_guarantee::exactly_once) continue;
    scopes.push_back({o.name, o.config, {}, {}});
    index.push_back(i);
  }
  std::vector<std::optional<composed_config>> out(state_->runners.size());
  if (scopes.empty()) return out;
  auto configs = state_->composer.compose_transactional_producers(scopes, state_->opts.producer_config);
  for (std::size_t k = 0; k < configs.size(); ++k) out[index[k]] = std::move(configs[k]);
  return out;
}

void broker::configure_subscribers() {
  auto configs = compose_subscribers();
  auto producers = compose_transactional_producers();
  for (std::size_t i = 0; i < configs.size(); ++i)
    state_->runners[i]->configure(std::move(configs[i]), std::move(producers[i]));
}

void broker::start_run(asio::any_completion_handler<void(error_code)> handler) {
  auto self = state_;
  if (self->running) {
    asio::post(self->ex, asio::append(std::move(handler), make_error_code(error::already_pending)));
    return;
  }
  self->running = true;
  self->first_fatal = {};
  auto slot = asio::get_associated_cancellation_slot(handler);
  if (slot.is_connected())
    slot.assign([weak = std::weak_ptr<state>(self)](asio::cancellation_type) {
      if (auto s = weak.lock()) s->request_stop();
    });
  asio::co_spawn(self->strand, self->run_all(),
                 [self, slot, h = std::move(handler)](std::exception_ptr e, error_code ec) mutable {
                   if (slot.is_connected()) slot.clear();
                   if (e) {  // run_all itself failed (e.g. out of memory): never reported as success
                     self->running = false;
                     ec = make_error_code(error::fatal);
                     self->opts.log(log_level::error, "BROKER", "run failed: " + describe_exception(e));
                   }
                   asio::dispatch(self->ex, asio::append(std::move(h), ec));
                 });
}

void broker::stop() { state_->request_stop(); }

const message_decoder& broker::broker_decoder() const noexcept {
  return state_->opts.decoder;
}

const payload_encoder& broker::broker_encoder() const noexcept { return state_->opts.encoder; }

void broker::start_publish(detail::outbound_record r,
                           asio::any_completion_handler<void(error_code, delivery_report)> handler) {
  state_->out->start(std::move(r), {}, std::move(handler));
}

void broker::start_request(detail::outbound_record r, std::chrono::milliseconds timeout,
                           asio::any_completion_handler<void(error_code, message)> handler) {
  state_->requests->start(std::move(r), timeout, {}, std::move(handler));
}

error_code broker::undecodable_reply(const message& reply, const std::string& what) {
  ++state_->request_counters.failed;
  state_->opts.log(log_level::error, "REQUEST", "reply " + reply.describe() + " cannot be decoded: " + what);
  return make_error_code(error::decode_failed);
}

const request_stats& broker::requests() const noexcept { return state_->request_counters; }

std::string broker::explain() const {
  std::string out;
  for (const auto& c : compose_subscribers()) out += c.explain() + "\n";
  for (const auto& c : compose_transactional_producers())
    if (c) out += c->explain() + "\n";
  return out;
}

std::string broker::asyncapi(const asyncapi_info& info) const {
  const auto configs = compose_subscribers();
  std::vector<detail::client_endpoint> endpoints;
  std::map<std::string, const composed_config*> by_subscriber;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const composed_config& c = configs[i];
    by_subscriber[state_->runners[i]->name()] = &c;
    endpoints.push_back({c.get("bootstrap.servers").value_or(""), c.get("security.protocol").value_or("plaintext")});
  }
  if (endpoints.empty() || state_->opts.config.bootstrap_servers) {
    const auto& broker_scope = state_->opts.config;
    const auto protocol = broker_scope.raw.find("security.protocol");
    endpoints.push_back({broker_scope.bootstrap_servers.value_or(""),
                         protocol == broker_scope.raw.end() ? "plaintext" : protocol->second});
  }
  // What the broker publishes as JSON, its encoder writes (with its content type).
  auto operations = state_->operations;
  if (state_->opts.encoder)
    for (auto& op : operations)
      if (op.kind == detail::operation_contract::action::send && op.message.json_encoded)
        op.message.content_type = state_->opts.encoder.content_type;
  return detail::make_asyncapi_document(info, operations, endpoints, by_subscriber);
}

const subscriber_stats* broker::stats(std::string_view name) const {
  for (const auto& r : state_->runners)
    if (r->name() == name) return &r->stats();
  return nullptr;
}

std::vector<subscriber_metrics> broker::metrics() const {
  std::vector<subscriber_metrics> out;
  for (const auto& r : state_->runners)
    out.push_back({subscriber_counters::snapshot(r->name(), r->stats()), r->latest_statistics()});
  return out;
}

std::string broker::metrics_text() const {
  const auto subscribers = metrics();
  std::vector<client_metrics> clients;
  if (auto publisher = state_->out->statistics()) clients.push_back(std::move(*publisher));
  const auto requests = request_counters::snapshot(state_->request_counters);
  return to_prometheus(subscribers, clients, &requests);
}

broker_health broker::health() const {
  broker_health h;
  for (const auto& r : state_->runners) h.subscribers.push_back(r->health());
  return h;
}

}  // namespace asiokafka
