#include <asiokafka/config/config_composer.hpp>

#include "config/librdkafka_validation.hpp"
#include "config/property_catalog.hpp"
#include "config/scope_values.hpp"
#include "config/static_id_resolution.hpp"

#include <asiokafka/config/config_error.hpp>
#include <asiokafka/config/redaction.hpp>

#include <functional>
#include <map>
#include <set>
#include <span>
#include <utility>

namespace asiokafka {
namespace {

using detail::client_kind;
using detail::scope_value;
using detail::scope_values;
using entry = composed_config::entry;

constexpr std::string_view static_id_key = "group.instance.id";

struct owned_value {
  std::string value;
  std::string reason;
};
using owned_map = std::map<std::string, owned_value, std::less<>>;

struct composition_input {
  client_kind kind;
  std::string_view name;  // "" for a producer
  const scope_values& broker;
  const scope_values& own;
  std::span<const owned_key> owned;
  const merge_policy& policy;
  const static_id_policy& ids;
};

struct composition_output {
  std::vector<entry> entries;
  std::vector<entry> dropped;
};

std::string quoted(std::string_view key, std::string_view value) {
  return "\"" + redact(key, value) + "\"";
}

std::string alias_note(const std::string& key, const scope_value& v) {
  if (v.typed || v.given_as == key) return {};
  return "; given as \"" + v.given_as + "\"";
}

// One composition, step by step. Every check runs before anything is merged so that a
// conflict is reported as such rather than hidden by a policy decision.
class composition {
 public:
  explicit composition(const composition_input& in) : in_(in) {}

  composition_output run() && {
    const owned_map owned = collect_owned();
    check_own_scope_applies();
    check_owned_against(owned, in_.own, own_scope());
    check_owned_against(owned, in_.broker, config_scope::broker);
    drop_inapplicable_broker_keys();
    merge_ordinary_keys(owned);
    if (in_.kind == client_kind::consumer) add_static_id();
    for (const auto& [key, v] : owned)
      effective_[key] = entry{key, v.value, config_scope::library_owned,
                              "owned by the library: " + v.reason};

    composition_output out;
    for (auto& [key, e] : effective_) out.entries.push_back(std::move(e));
    out.dropped = std::move(dropped_);
    detail::validate_with_librdkafka(out.entries, in_.name);
    return out;
  }

 private:
  [[noreturn]] void fail(std::string key, config_scope scope, const std::string& detail) const {
    throw config_error(std::move(key), scope, std::string(in_.name), detail);
  }

  const char* kind_name() const noexcept {
    return in_.kind == client_kind::consumer ? "consumer" : "producer";
  }
  const char* other_kind_name() const noexcept {
    return in_.kind == client_kind::consumer ? "producer" : "consumer";
  }

  owned_map collect_owned() const {
    owned_map owned;
    for (const auto& o : in_.owned) {
      const std::string key(detail::canonical_key(o.key));
      if (key == static_id_key)
        fail(key, config_scope::library_owned,
             "group.instance.id cannot be owned by a library feature; it follows the "
             "static_id_policy");
      auto [it, inserted] = owned.try_emplace(key, owned_value{o.value, o.reason});
      if (inserted) continue;
      if (it->second.value != o.value)
        fail(key, config_scope::library_owned,
             "two library features need different values: " + quoted(key, it->second.value) +
                 " (" + it->second.reason + ") and " + quoted(key, o.value) + " (" + o.reason + ")");
      if (it->second.reason != o.reason) it->second.reason += "; " + o.reason;
    }
    return owned;
  }

  // The client's own scope: a subscriber's or the producer's.
  config_scope own_scope() const noexcept {
    return in_.kind == client_kind::consumer ? config_scope::subscriber : config_scope::producer;
  }

  void check_own_scope_applies() const {
    for (const auto& [key, v] : in_.own)
      if (!detail::applies_to(in_.kind, key))
        fail(key, own_scope(),
             describe_origin(v) + " is a " + other_kind_name() +
                 "-only property; librdkafka would ignore it on a " + kind_name() +
                 " (set it in the " + other_kind_name() + "'s options or at broker scope)");
  }

  void check_owned_against(const owned_map& owned, const scope_values& user,
                           config_scope scope) const {
    for (const auto& [key, o] : owned) {
      const scope_value* v = detail::find(user, key);
      if (v == nullptr || v->value == o.value || !detail::applies_to(in_.kind, key)) continue;
      fail(key, scope,
           describe_origin(*v) + " = " + quoted(key, v->value) + " conflicts with the value " +
               quoted(key, o.value) + " the library owns: " + o.reason +
               " (remove the setting or set it to the owned value)");
    }
  }

  void drop_inapplicable_broker_keys() {
    for (const auto& [key, v] : in_.broker)
      if (!detail::applies_to(in_.kind, key))
        dropped_.push_back(entry{key, v.value, config_scope::broker,
                                 std::string(other_kind_name()) + "-only property; not passed to a " +
                                     kind_name() + alias_note(key, v)});
  }

