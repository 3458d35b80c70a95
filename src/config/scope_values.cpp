#include "config/scope_values.hpp"

#include "config/property_catalog.hpp"

#include <asiokafka/config/config_error.hpp>
#include <asiokafka/config/redaction.hpp>

#include <string>
#include <utility>

namespace asiokafka {

std::string_view to_string(offset_reset reset) noexcept {
  switch (reset) {
    case offset_reset::earliest:
      return "earliest";
    case offset_reset::latest:
      return "latest";
    case offset_reset::error:
      return "error";
  }
  return "invalid offset_reset";
}

std::string_view to_string(group_protocol protocol) noexcept {
  switch (protocol) {
    case group_protocol::classic:
      return "classic";
    case group_protocol::consumer:
      return "consumer";
  }
  return "invalid group_protocol";
}

std::string_view to_string(partitioner choice) noexcept {
  switch (choice) {
    case partitioner::consistent_random:
      return "consistent_random";
    case partitioner::murmur2_random:
      return "murmur2_random";
    case partitioner::consistent:
      return "consistent";
    case partitioner::murmur2:
      return "murmur2";
    case partitioner::fnv1a:
      return "fnv1a";
    case partitioner::fnv1a_random:
      return "fnv1a_random";
    case partitioner::random:
      return "random";
  }
  return "invalid partitioner";
}

namespace detail {
namespace {

class flattener {
 public:
  flattener(config_scope scope, std::string_view subscriber) : scope_(scope), subscriber_(subscriber) {}

  void add(std::string_view key, scope_value v) {
    const std::string canonical(canonical_key(key));
    auto [it, inserted] = values_.try_emplace(canonical, v);
    if (inserted || it->second.value == v.value) return;
    throw config_error(
        canonical, scope_, std::string(subscriber_),
        "set twice with different values: " + describe(canonical, it->second) + " and " + describe(canonical, v));
  }

  template <class T, class Format>
  void add_typed(const std::optional<T>& option, std::string_view key, std::string_view member, Format format) {
    if (option) add(key, {format(*option), "client_options::" + std::string(member), true});
  }

  scope_values take() && { return std::move(values_); }

 private:
  static std::string describe(const std::string& key, const scope_value& v) {
    return describe_origin(v) + " = \"" + redact(key, v.value) + "\"";
  }

  config_scope scope_;
  std::string_view subscriber_;
  scope_values values_;
};

std::string as_is(const std::string& s) { return s; }
std::string millis(std::chrono::milliseconds ms) { return std::to_string(ms.count()); }
std::string boolean(bool b) { return b ? "true" : "false"; }
template <class Enum>
std::string name_of(Enum value) {
  return std::string(to_string(value));
}

}  // namespace

scope_values flatten(const client_options& options, config_scope scope, std::string_view subscriber) {
  flattener f(scope, subscriber);
  f.add_typed(options.bootstrap_servers, "bootstrap.servers", "bootstrap_servers", as_is);
  f.add_typed(options.client_id, "client.id", "client_id", as_is);
  f.add_typed(options.group_id, "group.id", "group_id", as_is);
  f.add_typed(options.group_instance_id, "group.instance.id", "group_instance_id", as_is);
  f.add_typed(options.auto_offset_reset, "auto.offset.reset", "auto_offset_reset", name_of<offset_reset>);
  f.add_typed(options.session_timeout, "session.timeout.ms", "session_timeout", millis);
  f.add_typed(options.max_poll_interval, "max.poll.interval.ms", "max_poll_interval", millis);
  f.add_typed(options.partition_assignment_strategy, "partition.assignment.strategy", "partition_assignment_strategy",
              as_is);
  f.add_typed(options.enable_auto_commit, "enable.auto.commit", "enable_auto_commit", boolean);
  f.add_typed(options.group_protocol, "group.protocol", "group_protocol", name_of<group_protocol>);
  f.add_typed(options.group_remote_assignor, "group.remote.assignor", "group_remote_assignor", as_is);
  f.add_typed(options.partitioner, "partitioner", "partitioner", name_of<partitioner>);
  f.add_typed(options.transactional_id, "transactional.id", "transactional_id", as_is);
  for (const auto& [key, value] : options.raw) f.add(key, {value, key, false});
  return std::move(f).take();
}

std::string describe_origin(const scope_value& v) { return v.typed ? v.given_as : "raw \"" + v.given_as + "\""; }

const scope_value* find(const scope_values& values, std::string_view key) noexcept {
  const auto it = values.find(key);
  return it == values.end() ? nullptr : &it->second;
}

}  // namespace detail
}  // namespace asiokafka
