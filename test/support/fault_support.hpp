// What the fault and failover tests share: the bootstrap address of a cluster the CTest
// fixture started, stopping/starting one of its nodes without blocking the io_context, and the
// tally of handled sequence numbers into produced / handled / lost / duplicated.
#pragma once

#include <asiokafka/json.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/testing/wait.hpp>

#include "sequenced_event.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asiokafka::test {

/// The bootstrap address of the cluster `name` whose state scripts/kafka keeps under `state_dir`.
inline std::string cluster_bootstrap(const std::string& state_dir, const std::string& name) {
  const std::string path = state_dir + "/" + name + "/bootstrap";
  std::ifstream in(path);
  std::string bootstrap;
  BOOST_REQUIRE_MESSAGE(std::getline(in, bootstrap) && !bootstrap.empty(),
                        "no bootstrap address in " << path << ": the " << name << " fixture did not start it");
  return bootstrap;
}

/// Runs `scripts/kafka COMMAND NODE --name NAME` (stop-node, start-node) for the cluster under
/// `state_dir` on a thread of its own, so the io_context keeps serving the clients while the
/// script waits for the node. Returns the script's exit status (-1 if it ran over 180 s).
inline boost::asio::awaitable<int> kafka_node(std::string script, std::string state_dir, std::string name,
                                              std::string command, int node) {
  const std::string line = "ASIOKAFKA_KAFKA_DIR='" + state_dir + "' '" + script + "' " + command + " " +
                           std::to_string(node) + " --name " + name;
  auto done = std::make_shared<std::atomic<bool>>(false);
  auto status = std::make_shared<std::atomic<int>>(-1);
  std::thread([line, done, status] {
    status->store(std::system(line.c_str()));
    done->store(true);
  }).detach();
  const bool finished = co_await testing::wait_until([&] { return done->load(); }, std::chrono::seconds(180));
  BOOST_TEST_MESSAGE(command << " node " << node << " of " << name << ": "
                             << (finished ? "status " + std::to_string(status->load()) : "still running"));
  co_return finished ? status->load() : -1;
}

/// Produces sequenced_events 0..n-1 round-robin over `partitions` partitions of `topic`, with
/// the sequence number as key, at about 25,000 records/s (1000 every 40 ms) so a fault can
/// strike mid-stream; calls `after(seq)` after each, then flushes. Returns p.failed().
template <class After>
boost::asio::awaitable<std::uint64_t> produce_paced(asiokafka::producer& p, std::string topic, int partitions,
                                                    std::int64_t n, After after) {
  boost::asio::steady_timer pace(co_await boost::asio::this_coro::executor);
  for (std::int64_t seq = 0; seq < n; ++seq) {
    std::string key = std::to_string(seq);
    std::string value = json::encode(sequenced_event{seq, topic + "-" + key});
    p.produce(record{topic, static_cast<std::int32_t>(seq % partitions), std::move(key), std::move(value), {}, {}});
    if (seq % 1000 == 999) {
      pace.expires_after(std::chrono::milliseconds(40));
      co_await pace.async_wait(boost::asio::use_awaitable);
    }
    after(seq);
  }
  co_await p.async_flush(boost::asio::use_awaitable);
  co_return p.failed();
}

/// Waits until every sequence number in `times` was handled (false after `timeout`), then two
/// seconds more so re-deliveries, if any, show up.
inline boost::asio::awaitable<bool> all_handled(const std::vector<std::uint16_t>& times, std::chrono::seconds timeout) {
  const bool all = co_await testing::wait_until(
      [&] { return std::find(times.begin(), times.end(), std::uint16_t{0}) == times.end(); }, timeout);
  co_await testing::sleep_for(std::chrono::seconds(2));
  co_return all;
}

struct delivery_counts {
  std::int64_t produced = 0;
  std::int64_t handled = 0;  // distinct
  std::int64_t lost = 0;
  std::int64_t duplicated = 0;
};

/// `times[seq]` is how often sequence number seq was handled, for seq in [0, produced).
inline delivery_counts tally(const std::vector<std::uint16_t>& times, std::int64_t produced) {
  delivery_counts c;
  c.produced = produced;
  for (std::int64_t seq = 0; seq < produced; ++seq) {
    const auto t = times[static_cast<std::size_t>(seq)];
    if (t == 0)
      ++c.lost;
    else
      ++c.handled;
    if (t > 1) c.duplicated += t - 1;
  }
  return c;
}

/// Prints a line of a fault scenario's report on stdout, prefixed "[fault] ", which
/// scripts/test collects from the ctest log and shows after the run.
template <class... Args>
void print_report_line(const char* format, Args... args) {
  std::printf("[fault] ");
  std::printf(format, args...);
  std::printf("\n");
  std::fflush(stdout);
}

/// Logs the counts of `scenario`, also as a report line.
inline void report(const std::string& scenario, const delivery_counts& c) {
  BOOST_TEST_MESSAGE(scenario << ": produced " << c.produced << ", handled " << c.handled << ", lost " << c.lost
                              << ", duplicated " << c.duplicated);
  print_report_line("%s: produced %lld, handled %lld, lost %lld, duplicated %lld", scenario.c_str(),
                    static_cast<long long>(c.produced), static_cast<long long>(c.handled),
                    static_cast<long long>(c.lost), static_cast<long long>(c.duplicated));
}

}  // namespace asiokafka::test
