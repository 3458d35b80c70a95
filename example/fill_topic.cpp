// Fills a topic with N JSON records of ~100 bytes, as fast as the producer allows; used by the
// benchmarks and handy for load tests.
//
//   fill_topic --count N [--topic T] [--brokers host:port]   (no --brokers: embedded Kafka)
//
// Records are {"name": ..., "age": ..., "pad": ...}, keyed by their index, produced
// fire-and-forget (waiting for queue space when librdkafka's queue is full) and flushed once.
#include <asiokafka/asiokafka.hpp>
#include <asiokafka/json.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe.hpp>

#include <chrono>
#include <exception>
#include <iostream>
#include <optional>

namespace asio = boost::asio;

struct person {
  std::string name;
  int age = 0;
  std::string pad;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, age, pad))

int main(int argc, char** argv) {
  std::string brokers;
  std::string topic = "fill";
  long count = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--brokers")
      brokers = argv[i + 1];
    else if (arg == "--topic")
      topic = argv[i + 1];
    else if (arg == "--count")
      count = std::stol(argv[i + 1]);
  }
  if (count <= 0) {
    std::cerr << "usage: fill_topic --count N [--topic T] [--brokers host:port]\n";
    return 2;
  }
  std::optional<asiokafka::testing::embedded_kafka> embedded;
  if (brokers.empty()) {
    embedded.emplace();
    brokers = embedded->bootstrap_servers();
  }
  asio::io_context io;
  asiokafka::client_options broker;
  broker.bootstrap_servers = brokers;
  asiokafka::client_options producer_scope;
  producer_scope.raw = {{"linger.ms", "20"}, {"batch.num.messages", "10000"}, {"compression.type", "none"}};
  asiokafka::producer producer(io.get_executor(), asiokafka::config_composer(broker).compose_producer(producer_scope));
  const auto start = std::chrono::steady_clock::now();
  int exit_code = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        std::string value;
        for (long i = 0; i < count; ++i) {
          person p{"person-" + std::to_string(i), static_cast<int>(i % 100), std::string(48, 'x')};
          asiokafka::json::encode(p, value);
          producer.produce(asiokafka::record{topic, {}, std::to_string(i), value, {}, {}});
        }
        co_await producer.async_flush(asio::use_awaitable);
        co_await producer.async_close(asio::use_awaitable);
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          std::cerr << "fill failed: " << ex.what() << "\n";
        }
        exit_code = 1;
      });
  io.run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "filled " << topic << ": " << producer.delivered() << " delivered, " << producer.failed()
            << " failed in " << seconds << " s (" << static_cast<long>(producer.delivered() / seconds) << " msg/s)\n";
  if (producer.failed() != 0 || static_cast<long>(producer.delivered()) != count) exit_code = 1;
  return exit_code;
}
