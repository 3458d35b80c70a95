// A broker subscriber as its own process, for test_process_kill: it consumes `event`s
// at-least-once as a static group member and appends each handled sequence number (8 bytes,
// one write(2) per record, so what a handler finished is on record even if the process is
// SIGKILLed right after) to OUT_FILE. SIGTERM or SIGINT stops it gracefully (stored offsets
// are committed), and it exits 0; a fatal client error exits 3.
//
//   killable_subscriber BROKERS TOPIC GROUP INSTANCE_ID OUT_FILE
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
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s BROKERS TOPIC GROUP INSTANCE_ID OUT_FILE\n", argv[0]);
    return 2;
  }
  const int out = ::open(argv[5], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) {
    std::fprintf(stderr, "killable_subscriber: cannot open %s: %s\n", argv[5], std::strerror(errno));
    return 2;
  }

  asio::io_context io;
  asiokafka::broker_options options;
  options.config.bootstrap_servers = argv[1];
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.graceful_timeout = 20s;
  int status = 0;
  asiokafka::broker app(io.get_executor(), options);

  asiokafka::subscriber_options s;
  s.name = "killable";
  s.config.group_id = argv[3];
  s.config.group_instance_id = argv[4];
  s.config.session_timeout = 30s;
  // Commit stored offsets often, so a kill re-delivers a short window, not the whole run.
  s.config.raw = {{"auto.commit.interval.ms", "100"}};
  app.subscriber<event>({argv[2]}, s, [&](event e) -> asio::awaitable<void> {
    const std::int64_t seq = e.seq;
    if (::write(out, &seq, sizeof seq) != static_cast<ssize_t>(sizeof seq)) {
      std::fprintf(stderr, "killable_subscriber: write failed: %s\n", std::strerror(errno));
      std::_Exit(4);  // never let the offset of an unrecorded record be committed
    }
    co_return;
  });

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const asiokafka::error_code& ec, int) {
    if (!ec) app.stop();
  });
  app.async_run([&](asiokafka::error_code ec) {
    if (ec) {
      std::fprintf(stderr, "killable_subscriber: %s\n", ec.message().c_str());
      status = 3;
    }
    signals.cancel();
  });
  io.run();
  ::close(out);
  return status;
}
