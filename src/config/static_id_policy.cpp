#include <asiokafka/config/static_id_policy.hpp>

#include "config/static_id_resolution.hpp"

#include <asiokafka/config/config_error.hpp>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <utility>

namespace asiokafka {
namespace {

// Kafka validates group.instance.id like a topic name: [A-Za-z0-9._-], at most 249 chars.
// transactional.id is held to the same rule, so given and derived ids of both keys look alike.
bool is_id_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

void append_sanitized(std::string& out, std::string_view in) {
  for (const char c : in) out += is_id_char(c) ? c : '_';
}

}  // namespace

std::string derive_static_id(std::string_view base, std::string_view subscriber_name) {
  std::string id;
  id.reserve(base.size() + 1 + subscriber_name.size());
  append_sanitized(id, base);
  id += '-';
  append_sanitized(id, subscriber_name);
  return id;
}

static_id_policy::static_id_policy(from_environment rule) : rule_(std::move(rule)) {
  if (std::get<from_environment>(rule_).variable.empty())
    throw std::invalid_argument("from_environment: the environment variable name is empty");
}

std::string_view static_id_policy::name() const noexcept {
  struct namer {
    std::string_view operator()(const derive_from_broker_base&) const noexcept { return "derive_from_broker_base"; }
    std::string_view operator()(const from_environment&) const noexcept { return "from_environment"; }
    std::string_view operator()(const dynamic_membership&) const noexcept { return "dynamic_membership"; }
  };
  return std::visit(namer{}, rule_);
}

namespace detail {

void id_rules::fail(config_scope scope, const std::string& detail) const {
  throw config_error(std::string(in_.key), scope, std::string(in_.subscriber_name), detail);
}

void id_rules::reject_empty(std::string_view hint) const {
  if (in_.broker && in_.broker->value.empty()) fail(config_scope::broker, "empty value; " + std::string(hint));
  if (in_.subscriber && in_.subscriber->value.empty())
    fail(config_scope::subscriber, "empty value; " + std::string(hint));
}

void id_rules::check_as_given(const std::string& id, config_scope scope, const std::string& source) const {
  if (!std::all_of(id.begin(), id.end(), is_id_char))
    fail(scope, source + " \"" + id + "\" contains characters not allowed in a " + std::string(in_.key) +
                    " (allowed: A-Z a-z 0-9 . _ -)");
  if (id == "." || id == "..") fail(scope, source + " \"" + id + "\" is not a valid id");
  check_length(id, scope);
}

void id_rules::check_length(const std::string& id, config_scope scope) const {
  if (id.size() > max_static_id_length)
    fail(scope, "\"" + id + "\" is " + std::to_string(id.size()) + " characters long; a " + std::string(in_.key) +
                    " may have at most " + std::to_string(max_static_id_length));
}

resolved_id id_rules::given_at(const scope_value& v, config_scope scope) const {
  if (v.value.empty()) fail(scope, "empty value; omit the key for a producer without transactions");
  check_as_given(v.value, scope, v.given_as);
  return {v.value, scope,
          "set at " + std::string(to_string(scope)) + " scope, used as given (" + std::string(rule_name_) + ")"};
}

resolved_id id_rules::as_given() const {
  check_as_given(in_.subscriber->value, config_scope::subscriber, in_.subscriber->given_as);
  return {in_.subscriber->value, config_scope::subscriber,
          "set at subscriber scope, used as given (" + std::string(rule_name_) + ")"};
}

resolved_id id_rules::derived_from_broker_base() const {
  return derived(in_.broker->value, config_scope::broker,
                 "derived from broker-scope base \"" + in_.broker->value + "\"");
}

resolved_id id_rules::from_variable(const from_environment& rule) const {
  const std::string key(in_.key);
  if (in_.broker)
    fail(config_scope::broker, "the static id policy from_environment takes the base from environment variable " +
                                   rule.variable + "; a broker-scope " + key + " would compete with it, remove it");
  if (in_.subscriber) return as_given();
  const char* env = std::getenv(rule.variable.c_str());
  if (env == nullptr || *env == '\0')
    fail(config_scope::broker, "the static id policy from_environment reads the base from environment variable " +
                                   rule.variable + ", which is " + (env == nullptr ? "unset" : "empty") +
                                   " (set it, e.g. to the Kubernetes pod name, or set " + key +
                                   " at subscriber scope)");
  const std::string value = env;
  if (!rule.use_as_is)
    return derived(value, config_scope::broker,
                   "derived from environment variable " + rule.variable + "=\"" + value + "\"");
  check_as_given(value, config_scope::broker, "environment variable " + rule.variable);
  return {value, config_scope::broker,
          "environment variable " + rule.variable + ", used as is (" + std::string(rule_name_) + ")"};
}

resolved_id id_rules::derived(const std::string& base, config_scope scope, std::string origin) const {
  std::string id = derive_static_id(base, in_.subscriber_name);
  check_length(id, scope);
  return {std::move(id), scope,
          std::move(origin) + " and subscriber name \"" + std::string(in_.subscriber_name) +
              "\" as <base>-<subscriber> (" + std::string(rule_name_) + ")"};
}

namespace {

class static_id_resolver {
 public:
  static_id_resolver(const id_rules& rules, const id_inputs& in) : rules_(rules), in_(in) {}

  std::optional<resolved_id> operator()(const derive_from_broker_base&) const {
    if (in_.subscriber) return rules_.as_given();
    if (in_.broker) return rules_.derived_from_broker_base();
    return std::nullopt;
  }

  std::optional<resolved_id> operator()(const from_environment& rule) const { return rules_.from_variable(rule); }

  std::optional<resolved_id> operator()(const dynamic_membership&) const {
    if (in_.subscriber)
      rules_.fail(config_scope::subscriber, "static membership is disabled (dynamic_membership policy)");
    if (in_.broker) rules_.fail(config_scope::broker, "static membership is disabled (dynamic_membership policy)");
    return std::nullopt;
  }

 private:
  const id_rules& rules_;
  const id_inputs& in_;
};

}  // namespace

std::optional<resolved_id> resolve_static_id(const static_id_policy& policy, const id_inputs& in) {
  const id_rules rules(in, policy.name());
  rules.reject_empty("omit group.instance.id for dynamic membership");
  return std::visit(static_id_resolver(rules, in), policy.rule());
}

}  // namespace detail
}  // namespace asiokafka
