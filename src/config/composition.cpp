#include "config/composition.hpp"

#include "config/librdkafka_validation.hpp"
#include "config/property_catalog.hpp"
#include "config/static_id_resolution.hpp"
#include "config/transactional_id_resolution.hpp"
#include "config/version_requirements.hpp"

#include <asiokafka/config/config_error.hpp>
#include <asiokafka/config/redaction.hpp>

#include <boost/algorithm/string/predicate.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <utility>

namespace asiokafka::detail {
namespace {

using entry = composed_config::entry;

constexpr std::string_view idempotence_key = "enable.idempotence";
constexpr std::string_view group_protocol_key = "group.protocol";

// A value a library feature fixes (owned) or defaults to.
struct feature_value {
  std::string value;
  std::string reason;
};
using feature_map = std::map<std::string, feature_value, std::less<>>;

std::string quoted(std::string_view key, std::string_view value) { return "\"" + redact(key, value) + "\""; }

std::string alias_note(const std::string& key, const scope_value& v) {
  if (v.typed || v.given_as == key) return {};
  return "; given as \"" + v.given_as + "\"";
}

// What happens to one user scope's key.
enum class fate {
  use,     // merged, or resolved by the static-id rule
  drop,    // listed in dropped(), not passed to librdkafka
  reject,  // config_error
};

// One composition, step by step. Every check runs before anything is merged so that a
// conflict is reported as such rather than hidden by a policy decision.
class composition {
 public:
  explicit composition(const composition_input& in) : in_(in) {}

  composition_output run() && {
    const feature_map owned = collect(in_.owned, config_scope::library_owned);
    const feature_map defaults = collect_defaults(owned);
    reject_misplaced_keys();
    // The most specific scope first, so its conflict is the one reported.
    for (auto s = in_.scopes.rbegin(); s != in_.scopes.rend(); ++s) check_owned_against(owned, *s);
    drop_inapplicable_keys();
    merge_ordinary_keys(defaults, owned);
    check_versions();
    if (in_.kind == composition_kind::consumer) apply_group_protocol();
    if (in_.kind == composition_kind::consumer && in_.group_membership) add_static_id();
    if (in_.kind == composition_kind::transactional_producer) add_transactional_id(owned);
    if (in_.kind == composition_kind::producer) add_standalone_transactional_id(owned);
    for (const auto& [key, v] : owned)
      effective_[key] = entry{key, v.value, config_scope::library_owned, "owned by the library: " + v.reason};

    composition_output out;
    for (auto& [key, e] : effective_) out.entries.push_back(std::move(e));
    std::stable_sort(dropped_.begin(), dropped_.end(), [](const entry& a, const entry& b) { return a.key < b.key; });
    out.dropped = std::move(dropped_);
    validate_with_librdkafka(out.entries, in_.name);
    return out;
  }

 private:
  [[noreturn]] void fail(std::string key, config_scope scope, const std::string& detail) const {
    throw config_error(std::move(key), scope, std::string(in_.name), detail);
  }

  client_kind catalog_kind() const noexcept {
    return in_.kind == composition_kind::consumer ? client_kind::consumer : client_kind::producer;
  }
  const char* kind_name() const noexcept { return in_.kind == composition_kind::consumer ? "consumer" : "producer"; }
  const char* other_kind_name() const noexcept {
    return in_.kind == composition_kind::consumer ? "producer" : "consumer";
  }
  bool is_id_key(std::string_view key) const noexcept { return key == static_id_key || key == transactional_id_key; }

  fate fate_of(const user_scope& s, std::string_view key) const {
    if (key == transactional_id_key) {
      if (in_.kind == composition_kind::consumer) return fate::drop;
      // A producer's own scope makes it a standalone transactional producer; a broker-scope
      // value is a base for exactly-once subscribers, never the shared producer's id.
      if (s.scope == config_scope::producer) return in_.kind == composition_kind::producer ? fate::use : fate::reject;
      return in_.kind == composition_kind::producer ? fate::drop : fate::use;
    }
    // Static membership is membership of a group: a consumer without it has no static id.
    if (key == static_id_key && in_.kind == composition_kind::consumer && !in_.group_membership)
      return s.scope == config_scope::subscriber ? fate::reject : fate::drop;
    if (applies_to(catalog_kind(), key)) return fate::use;
    return s.drops_inapplicable ? fate::drop : fate::reject;
  }

  const scope_value* value_at(config_scope scope, std::string_view key) const {
    for (const auto& s : in_.scopes)
      if (s.scope == scope) return find(s.values, key);
    return nullptr;
  }

  // Owned keys (scope library_owned) or feature defaults (scope library_default).
  feature_map collect(std::span<const owned_key> keys, config_scope scope) const {
    const bool owned = scope == config_scope::library_owned;
    feature_map collected;
    for (const auto& k : keys) {
      const std::string key(canonical_key(k.key));
      if (is_id_key(key))
        fail(key, scope,
             key + " cannot be " + (owned ? "owned" : "defaulted") +
                 " by a library feature; it follows the static_id_policy");
      auto [it, inserted] = collected.try_emplace(key, feature_value{k.value, k.reason});
      if (inserted) continue;
      if (it->second.value != k.value)
        fail(key, scope,
             std::string("two library features ") + (owned ? "need" : "default to") +
                 " different values: " + quoted(key, it->second.value) + " (" + it->second.reason + ") and " +
                 quoted(key, k.value) + " (" + k.reason + ")");
      if (it->second.reason != k.reason) it->second.reason += "; " + k.reason;
    }
    return collected;
  }

