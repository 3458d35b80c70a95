// The broker object: registration, start and stop (the lifecycle itself runs in
// broker_state.cpp, on the broker's strand), publishing and requests.
#include <asiokafka/broker.hpp>

#include "broker/broker_state.hpp"

#include <boost/system/system_error.hpp>

namespace asio = boost::asio;

namespace asiokafka {

namespace {

std::string default_name(const std::vector<std::string>& topics) {
  std::string name;
  for (const auto& t : topics) name += (name.empty() ? "" : "+") + t;
  return name;
}

// The broker's publisher is shared by every publish: it cannot be transactional.
broker_options checked_publisher_scope(broker_options o) {
  if (o.producer_config.transactional_id || o.producer_config.raw.contains("transactional.id"))
    throw config_error("transactional.id", config_scope::producer, "",
                       "the broker's publisher is not transactional; set transactional_id at broker scope (a base "
                       "for exactly-once subscribers) or at a subscriber's scope");
  return o;
}

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

void broker::add_publisher(detail::operation_contract contract) { state_->operations.push_back(std::move(contract)); }

const subscriber_stats& broker::add_subscriber(std::vector<std::string> topics, subscriber_options options,
                                               detail::erased_handler handler,
                                               std::vector<detail::operation_contract> contracts) {
  return add_runner(*state_,
                    {std::move(topics), std::move(options), std::move(handler), state_->middlewares, state_->out,
                     state_->opts.log, state_->opts.graceful_timeout, state_->opts.encoder},
                    std::move(contracts));
}

const subscriber_stats& broker::add_batch_subscriber(std::vector<std::string> topics, subscriber_options options,
                                                     detail::erased_batch_handler handler,
                                                     std::vector<detail::operation_contract> contracts) {
  return add_runner(*state_,
                    {std::move(topics),
                     std::move(options),
                     {},
                     state_->middlewares,
                     state_->out,
                     state_->opts.log,
                     state_->opts.graceful_timeout,
                     state_->opts.encoder,
                     std::move(handler)},
                    std::move(contracts));
}

void broker::use(middleware m) { state_->middlewares->push_back(std::move(m)); }
void broker::on_startup(std::function<asio::awaitable<void>()> hook) {
  state_->startup_hooks.push_back(std::move(hook));
}
void broker::on_shutdown(std::function<asio::awaitable<void>()> hook) {
  state_->shutdown_hooks.push_back(std::move(hook));
}

void broker::start_run(asio::any_completion_handler<void(error_code)> handler) { state_->start(std::move(handler)); }

void broker::stop() { state_->request_stop(); }

detail::publish_link broker::publish_link() const { return {state_->out, state_->ex, state_->opts.encoder}; }

const message_decoder& broker::broker_decoder() const noexcept { return state_->opts.decoder; }

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

}  // namespace asiokafka
