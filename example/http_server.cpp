// An existing Asio HTTP server that also consumes Kafka on the same io_context.
//
//   http_server [--brokers host:port] [--port N] [--self-test]
//
// The server answers GET /stats with how many page views the Kafka subscriber has counted,
// GET /metrics with the broker's metrics for Prometheus (subscriber counters, consumer lag from
// librdkafka's statistics) and GET /health with each subscriber's state as JSON (503 when one
// stopped) and GET /asyncapi.json with the application's AsyncAPI 3.0 document. Both run on
// one thread: no extra polling thread, no blocking call on the loop. Every span (each record
// handled, each publish) is logged to stderr as a JSON line, for OpenTelemetry or a log pipeline.
// With --self-test it publishes 10 page views, queries its own /stats over TCP until it
// reports 10, checks /metrics, /health and /asyncapi.json, prints the answers and exits.
#include <asiokafka/broker.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include <boost/asio.hpp>
#include <boost/describe.hpp>

#include <boost/json/serialize.hpp>

#include <atomic>
#include <exception>
#include <iostream>
#include <mutex>
#include <optional>

namespace asio = boost::asio;
using asio::ip::tcp;

struct page_view {
  std::string path;
  std::string user;
};
BOOST_DESCRIBE_STRUCT(page_view, (), (path, user))

namespace {

std::uint64_t views = 0;
std::string asyncapi_document;  // written once before the server starts

struct response {
  std::string status = "200 OK";
  std::string content_type = "application/json";
  std::string body;
};

response route(const std::string& request, const asiokafka::broker& app) {
  if (request.rfind("GET /stats ", 0) == 0) return {.body = "{\"views\":" + std::to_string(views) + "}\n"};
  // broker::metrics_text() and health() are thread-safe copies: fine from any handler.
  if (request.rfind("GET /metrics ", 0) == 0)
    return {.content_type = "text/plain; version=0.0.4", .body = app.metrics_text()};
  if (request.rfind("GET /health ", 0) == 0) {
    const auto health = app.health();
    return {.status = health.healthy() ? "200 OK" : "503 Service Unavailable", .body = to_json(health) + "\n"};
  }
  if (request.rfind("GET /asyncapi.json ", 0) == 0) return {.body = asyncapi_document};
  return {.status = "404 Not Found", .content_type = "text/plain", .body = "not found\n"};
}

asio::awaitable<void> serve(tcp::socket socket, const asiokafka::broker& app) {
  std::string request;
  auto [ec, n] = co_await asio::async_read_until(socket, asio::dynamic_buffer(request), "\r\n\r\n",
                                                 asio::as_tuple(asio::use_awaitable));
  if (ec) co_return;
  const response r = route(request, app);
  const std::string text = "HTTP/1.1 " + r.status + "\r\nContent-Type: " + r.content_type +
                           "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n" +
                           r.body;
  co_await asio::async_write(socket, asio::buffer(text), asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> listen(tcp::acceptor& acceptor, const asiokafka::broker& app) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), app), asio::detached);
  }
}

asio::awaitable<std::string> get(unsigned short port, std::string path) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
  std::string reply;
  // The server closes the connection after its answer: reading ends with eof.
  co_await asio::async_read(socket, asio::dynamic_buffer(reply), asio::as_tuple(asio::use_awaitable));
  co_return reply.substr(reply.find("\r\n\r\n") + 4);
}

}  // namespace

