#include <asiokafka/testing/embedded_kafka.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <stdexcept>

namespace asiokafka::testing {

struct embedded_kafka::state {
  rd_kafka_t* rk = nullptr;  // the mock cluster lives inside this handle
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstrap;
};

embedded_kafka::embedded_kafka(int brokers) : state_(std::make_unique<state>()) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  state_->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!state_->rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("embedded_kafka: cannot create host handle: ") + errstr);
  }
  state_->cluster = rd_kafka_mock_cluster_new(state_->rk, brokers);
  if (!state_->cluster) {
    rd_kafka_destroy(state_->rk);
    throw std::runtime_error("embedded_kafka: cannot start the mock cluster");
  }
  state_->bootstrap = rd_kafka_mock_cluster_bootstraps(state_->cluster);
}

embedded_kafka::~embedded_kafka() {
  rd_kafka_mock_cluster_destroy(state_->cluster);
  rd_kafka_destroy(state_->rk);
}

const std::string& embedded_kafka::bootstrap_servers() const noexcept { return state_->bootstrap; }

void embedded_kafka::create_topic(const std::string& name, int partitions, int replication_factor) {
  if (auto err = rd_kafka_mock_topic_create(state_->cluster, name.c_str(), partitions, replication_factor))
    throw std::runtime_error("embedded_kafka: create topic \"" + name + "\": " + rd_kafka_err2str(err));
}

}  // namespace asiokafka::testing
