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

#include <asiokafka/admin.hpp>

#include <stdexcept>

namespace asiokafka::test {

void create_topic(const std::string& brokers, const std::string& topic, int partitions, int replication_factor,
                  const raw_config& configs) {
  boost::asio::io_context io;
  admin a(io.get_executor(), producer_config(brokers));
  new_topic t{topic, partitions, replication_factor, {configs.begin(), configs.end()}};
  std::string failure = "no answer within 60 s";
  a.async_create_topics({std::move(t)}, call_options{std::chrono::seconds(60)},
                        [&](error_code ec, std::vector<item_result> results) {
                          if (ec)
                            failure = ec.message();
                          else if (results.size() != 1)
                            failure = std::to_string(results.size()) + " results";
                          else if (results[0].error)
                            failure = results[0].error.message() + ": " + results[0].message;
                          else
                            failure.clear();
                          io.stop();
                        });
  io.run_for(std::chrono::seconds(90));
  if (!failure.empty()) throw std::runtime_error("create_topic \"" + topic + "\": " + failure);
}

}  // namespace asiokafka::test

namespace asiokafka::test {

group_description describe_group(const std::string& brokers, const std::string& group) {
  boost::asio::io_context io;
  admin a(io.get_executor(), producer_config(brokers));
  std::string failure = "no answer within 30 s";
  group_description out;
  a.async_describe_groups({group}, call_options{std::chrono::seconds(10)},
                          [&](error_code ec, std::vector<group_description> groups) {
                            if (!ec && groups.size() == 1 && !groups[0].error) {
                              out = std::move(groups[0]);
                              failure.clear();
                            } else {
                              failure = ec ? ec.message() : groups.empty() ? "no result" : groups[0].message;
                            }
                            io.stop();
                          });
  io.run_for(std::chrono::seconds(30));
  if (!failure.empty()) throw std::runtime_error("describe_group \"" + group + "\": " + failure);
  return out;
}

}  // namespace asiokafka::test