  feature_map collect_defaults(const feature_map& owned) const {
    feature_map defaults = collect(in_.defaults, config_scope::library_default);
    for (const auto& [key, d] : defaults) {
      if (!applies_to(catalog_kind(), key))
        fail(key, config_scope::library_default,
             "a library feature defaults a " + std::string(other_kind_name()) + "-only property (" + d.reason +
                 "); librdkafka would ignore it on a " + kind_name());
      const auto o = owned.find(key);
      if (o != owned.end() && o->second.value != d.value)
        fail(key, config_scope::library_default,
             "a library feature defaults it to " + quoted(key, d.value) + " (" + d.reason +
                 ") and another owns it as " + quoted(key, o->second.value) + " (" + o->second.reason + ")");
    }
    return defaults;
  }

  std::string rejection(const std::string& key, const scope_value& v) const {
    if (key == static_id_key)
      return describe_origin(v) +
             " does not apply: this subscriber reads explicit partitions without group membership, so "
             "there is no static membership (remove the key)";
    if (key == transactional_id_key)
      return describe_origin(v) +
             " does not belong in the producer scope of a transactional producer: a base belongs "
             "at broker scope, a fixed id at subscriber scope";
    return describe_origin(v) + " is a " + other_kind_name() + "-only property; librdkafka would ignore it on a " +
           kind_name() + " (set it in the " + other_kind_name() + "'s options or at broker scope)";
  }

  void reject_misplaced_keys() const {
    for (const auto& s : in_.scopes)
      for (const auto& [key, v] : s.values)
        if (fate_of(s, key) == fate::reject) fail(key, s.scope, rejection(key, v));
  }

  void check_owned_against(const feature_map& owned, const user_scope& s) const {
    for (const auto& [key, o] : owned) {
      const scope_value* v = find(s.values, key);
      if (v == nullptr || v->value == o.value || fate_of(s, key) != fate::use) continue;
      fail(key, s.scope,
           describe_origin(*v) + " = " + quoted(key, v->value) + " conflicts with the value " + quoted(key, o.value) +
               " the library owns: " + o.reason + " (remove the setting or set it to the owned value)");
    }
  }

  std::string drop_note(const user_scope& s, const std::string& key) const {
    if (key == static_id_key) return "explicit partitions without group membership: static membership does not apply";
    if (key == transactional_id_key && s.scope == config_scope::subscriber)
      return "for this subscriber's transactional producer (compose_transactional_producer); "
             "not passed to a consumer";
    if (key == transactional_id_key && in_.kind == composition_kind::producer)
      return "a base for exactly-once subscribers' transactional ids "
             "(compose_transactional_producer); the shared producer is not transactional";
    if (s.scope == config_scope::subscriber)
      return "consumer-only property of the subscriber scope; for the subscriber's consumer, "
             "not its transactional producer";
    return std::string(other_kind_name()) + "-only property; not passed to a " + kind_name();
  }

  void drop_inapplicable_keys() {
    for (const auto& s : in_.scopes)
      for (const auto& [key, v] : s.values)
        if (fate_of(s, key) == fate::drop)
          dropped_.push_back(entry{key, v.value, s.scope, drop_note(s, key) + alias_note(key, v)});
  }

