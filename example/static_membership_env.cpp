// Static membership with the instance id taken from the environment (Kubernetes pod name).
//
//   POD_NAME=orders-7f9c-0 static_membership_env [--brokers host:port]
//
// In a StatefulSet the pod name is stable across restarts, so each subscriber's
// group.instance.id (<pod name>-<subscriber name>) is too: a restarted pod gets its partitions
// back without a rebalance. Without POD_NAME the program stops at startup with an error
// naming the variable.
#include <asiokafka/broker.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include <boost/asio.hpp>

#include <iostream>
#include <optional>

namespace asio = boost::asio;

int main(int argc, char** argv) {
  std::string brokers = argc == 3 && std::string(argv[1]) == "--brokers" ? argv[2] : "";
  std::optional<asiokafka::testing::embedded_kafka> embedded;
  if (brokers.empty()) {
    embedded.emplace();
    brokers = embedded->bootstrap_servers();
  }
  asio::io_context io;
  asiokafka::broker_options options;
  options.config.bootstrap_servers = brokers;
  options.static_ids = asiokafka::from_environment{"POD_NAME"};
  asiokafka::broker app(io.get_executor(), options);
  for (const std::string name : {"orders", "refunds"}) {
    asiokafka::subscriber_options s;
    s.name = name;
    s.config.group_id = "billing";
    app.subscriber<std::string>({name}, s, [](std::string) -> asio::awaitable<void> { co_return; });
  }
  try {
    std::cout << app.explain();
  } catch (const asiokafka::config_error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
