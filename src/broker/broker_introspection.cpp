// What a broker tells about itself: its composed configuration (explain), its AsyncAPI
// document, and its subscribers' statistics, metrics and health.
#include <asiokafka/broker.hpp>

#include "broker/asyncapi_document.hpp"
#include "broker/broker_state.hpp"

#include <map>

namespace asiokafka {

std::string broker::explain() const {
  std::string out;
  for (const auto& c : state_->compose_subscribers()) out += c.explain() + "\n";
  for (const auto& c : state_->compose_transactional_producers())
    if (c) out += c->explain() + "\n";
  return out;
}

std::string broker::asyncapi(const asyncapi_info& info) const {
  const auto configs = state_->compose_subscribers();
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
