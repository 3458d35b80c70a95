// asiokafka::testing::embedded_kafka - an in-process Kafka cluster for tests and demos.
//
// librdkafka's mock cluster speaks the real Kafka protocol on loopback sockets, so clients
// are tested unchanged. Known limits (librdkafka 2.0.2): no static membership (a rejoin with
// the same group.instance.id is a new member), each partition log keeps about 5 MB / 100k
// messages, and JoinGroup answers after ~3 s. Use a real broker for those concerns.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace asiokafka::testing {

class embedded_kafka {
 public:
  /// Starts a cluster of `brokers` brokers on 127.0.0.1. Throws std::runtime_error on failure.
  explicit embedded_kafka(int brokers = 1);
  embedded_kafka(const embedded_kafka&) = delete;
  embedded_kafka& operator=(const embedded_kafka&) = delete;
  ~embedded_kafka();

  /// "127.0.0.1:port,..." for bootstrap.servers.
  const std::string& bootstrap_servers() const noexcept;

  /// Creates a topic (topics are also auto-created with 1 partition on first use).
  void create_topic(const std::string& name, int partitions = 1, int replication_factor = 1);

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace asiokafka::testing
