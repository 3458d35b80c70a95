#include <asiokafka/config/config_composer.hpp>

#include "config/composition.hpp"
#include "config/scope_values.hpp"
#include "config/static_id_resolution.hpp"

#include <asiokafka/config/config_error.hpp>

#include <array>
#include <map>
#include <set>
#include <utility>

namespace asiokafka {
namespace {

using detail::composition_kind;
using detail::scope_values;
using detail::user_scope;

std::string title(composition_kind kind, std::string_view name, const merge_policy& policy,
                  const static_id_policy& ids) {
  std::string t = "effective configuration of ";
  switch (kind) {
    case composition_kind::consumer:
      t += "subscriber \"" + std::string(name) + "\"";
      break;
    case composition_kind::producer:
      t += "the producer";
      break;
    case composition_kind::transactional_producer:
      t += "the transactional producer of subscriber \"" + std::string(name) + "\"";
      break;
  }
  t += " (merge policy: " + std::string(policy.name());
  if (kind != composition_kind::producer) t += ", static ids: " + std::string(ids.name());
  t += ")";
  return t;
}

void require_name(const consumer_scope& consumer) {
  if (consumer.name.empty())
    throw config_error("", config_scope::subscriber, "",
                       "a consumer needs a non-empty subscriber name (it is part of derived "
                       "group.instance.ids and transactional.ids and of error messages)");
}

void require_unique_names(const std::vector<consumer_scope>& consumers) {
  std::set<std::string_view> names;
  for (const auto& c : consumers)
    if (!names.insert(c.name).second)
      throw config_error("", config_scope::subscriber, c.name,
                         "two consumers are named \"" + c.name +
                             "\"; subscriber names must be unique (they are part of derived "
                             "group.instance.ids and transactional.ids)");
}

}  // namespace

config_composer::config_composer(client_options broker_scope, merge_policy policy, static_id_policy ids)
    : broker_scope_(std::move(broker_scope)), policy_(std::move(policy)), ids_(std::move(ids)) {
  // A broker scope that contradicts itself is wrong for every client: say so at construction.
  detail::flatten(broker_scope_, config_scope::broker, "");
}

composed_config config_composer::compose_consumer(const consumer_scope& consumer) const {
  require_name(consumer);
  const scope_values broker = detail::flatten(broker_scope_, config_scope::broker, consumer.name);
  const scope_values own = detail::flatten(consumer.options, config_scope::subscriber, consumer.name);
  const std::array scopes{user_scope{config_scope::broker, broker, true},
                          user_scope{config_scope::subscriber, own, false}};
  auto out = detail::compose({composition_kind::consumer, consumer.name, scopes, consumer.defaults, consumer.owned,
                              policy_, ids_, consumer.group_membership});
  return composed_config(consumer.name, title(composition_kind::consumer, consumer.name, policy_, ids_),
                         std::move(out.entries), std::move(out.dropped));
}

std::vector<composed_config> config_composer::compose_consumers(const std::vector<consumer_scope>& consumers) const {
  require_unique_names(consumers);
  std::vector<composed_config> composed;
  composed.reserve(consumers.size());
  // (group.id, group.instance.id) -> index of the consumer that has it
  std::map<std::pair<std::string, std::string>, std::size_t> static_members;
  for (const auto& c : consumers) {
    composed.push_back(compose_consumer(c));
    const composed_config& cfg = composed.back();
    const composed_config::entry* id = cfg.find(detail::static_id_key);
    if (id == nullptr) continue;
    const std::string group = cfg.get("group.id").value_or("");
    const auto [it, inserted] = static_members.try_emplace(std::pair{group, id->value}, composed.size() - 1);
    if (inserted) continue;
    throw config_error(std::string(detail::static_id_key), id->scope, c.name,
                       "subscribers \"" + composed[it->second].name() + "\" and \"" + c.name + "\" of group \"" +
                           group + "\" would both use group.instance.id \"" + id->value +
                           "\"; consumers sharing a static id fence each other "
                           "(FENCED_INSTANCE_ID). Give each subscriber its own id or a "
                           "broker-scope base to derive from");
  }
  return composed;
}

composed_config config_composer::compose_producer(const client_options& producer_scope,
                                                  const std::vector<owned_key>& owned) const {
  const scope_values broker = detail::flatten(broker_scope_, config_scope::broker, "");
  const scope_values own = detail::flatten(producer_scope, config_scope::producer, "");
  const std::array scopes{user_scope{config_scope::broker, broker, true},
                          user_scope{config_scope::producer, own, false}};
  auto out = detail::compose({composition_kind::producer, "", scopes, {}, owned, policy_, ids_});
  return composed_config("", title(composition_kind::producer, "", policy_, ids_), std::move(out.entries),
                         std::move(out.dropped));
}

composed_config config_composer::compose_transactional_producer(const consumer_scope& consumer,
                                                                const client_options& producer_scope,
                                                                const std::vector<owned_key>& owned) const {
  require_name(consumer);
  const scope_values broker = detail::flatten(broker_scope_, config_scope::broker, consumer.name);
  const scope_values producer = detail::flatten(producer_scope, config_scope::producer, consumer.name);
  const scope_values own = detail::flatten(consumer.options, config_scope::subscriber, consumer.name);
  const std::array scopes{user_scope{config_scope::broker, broker, true},
                          user_scope{config_scope::producer, producer, false},
                          user_scope{config_scope::subscriber, own, true}};
  auto out =
      detail::compose({composition_kind::transactional_producer, consumer.name, scopes, {}, owned, policy_, ids_});
  return composed_config(consumer.name, title(composition_kind::transactional_producer, consumer.name, policy_, ids_),
                         std::move(out.entries), std::move(out.dropped));
}

std::vector<composed_config> config_composer::compose_transactional_producers(
    const std::vector<consumer_scope>& consumers, const client_options& producer_scope) const {
  require_unique_names(consumers);
  std::vector<composed_config> composed;
  composed.reserve(consumers.size());
  std::map<std::string, std::size_t> holders;  // transactional.id -> index of its consumer
  for (const auto& c : consumers) {
    composed.push_back(compose_transactional_producer(c, producer_scope));
    const composed_config::entry* id = composed.back().find(detail::transactional_id_key);
    const auto [it, inserted] = holders.try_emplace(id->value, composed.size() - 1);
    if (inserted) continue;
    throw config_error(std::string(detail::transactional_id_key), id->scope, c.name,
                       "subscribers \"" + composed[it->second].name() + "\" and \"" + c.name +
                           "\" would both use transactional.id \"" + id->value +
                           "\"; producers sharing a transactional id fence each other (the newer "
                           "one aborts the older one's transactions). Give each subscriber its own "
                           "id or a broker-scope base to derive from");
  }
  return composed;
}

}  // namespace asiokafka
