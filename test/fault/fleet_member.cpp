// One pod of a deployment, for test_rolling_deployment: a broker process with two subscribers
// on TOPIC, "fleet" in GROUP and "audit" in GROUP-audit, whose group.instance.ids derive from
// the broker-scope base POD_NAME (static_ids = from_environment: <pod>-fleet, <pod>-audit), as
// on Kubernetes. It records every handled event as {seq, partition, CLOCK_MONOTONIC ns} (24
// bytes, one write(2) each) in HANDLED_FILE ("fleet") and HANDLED_FILE.audit ("audit"), and
// every rebalance event as a line "<monotonic ns> <log line>" in REBALANCE_FILE ("fleet") and
// REBALANCE_FILE.audit ("audit"; the broker's log names the subscriber of each line). SIGTERM stops it gracefully (what it handled
// is committed; a static member does not leave the group) and it exits 0.
//
//   fleet_member BROKERS TOPIC GROUP static|dynamic classic|consumer ASSIGNOR HANDLED_FILE REBALANCE_FILE
//
// classic: the classic group protocol, ASSIGNOR its partition.assignment.strategy, a 20 s
// session timeout. consumer: KIP-848's protocol, ASSIGNOR the broker-side
// group.remote.assignor ("-": the broker's choice), the group's session timeout (45 s).
#include <asiokafka/broker.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "sequenced_event.hpp"

#include <fcntl.h>
#include <time.h>
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

namespace {

std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void write_all(int fd, const void* data, std::size_t size) {
  if (::write(fd, data, size) != static_cast<ssize_t>(size)) {
    std::fprintf(stderr, "fleet_member: write failed: %s\n", std::strerror(errno));
    std::_Exit(4);  // never let the offset of an unrecorded record be committed
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(stderr,
                 "usage: %s BROKERS TOPIC GROUP static|dynamic classic|consumer ASSIGNOR HANDLED_FILE REBALANCE_FILE\n",
                 argv[0]);
    return 2;
  }
  const bool static_membership = std::string(argv[4]) == "static";
  const bool consumer_protocol = std::string(argv[5]) == "consumer";
  const std::string assignor = argv[6];
  const int handled = ::open(argv[7], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int audited =
      ::open((std::string(argv[7]) + ".audit").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int rebalances = ::open(argv[8], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int audit_rebalances =
      ::open((std::string(argv[8]) + ".audit").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (handled < 0 || audited < 0 || rebalances < 0 || audit_rebalances < 0) {
    std::fprintf(stderr, "fleet_member: cannot open its files: %s\n", std::strerror(errno));
    return 2;
  }

  asio::io_context io;
  asiokafka::broker_options options;
  options.config.bootstrap_servers = argv[1];
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.config.raw = {{"auto.commit.interval.ms", "200"}};
  if (consumer_protocol) {
    options.config.group_protocol = asiokafka::group_protocol::consumer;
    if (assignor != "-") options.config.group_remote_assignor = assignor;
  } else {
    options.config.raw["partition.assignment.strategy"] = assignor;
    // Longer than a restart: a static member coming back within it gets its partitions back
    // without a rebalance.
    options.config.session_timeout = 20s;
  }
  if (static_membership) options.static_ids = asiokafka::from_environment{"POD_NAME"};
  options.graceful_timeout = 10s;
  options.log = [&](asiokafka::log_level level, std::string_view facility, std::string_view line) {
    constexpr std::string_view fleet_prefix = "subscriber \"fleet\": ", audit_prefix = "subscriber \"audit\": ";
    if (facility == "REBALANCE" && (line.starts_with(fleet_prefix) || line.starts_with(audit_prefix))) {
      const bool fleet = line.starts_with(fleet_prefix);
      line.remove_prefix(fleet ? fleet_prefix.size() : audit_prefix.size());
      const std::string entry = std::to_string(monotonic_ns()) + " " + std::string(line) + "\n";
      write_all(fleet ? rebalances : audit_rebalances, entry.data(), entry.size());
    } else if (level <= asiokafka::log_level::warning) {
      std::fprintf(stderr, "fleet_member %s: %.*s %.*s\n", std::getenv("POD_NAME") ? std::getenv("POD_NAME") : "?",
                   static_cast<int>(facility.size()), facility.data(), static_cast<int>(line.size()), line.data());
    }
  };
  int status = 0;
  asiokafka::broker app(io.get_executor(), options);
  asiokafka::subscriber_options s;
  s.name = "fleet";
  s.config.group_id = argv[3];
  const auto recording_to = [](int fd) {
    return [fd](event e, asiokafka::context& ctx) -> asio::awaitable<void> {
      const std::int64_t entry[3] = {e.seq, ctx.partition(), monotonic_ns()};
      write_all(fd, entry, sizeof entry);
      co_return;
    };
  };
  app.subscriber<event>({argv[2]}, s, recording_to(handled));
  asiokafka::subscriber_options audit;
  audit.name = "audit";
  audit.config.group_id = std::string(argv[3]) + "-audit";
  app.subscriber<event>({argv[2]}, audit, recording_to(audited));

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const asiokafka::error_code& ec, int) {
    if (!ec) app.stop();
  });
  app.async_run([&](asiokafka::error_code ec) {
    if (ec) {
      std::fprintf(stderr, "fleet_member: %s\n", ec.message().c_str());
      status = 3;
    }
    signals.cancel();
  });
  io.run();
  ::close(handled);
  ::close(audited);
  ::close(rebalances);
  ::close(audit_rebalances);
  return status;
}
