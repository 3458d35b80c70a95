#include "kafka_helpers.hpp"

namespace asiokafka::test {

composed_config consumer_config(const std::string& brokers, const std::string& group, raw_config raw,
                                const std::string& name) {
  client_options broker;
  broker.bootstrap_servers = brokers;
  client_options sub;
  sub.group_id = group;
  sub.auto_offset_reset = offset_reset::earliest;
  sub.raw = std::move(raw);
  return config_composer(broker).compose_consumer({name, sub, {}});
}

composed_config producer_config(const std::string& brokers, raw_config raw) {
  client_options broker;
  broker.bootstrap_servers = brokers;
  client_options prod;
  prod.raw = std::move(raw);
  return config_composer(broker).compose_producer(prod);
}

}  // namespace asiokafka::test