int main(int argc, char** argv) {
  std::cout << std::unitbuf;
  std::string brokers;
  unsigned short port = 0;
  bool self_test = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--brokers" && i + 1 < argc)
      brokers = argv[++i];
    else if (arg == "--port" && i + 1 < argc)
      port = static_cast<unsigned short>(std::stoi(argv[++i]));
    else if (arg == "--self-test")
      self_test = true;
    else {
      std::cerr << "usage: http_server [--brokers host:port] [--port N] [--self-test]\n";
      return 2;
    }
  }
  std::optional<asiokafka::testing::embedded_kafka> embedded;
  if (brokers.empty()) {
    embedded.emplace();
    embedded->create_topic("page-views", 1);
    brokers = embedded->bootstrap_servers();
  }

  asio::io_context io;  // one thread serves HTTP and Kafka
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
  port = acceptor.local_endpoint().port();
  std::cout << "listening on http://127.0.0.1:" << port << " (/stats, /metrics, /health, /asyncapi.json)\n";

  asiokafka::broker_options options;
  options.config.bootstrap_servers = brokers;
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.statistics_interval = std::chrono::seconds(1);  // consumer lag etc. in /metrics
  std::atomic<int> handled_spans{0};
  std::mutex log_mutex;
  options.on_span = [&](const asiokafka::span_event& e) {  // W3C trace ids, as JSON lines
    const char* kinds[] = {"process", "publish", "request"};
    boost::json::object line{
        {"span", e.name},
        {"kind", kinds[static_cast<int>(e.span_kind)]},
        {"phase", e.span_phase == asiokafka::span_event::phase::start ? "start" : "end"},
        {"trace_id", e.context->trace_id_hex()},
        {"span_id", e.context->span_id_hex()},
        {"topic", e.topic},
        {"partition", e.partition},
        {"offset", e.offset},
        {"correlation_id", e.correlation_id},
        {"time_us", std::chrono::duration_cast<std::chrono::microseconds>(e.time.time_since_epoch()).count()}};
    if (e.parent_span_id) line["parent_span_id"] = asiokafka::trace_context::hex(*e.parent_span_id);
    if (e.error) line["error"] = e.error_text;
    std::lock_guard lock(log_mutex);
    std::clog << boost::json::serialize(line) << "\n";
    if (e.span_kind == asiokafka::span_event::kind::process && e.span_phase == asiokafka::span_event::phase::end)
      ++handled_spans;
  };
  asiokafka::broker app(io.get_executor(), options);
  asio::co_spawn(io, listen(acceptor, app), asio::detached);
  asiokafka::subscriber_options counter;
  counter.name = "page-view-counter";
  counter.config.group_id = "http-example";
  counter.description = "Counts page views";
  app.subscriber<page_view>({"page-views"}, counter, [](page_view) -> asio::awaitable<void> {
    ++views;
    co_return;
  });
  auto page_views = app.publisher<page_view>("page-views", "Page views of the self-test");
  asyncapi_document = app.asyncapi({.title = "http_server example", .version = "1.0.0"});

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) app.stop();
  });
  int exit_code = 0;
  app.async_run([&](asiokafka::error_code ec) {
    if (ec) exit_code = 1;
    signals.cancel();
    acceptor.close();
  });

  if (self_test) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          for (int i = 0; i < 10; ++i) {
            page_view v{"/page/" + std::to_string(i), "user-" + std::to_string(i % 3)};
            co_await page_views.async_publish(v, {}, asio::use_awaitable);
          }
          std::string body;
          asio::steady_timer timer(io);
          for (int attempt = 0; attempt < 300 && body != "{\"views\":10}\n"; ++attempt) {
            body = co_await get(port, "/stats");
            timer.expires_after(std::chrono::milliseconds(100));
            co_await timer.async_wait(asio::use_awaitable);
          }
          std::cout << "GET /stats -> " << body;
          if (body != "{\"views\":10}\n") exit_code = 1;

          const std::string metrics = co_await get(port, "/metrics");
          const std::string handled = "asiokafka_subscriber_handled_total{subscriber=\"page-view-counter\"} 10\n";
          std::cout << "GET /metrics -> " << (metrics.find(handled) != std::string::npos ? "" : "MISSING ") << handled;
          if (metrics.find(handled) == std::string::npos) exit_code = 1;

          const std::string health = co_await get(port, "/health");
          std::cout << "GET /health -> " << health;
          if (health.find("\"running\":true,\"assigned_partitions\":1") == std::string::npos) exit_code = 1;

          const std::string asyncapi = co_await get(port, "/asyncapi.json");
          const bool described = asyncapi.find("\"asyncapi\":\"3.0.0\"") != std::string::npos &&
                                 asyncapi.find("\"address\":\"page-views\"") != std::string::npos &&
                                 asyncapi.find("\"page_view\"") != std::string::npos;
          std::cout << "GET /asyncapi.json -> " << asyncapi.size() << " bytes" << (described ? "" : ", INCOMPLETE")
                    << "\n";
          if (!described) exit_code = 1;
          std::cout << "spans of handled records logged: " << handled_spans.load() << "\n";
          if (handled_spans.load() != 10) exit_code = 1;
          app.stop();
        },
        [&](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            std::cerr << "self-test error: " << ex.what() << "\n";
          }
          exit_code = 1;
          app.stop();
        });
  }
  io.run();
  // The verdict once everything ended, async_run's outcome included.
  if (self_test) std::cout << (exit_code == 0 ? "self-test OK\n" : "self-test FAILED\n");
  return exit_code;
}
