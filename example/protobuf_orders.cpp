// Protocol Buffers through the broker: a publisher and a subscriber of application/x-protobuf
// messages, with an encoder/decoder pair (orders.proto).
//
//   protobuf_orders                      # embedded Kafka (librdkafka's mock cluster)
//   protobuf_orders --brokers host:port  # a real cluster
//
// A startup hook publishes orders through a publisher whose encoder writes protobuf bytes and
// the content-type application/x-protobuf, and one JSON record as an older service would. The
// billing subscriber decodes orders with the matching decoder, which refuses the JSON record
// (a decode failure: logged, counted, not handled), and answers each order with an invoice,
// published as protobuf too through ctx.publish. Then it reads the invoices back as any Kafka
// client would, checks them and prints what the AsyncAPI document says the messages are.
#include "orders.pb.h"

#include <asiokafka/asiokafka.hpp>
#include <asiokafka/broker.hpp>
#include <asiokafka/cancel_after.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>
#include <asiokafka/testing/wait.hpp>
#include <asiokafka/wire.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <atomic>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace pb = asiokafka::example;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// The codec pair: any generated protobuf message <-> application/x-protobuf records.

constexpr std::string_view protobuf_content_type = "application/x-protobuf";

template <class Message>
asiokafka::message_encoder<Message> protobuf_encoder() {
  return {std::string(protobuf_content_type), [](const Message& m) {
            std::string bytes;
            if (!m.SerializeToString(&bytes)) throw std::runtime_error("cannot serialize a " + m.GetTypeName());
            return bytes;
          }};
}

