// asiokafka quickstart: typed JSON messages through two subscribers.
//
//   quickstart                      # embedded Kafka (librdkafka's mock cluster), in-process
//   quickstart --brokers host:port  # a real cluster
//
// Publishes a few orders, consumes them through two subscribers (each on its own strand and
// consumer group), prints them and the effective configuration of each subscriber, then
// shuts down gracefully. SIGINT/SIGTERM stop it early.
#include <asiokafka/asiokafka.hpp>
#include <asiokafka/broker.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe.hpp>

#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;

struct order {
  std::string id;
  std::string customer;
  double amount = 0;
  std::vector<std::string> items;
  std::optional<std::string> note;
};
BOOST_DESCRIBE_STRUCT(order, (), (id, customer, amount, items, note))

int main(int argc, char** argv) {
  std::cout << std::unitbuf;
  std::string brokers;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--brokers" && i + 1 < argc) {
      brokers = argv[++i];
    } else {
      std::cerr << "usage: quickstart [--brokers host:port]\n";
      return 2;
    }
  }
  const std::string topic = "quickstart.orders";
  constexpr int orders = 5;

  std::optional<asiokafka::testing::embedded_kafka> embedded;
  if (brokers.empty()) {
    embedded.emplace();
    embedded->create_topic(topic, 2);
    brokers = embedded->bootstrap_servers();
    std::cout << "embedded Kafka (librdkafka mock cluster) at " << brokers << "\n";
  }

  asio::io_context io;
  asiokafka::broker_options options;
  options.config.bootstrap_servers = brokers;
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  // Broker-wide static membership base: each subscriber derives its own unique id from it.
  options.config.group_instance_id = "quickstart-pod";
  options.graceful_timeout = std::chrono::seconds(5);
  asiokafka::broker app(io.get_executor(), options);

  int billed = 0;
  int audited = 0;
  auto maybe_stop = [&] {
    if (billed == orders && audited == orders) app.stop();
  };

  asiokafka::subscriber_options billing;
  billing.name = "billing";
  billing.config.group_id = "quickstart-billing";
  app.subscriber<order>({topic}, billing, [&](order o, asiokafka::context& ctx) -> asio::awaitable<void> {
    std::cout << "billing  <- " << o.id << " " << o.customer << " " << o.amount << " (" << o.items.size()
              << " items) from " << ctx.topic() << "[" << ctx.partition() << "]@" << ctx.offset() << "\n";
    ++billed;
    maybe_stop();
    co_return;
  });

  asiokafka::subscriber_options audit;
  audit.name = "audit";
  audit.config.group_id = "quickstart-audit";
  audit.config.group_instance_id = "audit-1";  // subscriber scope: used as given
  app.subscriber<order>({topic}, audit, [&](order o) -> asio::awaitable<void> {
    std::cout << "audit    <- " << o.id << (o.note ? " note: " + *o.note : std::string()) << "\n";
    ++audited;
    maybe_stop();
    co_return;
  });

  std::cout << "\n" << app.explain();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) app.stop();
  });

  bool publish_failed = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 1; i <= orders; ++i) {
          order o{"order-" + std::to_string(i), i % 2 ? "ada" : "linus", 9.5 * i, {"book", "pen"}, std::nullopt};
          if (i == 3) o.note = "gift wrap";
          asiokafka::publish_options po;
          po.key = o.customer;
          auto dr = co_await app.async_publish(topic, o, po, asio::use_awaitable);
          std::cout << "published " << o.id << " -> " << dr.topic << "[" << dr.partition << "]@" << dr.offset << "\n";
        }
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          std::cerr << "publish failed: " << ex.what() << "\n";
        }
        publish_failed = true;
        app.stop();
      });

  bool ok = false;
  app.async_run([&](asiokafka::error_code ec) {
    signals.cancel();
    if (ec) std::cerr << "stopped with error: " << ec.message() << "\n";
    ok = !ec && !publish_failed && billed == orders && audited == orders;
    std::cout << "billing handled " << billed << ", audit handled " << audited << " of " << orders << "; "
              << (ok ? "shut down cleanly" : "FAILED") << "\n";
  });
  io.run();
  return ok ? 0 : 1;
}
