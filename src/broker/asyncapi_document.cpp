// The AsyncAPI 3.0.0 document of a broker (broker::asyncapi()).
#include "broker/asyncapi_document.hpp"

#include "broker/explicit_partitions.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace asiokafka::detail {

namespace {

namespace bj = boost::json;

// Ids (channel, operation, message keys) match ^[\w\d.\-_]+$ in AsyncAPI 3.0.
std::string to_id(std::string_view s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return out.empty() ? "_" : out;
}

std::vector<std::string> split_servers(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    std::string host = list.substr(start, comma - start);
    host.erase(0, host.find_first_not_of(" \t"));
    host.erase(host.find_last_not_of(" \t") + 1);
    // "PLAINTEXT://host:port" style entries: the host part only.
    if (const auto scheme = host.find("://"); scheme != std::string::npos) host.erase(0, scheme + 3);
    if (!host.empty()) out.push_back(std::move(host));
    start = comma + 1;
  }
  return out;
}

bool uses_tls(std::string protocol) {
  std::transform(protocol.begin(), protocol.end(), protocol.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return protocol == "ssl" || protocol == "sasl_ssl";
}

// A message's id: its type's name, followed by its content type when an encoder writes it in
// another than the codec's own (the same type may travel as JSON and, e.g., as protobuf).
std::string message_key(const message_contract& m) {
  const std::string& ct = m.content_type;
  if (ct == "application/json" || ct == "text/plain" || ct == "application/octet-stream") return to_id(m.name);
  return to_id(m.name + "." + ct);
}

bj::object string_enum(const std::string& value) {
  return bj::object{{"type", "string"}, {"enum", bj::array{bj::string(value)}}};
}

// One server per distinct bootstrap host:port.
bj::object servers_of(const std::vector<client_endpoint>& endpoints) {
  bj::object servers;
  std::set<std::string> seen_hosts;
  for (const auto& endpoint : endpoints) {
    const bool tls = uses_tls(endpoint.security_protocol);
    for (const auto& host : split_servers(endpoint.bootstrap_servers)) {
      if (!seen_hosts.insert(host).second) continue;
      servers["broker-" + std::to_string(servers.size())] =
          bj::object{{"host", host}, {"protocol", tls ? "kafka-secure" : "kafka"}};
    }
  }
  return servers;
}

// A channel per topic of the operation (added to `channels` once, with the message); a
// pattern (or the reply_to header's topic) has no fixed address. Returns the channels' ids.
std::vector<std::string> add_channels(bj::object& channels, const operation_contract& op,
                                      const std::string& message_id) {
  const bj::object message_ref{{"$ref", "#/components/messages/" + message_id}};
  std::vector<std::string> channel_ids;
  std::vector<std::string> topics = op.topics;
  if (topics.empty()) topics.push_back({});
  for (const auto& topic : topics) {
    const bool pattern = !topic.empty() && topic.front() == '^';
    const std::string channel_id =
        topic.empty() ? to_id(op.id + ".reply-to") : (pattern ? "pattern." + to_id(topic.substr(1)) : to_id(topic));
    auto it = channels.find(channel_id);
    if (it == channels.end()) {
      bj::object channel;
      if (topic.empty()) {
        channel["address"] = nullptr;
        channel["description"] = "The topic named by each input message's reply_to header.";
      } else if (pattern) {
        channel["address"] = nullptr;
        channel["description"] = "Every topic matching the regular expression " + topic;
      } else {
        channel["address"] = topic;
        channel["bindings"] = bj::object{{"kafka", bj::object{{"topic", topic}, {"bindingVersion", "0.5.0"}}}};
      }
      channel["messages"] = bj::object{};
      it = channels.emplace(channel_id, std::move(channel)).first;
    }
    it->value().as_object()["messages"].as_object()[message_id] = message_ref;
    channel_ids.push_back(channel_id);
  }
  return channel_ids;
}

// The operation on one channel (AsyncAPI 3.0 gives an operation one channel).
bj::object make_operation(const operation_contract& op, const std::string& channel_id, const std::string& message_id,
                          const std::map<std::string, const composed_config*>& subscriber_configs) {
  bj::object o;
  o["action"] = op.kind == operation_contract::action::receive ? "receive" : "send";
  o["channel"] = bj::object{{"$ref", "#/channels/" + channel_id}};
  o["messages"] = bj::array{bj::object{{"$ref", "#/channels/" + channel_id + "/messages/" + message_id}}};
  if (!op.description.empty()) o["description"] = op.description;
  if (!op.subscriber.empty()) o["summary"] = "subscriber " + op.subscriber;
  if (op.kind == operation_contract::action::receive) {
    bj::object binding{{"bindingVersion", "0.5.0"}};
    if (auto it = subscriber_configs.find(op.subscriber); it != subscriber_configs.end()) {
      // Not the library's group.id of explicit partitions: no one joins or reads it.
      if (has_user_group(*it->second)) binding["groupId"] = string_enum(*it->second->get("group.id"));
      if (auto client = it->second->get("client.id")) binding["clientId"] = string_enum(*client);
    }
    o["bindings"] = bj::object{{"kafka", std::move(binding)}};
  }
  return o;
}

}  // namespace

std::string make_asyncapi_document(const asyncapi_info& info, const std::vector<operation_contract>& operations,
                                   const std::vector<client_endpoint>& endpoints,
                                   const std::map<std::string, const composed_config*>& subscriber_configs) {
  bj::object doc;
  doc["asyncapi"] = "3.0.0";
  bj::object info_obj{{"title", info.title}, {"version", info.version}};
  if (!info.description.empty()) info_obj["description"] = info.description;
  doc["info"] = std::move(info_obj);
  doc["defaultContentType"] = "application/json";
  doc["servers"] = servers_of(endpoints);

  json::schema_set schemas;
  bj::object channels, ops, messages;
  for (const auto& op : operations) {
    const std::string message_id = message_key(op.message);
    if (!messages.contains(message_id)) {
      bj::object m{{"name", op.message.name},
                   {"contentType", op.message.content_type},
                   {"payload", op.message.payload(schemas)}};
      messages[message_id] = std::move(m);
    }
    const std::vector<std::string> channel_ids = add_channels(channels, op, message_id);
    for (const auto& channel_id : channel_ids) {
      const std::string op_id = to_id(channel_ids.size() == 1 ? op.id : op.id + "." + channel_id);
      ops[op_id] = make_operation(op, channel_id, message_id, subscriber_configs);
    }
  }
  doc["channels"] = std::move(channels);
  doc["operations"] = std::move(ops);
  bj::object components{{"messages", std::move(messages)}};
  components["schemas"] = schemas.definitions();
  doc["components"] = std::move(components);
  return bj::serialize(doc);
}

}  // namespace asiokafka::detail