  void merge_ordinary_keys(const owned_map& owned) {
    std::set<std::string, std::less<>> keys;
    for (const auto& d : detail::library_defaults(in_.kind)) keys.emplace(d.key);
    for (const auto& [key, v] : in_.broker)
      if (detail::applies_to(in_.kind, key)) keys.insert(key);
    for (const auto& [key, v] : in_.own) keys.insert(key);

    for (const auto& key : keys) {
      if (key == static_id_key || owned.contains(key)) continue;
      std::vector<config_candidate> candidates;
      std::vector<const scope_value*> origins;
      for (const auto& d : detail::library_defaults(in_.kind))
        if (d.key == key) {
          candidates.push_back({config_scope::library_default, d.value});
          origins.push_back(nullptr);
        }
      if (const scope_value* v = detail::find(in_.broker, key)) {
        candidates.push_back({config_scope::broker, v->value});
        origins.push_back(v);
      }
      if (const scope_value* v = detail::find(in_.own, key)) {
        candidates.push_back({own_scope(), v->value});
        origins.push_back(v);
      }

      const std::size_t winner = candidates.size() == 1 ? 0 : in_.policy.choose(key, candidates);
      const config_candidate& won = candidates[winner];
      std::string note;
      if (candidates.size() == 1) {
        note = won.scope == config_scope::library_default
                   ? "library default"
                   : "set at " + std::string(to_string(won.scope)) + " scope";
      } else {
        note = std::string(to_string(won.scope)) + " scope beats ";
        bool first = true;
        for (std::size_t i = candidates.size(); i-- > 0;) {
          if (i == winner) continue;
          if (!first) note += ", ";
          note += to_string(candidates[i].scope);
          first = false;
        }
        note += " (" + std::string(in_.policy.name_for(key)) + ")";
      }
      if (origins[winner]) note += alias_note(key, *origins[winner]);
      effective_[key] = entry{key, std::string(won.value), won.scope, std::move(note)};
    }
  }

  void add_static_id() {
    const scope_value* broker = detail::find(in_.broker, static_id_key);
    const scope_value* own = detail::find(in_.own, static_id_key);
    auto id = detail::resolve_static_id(in_.ids, {broker, own, in_.name});
    if (!id) return;
    if (!effective_.contains("group.id"))
      fail(std::string(static_id_key), id->scope,
           "a static group.instance.id needs a group.id (static membership is membership of a "
           "group); set group.id or remove group.instance.id");
    const std::string key(static_id_key);
    effective_[key] = entry{key, std::move(id->value), id->scope, std::move(id->note)};
  }

  const composition_input& in_;
  std::map<std::string, entry, std::less<>> effective_;
  std::vector<entry> dropped_;
};

std::string title(std::string_view name, const merge_policy& policy, const static_id_policy& ids,
                  client_kind kind) {
  std::string t = "effective configuration of ";
  t += kind == client_kind::consumer ? "subscriber \"" + std::string(name) + "\"" : "the producer";
  t += " (merge policy: " + std::string(policy.name());
  if (kind == client_kind::consumer) t += ", static ids: " + std::string(ids.name());
  t += ")";
  return t;
}

}  // namespace

config_composer::config_composer(client_options broker_scope, merge_policy policy,
                                 static_id_policy ids)
    : broker_scope_(std::move(broker_scope)), policy_(std::move(policy)), ids_(std::move(ids)) {
  // A broker scope that contradicts itself is wrong for every client: say so at construction.
  detail::flatten(broker_scope_, config_scope::broker, "");
}

composed_config config_composer::compose_consumer(const consumer_scope& consumer) const {
  if (consumer.name.empty())
    throw config_error("", config_scope::subscriber, "",
                       "a consumer needs a non-empty subscriber name (it is part of derived "
                       "group.instance.ids and of error messages)");
  const scope_values broker = detail::flatten(broker_scope_, config_scope::broker, consumer.name);
  const scope_values own = detail::flatten(consumer.options, config_scope::subscriber, consumer.name);
  auto out = composition({client_kind::consumer, consumer.name, broker, own, consumer.owned, policy_,
                          ids_})
                 .run();
  return composed_config(consumer.name, title(consumer.name, policy_, ids_, client_kind::consumer),
                         std::move(out.entries), std::move(out.dropped));
}

std::vector<composed_config> config_composer::compose_consumers(
    const std::vector<consumer_scope>& consumers) const {
  std::set<std::string_view> names;
  for (const auto& c : consumers)
    if (!names.insert(c.name).second)
      throw config_error("", config_scope::subscriber, c.name,
                         "two consumers are named \"" + c.name +
                             "\"; subscriber names must be unique (they are part of derived "
                             "group.instance.ids)");

  std::vector<composed_config> composed;
  composed.reserve(consumers.size());
  // (group.id, group.instance.id) -> index of the consumer that has it
  std::map<std::pair<std::string, std::string>, std::size_t> static_members;
  for (const auto& c : consumers) {
    composed.push_back(compose_consumer(c));
    const composed_config& cfg = composed.back();
    const composed_config::entry* id = cfg.find(static_id_key);
    if (id == nullptr) continue;
    const std::string group = cfg.get("group.id").value_or("");
    const auto [it, inserted] =
        static_members.try_emplace(std::pair{group, id->value}, composed.size() - 1);
    if (inserted) continue;
    throw config_error(std::string(static_id_key), id->scope, c.name,
                       "subscribers \"" + composed[it->second].name() + "\" and \"" + c.name +
                           "\" of group \"" + group + "\" would both use group.instance.id \"" +
                           id->value +
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
  auto out = composition({client_kind::producer, "", broker, own, owned, policy_, ids_}).run();
  return composed_config("", title("", policy_, ids_, client_kind::producer),
                         std::move(out.entries), std::move(out.dropped));
}

}  // namespace asiokafka
