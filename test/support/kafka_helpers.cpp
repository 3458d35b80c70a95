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
  a.async_create_topics({std::move(t)}, admin_call_options{std::chrono::seconds(60)},
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
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) throw std::runtime_error(std::string("describe_group: ") + errstr);
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> guard(rk, rd_kafka_destroy);
  const rd_kafka_group_list* list = nullptr;
  const auto err = rd_kafka_list_groups(rk, group.c_str(), &list, 10000);
  if (err) throw std::runtime_error("describe_group \"" + group + "\": " + rd_kafka_err2str(err));
  std::unique_ptr<const rd_kafka_group_list, void (*)(const rd_kafka_group_list*)> owned(list, rd_kafka_group_list_destroy);
  group_description out{"Dead", 0};
  for (int i = 0; i < list->group_cnt; ++i) {
    const auto& g = list->groups[i];
    if (g.group != group) continue;
    if (g.err && g.err != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND)
      throw std::runtime_error("describe_group \"" + group + "\": " + rd_kafka_err2str(g.err));
    out.state = g.state ? g.state : "";
    out.members = g.member_cnt;
  }
  return out;
}

}  // namespace asiokafka::test