// Reads records whose content type is application/x-protobuf (parameters allowed); anything
// else is a decode failure, which the subscriber's error policy handles.
template <class Message>
auto protobuf_decoder() {
  return [](const asiokafka::message& record) {
    const std::string_view content_type = asiokafka::wire::content_type(record).value_or("");
    if (content_type.substr(0, content_type.find(';')) != protobuf_content_type)
      throw asiokafka::decode_failure("expected " + std::string(protobuf_content_type) + ", got \"" +
                                      std::string(content_type) + "\"");
    Message m;
    const std::string_view payload = record.payload();
    if (!m.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
      throw asiokafka::decode_failure("not a valid " + m.GetTypeName());
    return m;
  };
}

// ---------------------------------------------------------------------------------------------

constexpr int order_count = 20;

pb::Order make_order(int i) {
  pb::Order o;
  o.set_id("order-" + std::to_string(i));
  o.set_customer(i % 2 ? "ada" : "linus");
  auto* book = o.add_lines();
  book->set_sku("book");
  book->set_quantity(static_cast<std::uint32_t>(i % 3 + 1));
  book->set_unit_price_cents(1250);
  auto* pen = o.add_lines();
  pen->set_sku("pen");
  pen->set_quantity(2);
  pen->set_unit_price_cents(199);
  return o;
}

std::int64_t expected_total(int i) { return (i % 3 + 1) * 1250 + 2 * 199; }

// The invoices as another client reads them, from the start.
asio::awaitable<std::vector<asiokafka::message>> read_back(const std::string& brokers, const std::string& topic,
                                                           const std::string& group, std::size_t count) {
  asiokafka::client_options scope;
  scope.bootstrap_servers = brokers;
  scope.group_id = group;
  scope.auto_offset_reset = asiokafka::offset_reset::earliest;
  const asiokafka::config_composer composer(scope);
  const asiokafka::consumer_scope reader_scope{"reader", {}, {}, {}};
  const auto config = composer.compose_consumer(reader_scope);
  asiokafka::consumer reader(co_await asio::this_coro::executor, config);
  reader.subscribe({topic});
  std::vector<asiokafka::message> out;
  while (out.size() < count) {
    auto [ec, m] = co_await reader.async_receive(asiokafka::cancel_after(10s, asio::as_tuple(asio::use_awaitable)));
    if (ec) break;
    out.push_back(std::move(m));
  }
  co_await reader.async_close(asio::use_awaitable);
  co_return out;
}

int main(int argc, char** argv) {
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  std::cout << std::unitbuf;
  std::string brokers;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--brokers" && i + 1 < argc) {
      brokers = argv[++i];
    } else {
      std::cerr << "usage: protobuf_orders [--brokers host:port]\n";
      return 2;
    }
  }
  // Topics and group of this run only, so that a cluster's earlier runs do not count.
  const std::string run = asiokafka::wire::new_correlation_id().substr(0, 8);
  const std::string orders_topic = "protobuf-orders." + run;
  const std::string invoices_topic = "protobuf-invoices." + run;
  std::optional<asiokafka::testing::embedded_kafka> embedded;
  if (brokers.empty()) {
    embedded.emplace();
    brokers = embedded->bootstrap_servers();
  }

  asio::io_context io;
  asiokafka::broker_options options;
  options.config.bootstrap_servers = brokers;
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.graceful_timeout = 5s;
  asiokafka::broker app(io.get_executor(), options);

  auto orders = app.publisher<pb::Order>(orders_topic, protobuf_encoder<pb::Order>(), "Orders placed in the shop");
  auto invoices =
      app.publisher<pb::Invoice>(invoices_topic, protobuf_encoder<pb::Invoice>(), "Invoices of billed orders");

  std::atomic<int> billed = 0;
  asiokafka::subscriber_options billing;
  billing.name = "billing";
  billing.config.group_id = "protobuf-billing-" + run;
  const auto& billing_stats = app.subscriber<pb::Order>(
      {orders_topic}, billing,
      [&](pb::Order order, asiokafka::context& ctx) -> asio::awaitable<void> {
        pb::Invoice invoice;
        invoice.set_order_id(order.id());
        invoice.set_customer(order.customer());
        std::int64_t total = 0;
        for (const auto& line : order.lines()) total += line.quantity() * line.unit_price_cents();
        invoice.set_total_cents(total);
        const asiokafka::publish_options no_options;  // a named local across co_await (GCC 12)
        co_await ctx.publish(invoices, invoice, no_options);
        ++billed;
      },
      protobuf_decoder<pb::Order>());

  // Before the subscriber starts, so its input is there (a real cluster creates the topic on
  // the first publish).
  app.on_startup([&]() -> asio::awaitable<void> {
    const boost::json::value legacy = boost::json::parse(R"({"id":"order-0","customer":"legacy"})");
    const asiokafka::publish_options unkeyed;
    co_await app.async_publish(orders_topic, legacy, unkeyed, asio::use_awaitable);
    for (int i = 1; i <= order_count; ++i) {
      const pb::Order order = make_order(i);
      asiokafka::publish_options by_customer;
      by_customer.key = order.customer();
      co_await orders.async_publish(order, by_customer, asio::use_awaitable);
    }
    std::cout << "published 1 JSON record and " << order_count << " protobuf orders to " << orders_topic << "\n";
  });

  // What the AsyncAPI document says the publishers send: the encoders' content type.
  const auto document = boost::json::parse(app.asyncapi({.title = "protobuf orders"}));
  int documented = 0;
  for (const auto& [id, operation] : document.at("operations").as_object()) {
    if (operation.at("action") != "send") continue;
    const std::string_view ref = operation.at("messages").at(0).at("$ref").as_string();
    const std::string message_id(ref.substr(ref.rfind('/') + 1));
    const std::string_view content_type =
        document.at("components").at("messages").at(message_id).at("contentType").as_string();
    std::cout << "asyncapi: " << id << " sends " << message_id << " as " << content_type << "\n";
    if (content_type == protobuf_content_type) ++documented;
  }

  // Stops the broker once every order is billed and the JSON record refused.
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const bool done = co_await asiokafka::testing::wait_until(
            [&] { return billed == order_count && billing_stats.decode_failed == 1; }, 90s);
        if (!done) std::cerr << "protobuf_orders: not done within 90 s, stopping\n";
        app.stop();
      },
      asio::detached);

  int status = 1;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto [ec] = co_await app.async_run(asio::as_tuple(asio::use_awaitable));
        if (ec) {
          std::cerr << "protobuf_orders: the broker stopped with " << ec.message() << "\n";
          co_return;
        }
        std::cout << "billing: " << billing_stats.handled << " orders handled, " << billing_stats.decode_failed
                  << " record refused by the protobuf decoder\n";

        const std::string reader_group = "protobuf-reader-" + run;
        const auto records = co_await read_back(brokers, invoices_topic, reader_group, order_count);
        bool ok = records.size() == static_cast<std::size_t>(order_count) && billing_stats.decode_failed == 1 &&
                  documented == 2;
        std::map<std::string, std::int64_t> totals;
        for (const auto& record : records) {
          const auto invoice = protobuf_decoder<pb::Invoice>()(record);  // throws if not protobuf
          totals[invoice.order_id()] = invoice.total_cents();
        }
        for (int i = 1; i <= order_count; ++i) {
          const auto it = totals.find("order-" + std::to_string(i));
          if (it == totals.end() || it->second != expected_total(i)) ok = false;
        }
        if (!records.empty()) {
          const auto& first = records.front();
          const auto invoice = protobuf_decoder<pb::Invoice>()(first);
          std::cout << "invoice " << invoice.order_id() << " for " << invoice.customer() << ": "
                    << invoice.total_cents() << " cents, " << first.payload().size() << " bytes, content-type "
                    << asiokafka::wire::content_type(first).value_or("<none>") << "\n";
        }
        std::cout << records.size() << " invoices read back, " << totals.size() << " distinct\n";
        if (ok) {
          std::cout << "protobuf orders OK\n";
          status = 0;
        }
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          std::cerr << "protobuf_orders: " << ex.what() << "\n";
        }
        status = 1;
      });
  io.run();
  google::protobuf::ShutdownProtobufLibrary();
  return status;
}
