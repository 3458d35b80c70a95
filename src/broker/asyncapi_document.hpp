// Builds broker::asyncapi()'s document from the broker's declared operations.
#pragma once

#include <asiokafka/asyncapi.hpp>
#include <asiokafka/config.hpp>

#include <map>
#include <string>
#include <vector>

namespace asiokafka::detail {

/// Where a client connects: its bootstrap servers and security.protocol.
struct client_endpoint {
  std::string bootstrap_servers;
  std::string security_protocol;
};

/// The AsyncAPI 3.0.0 document (JSON text). `subscriber_configs` maps a subscriber's name to
/// its composed configuration (for the Kafka bindings' groupId and clientId).
std::string make_asyncapi_document(const asyncapi_info& info, const std::vector<operation_contract>& operations,
                                   const std::vector<client_endpoint>& endpoints,
                                   const std::map<std::string, const composed_config*>& subscriber_configs);

}  // namespace asiokafka::detail