  void merge_ordinary_keys(const feature_map& feature_defaults, const feature_map& owned) {
    // asiokafka's defaults, overridden by the features' defaults (reason "" for the former).
    feature_map defaults;
    for (const auto& d : library_defaults(catalog_kind()))
      defaults.emplace(std::string(d.key), feature_value{std::string(d.value), {}});
    for (const auto& [key, d] : feature_defaults) defaults.insert_or_assign(key, d);

    std::set<std::string, std::less<>> keys;
    for (const auto& [key, d] : defaults) keys.insert(key);
    for (const auto& s : in_.scopes)
      for (const auto& [key, v] : s.values)
        if (fate_of(s, key) == fate::use) keys.insert(key);

    for (const auto& key : keys) {
      if (is_id_key(key) || owned.contains(key)) continue;
      std::vector<config_candidate> candidates;
      std::vector<const scope_value*> origins;
      const auto d = defaults.find(key);
      if (d != defaults.end()) {
        candidates.push_back({config_scope::library_default, d->second.value});
        origins.push_back(nullptr);
      }
      for (const auto& s : in_.scopes)
        if (const scope_value* v = find(s.values, key); v && fate_of(s, key) == fate::use) {
          candidates.push_back({s.scope, v->value});
          origins.push_back(v);
        }

      const std::size_t winner = candidates.size() == 1 ? 0 : in_.policy.choose(key, candidates);
      const config_candidate& won = candidates[winner];
      std::string note;
      if (candidates.size() == 1) {
        note = won.scope == config_scope::library_default ? "library default"
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
      if (won.scope == config_scope::library_default && !d->second.reason.empty())
        note += (candidates.size() == 1 ? ": " : "; library default: ") + d->second.reason;
      if (origins[winner]) note += alias_note(key, *origins[winner]);
      effective_[key] = entry{key, std::string(won.value), won.scope, std::move(note)};
    }
  }

  // A key the running librdkafka is too old for is reported as such, before the rules that
  // key brings (a floor user setting group.protocol=consumer learns the version it needs).
  void check_versions() const {
    std::vector<entry> merged;
    merged.reserve(effective_.size());
    for (const auto& [key, e] : effective_) merged.push_back(e);
    check_required_versions(merged, running_librdkafka_version(), in_.name);
  }

  // KIP-848: under group.protocol=consumer the broker owns the session, the heartbeat and
  // the assignment, and librdkafka refuses the classic protocol's keys at rd_kafka_new. A
  // user's value is an error naming its scope and what replaces it; a library default is
  // left out (and listed as dropped). librdkafka reads the value without regard to case.
  void apply_group_protocol() {
    const auto protocol = effective_.find(group_protocol_key);
    if (protocol == effective_.end() || !boost::algorithm::iequals(protocol->second.value, "consumer")) return;
    const std::string chosen =
        "group.protocol=consumer (set at " + std::string(to_string(protocol->second.scope)) + " scope)";
    for (auto it = effective_.begin(); it != effective_.end();) {
      const std::string_view replacement = classic_protocol_replacement(it->first);
      if (replacement.empty()) {
        ++it;
        continue;
      }
      if (it->second.scope != config_scope::library_default)
        fail(it->first, it->second.scope,
             "applies to the classic group protocol only, and this consumer uses " + chosen +
                 "; librdkafka would refuse it. Instead: " + std::string(replacement));
      it->second.note = "classic group protocol only: not passed under " + chosen;
      dropped_.push_back(std::move(it->second));
      it = effective_.erase(it);
    }
  }

  void add_static_id() {
    const id_inputs ids{static_id_key, value_at(config_scope::broker, static_id_key),
                        value_at(config_scope::subscriber, static_id_key), in_.name};
    auto id = resolve_static_id(in_.ids, ids);
    if (!id) return;
    if (!effective_.contains("group.id"))
      fail(std::string(static_id_key), id->scope,
           "a static group.instance.id needs a group.id (static membership is membership of a "
           "group); set group.id or remove group.instance.id");
    const std::string key(static_id_key);
    effective_[key] = entry{key, std::move(id->value), id->scope, std::move(id->note)};
  }

  void add_transactional_id(const feature_map& owned) {
    const id_inputs ids{transactional_id_key, value_at(config_scope::broker, transactional_id_key),
                        value_at(config_scope::subscriber, transactional_id_key), in_.name};
    resolved_id id = resolve_transactional_id(in_.ids, ids);
    check_idempotence(id.value, owned);
    const std::string key(transactional_id_key);
    effective_[key] = entry{key, std::move(id.value), id.scope, std::move(id.note)};
  }

  // compose_producer with a transactional.id in its own scope: the id as given.
  void add_standalone_transactional_id(const feature_map& owned) {
    const scope_value* v = value_at(config_scope::producer, transactional_id_key);
    if (!v) return;
    const id_inputs ids{transactional_id_key, nullptr, nullptr, in_.name};
    resolved_id id = id_rules(ids, "a standalone transactional producer").given_at(*v, config_scope::producer);
    check_idempotence(id.value, owned);
    const std::string key(transactional_id_key);
    effective_[key] = entry{key, std::move(id.value), id.scope, std::move(id.note)};
  }

  // librdkafka refuses to create a transactional producer without idempotence; say so at
  // compose time, for a losing scope too, like a conflict with an owned key.
  void check_idempotence(const std::string& id, const feature_map& owned) const {
    const std::string key(idempotence_key);
    const std::string why =
        ": that disables idempotence, which librdkafka requires for "
        "transactions (transactional.id \"" +
        id + "\")";
    const auto is_false = [&key](const std::string& value) {
      const auto b = librdkafka_bool(key, value);
      return b && !*b;
    };
    for (const auto& s : in_.scopes)
      if (const scope_value* v = find(s.values, key); v && is_false(v->value))
        fail(key, s.scope,
             describe_origin(*v) + " = " + quoted(key, v->value) + why + "; remove the setting or set it to true");
    if (const auto o = owned.find(key); o != owned.end() && is_false(o->second.value))
      fail(key, config_scope::library_owned,
           "a library feature owns it as " + quoted(key, o->second.value) + " (" + o->second.reason + ")" + why);
  }

  const composition_input& in_;
  std::map<std::string, entry, std::less<>> effective_;
  std::vector<entry> dropped_;
};

}  // namespace

composition_output compose(const composition_input& in) { return composition(in).run(); }

}  // namespace asiokafka::detail
