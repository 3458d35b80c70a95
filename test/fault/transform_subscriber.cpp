// A consume-transform-produce subscriber as its own process, for test_transform_kill: it
// reads sequenced_events from IN and publishes each sequence number (as text) to the same
// partition of OUT, exactly-once ("eos": in transactions, transactional.id derived from the
// broker-scope base BASE) or at-least-once ("alo"), as the static group member BASE. Each
// handled sequence number is also appended to PROGRESS (8 bytes, one write(2)) so the test
// knows how far the stream got. SIGTERM or SIGINT stops it gracefully and it exits 0; a fatal
// error exits 3.
//
//   transform_subscriber BROKERS IN OUT GROUP BASE eos|alo PROGRESS
#include <asiokafka/broker.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "sequenced_event.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using event = asiokafka::test::sequenced_event;

int main(int argc, char** argv) {
  if (argc != 8 || (std::string(argv[6]) != "eos" && std::string(argv[6]) != "alo")) {
    std::fprintf(stderr, "usage: %s BROKERS IN OUT GROUP BASE eos|alo PROGRESS\n", argv[0]);
    return 2;
  }
  const std::string out_topic = argv[3];
  const bool exactly_once = std::string(argv[6]) == "eos";
  const int progress = ::open(argv[7], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (progress < 0) {
    std::fprintf(stderr, "transform_subscriber: cannot open %s: %s\n", argv[7], std::strerror(errno));
    return 2;
  }

  asio::io_context io;
  asiokafka::broker_options options;
  options.config.bootstrap_servers = argv[1];
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.config.group_instance_id = argv[5];  // a base: the member id derives from it
  if (exactly_once) options.config.transactional_id = argv[5];
  options.graceful_timeout = 20s;
  // At-least-once waits for each output's delivery before storing the input's offset: without
  // linger that is a round trip, not 5 ms of lingering per record. The same for both modes.
  options.producer_config.raw["linger.ms"] = "0";
  int status = 0;
  asiokafka::broker app(io.get_executor(), options);

  asiokafka::subscriber_options s;
  s.name = "transform";
  s.config.group_id = argv[4];
  s.config.session_timeout = 30s;
  s.config.raw = {{"auto.commit.interval.ms", "100"}};
  if (exactly_once) {
    s.guarantee = asiokafka::processing_guarantee::exactly_once;
    s.transaction.max_time = 100ms;
  }
  app.subscriber<event>({argv[2]}, s, [&](event e, asiokafka::context& ctx) -> asio::awaitable<void> {
    asiokafka::publish_options po;
    po.partition = ctx.partition();
    const std::string value = std::to_string(e.seq);
    co_await ctx.publish(out_topic, value, po);
    const std::int64_t seq = e.seq;
    if (::write(progress, &seq, sizeof seq) != static_cast<ssize_t>(sizeof seq)) std::_Exit(4);
  });

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const asiokafka::error_code& ec, int) {
    if (!ec) app.stop();
  });
  app.async_run([&](asiokafka::error_code ec) {
    if (ec) {
      std::fprintf(stderr, "transform_subscriber: %s\n", ec.message().c_str());
      status = 3;
    }
    signals.cancel();
  });
  io.run();
  ::close(progress);
  return status;
}
