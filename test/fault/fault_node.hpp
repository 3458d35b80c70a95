// What the single-node fault tests share about their node ("fault1", started by the CTest
// fixture in CMakeLists.txt): its address, stopping and starting it without blocking the
// io_context, a guard that leaves it running after a failed case, and a log sink that counts
// the lines an outage brings instead of printing them. Needs the compile definitions
// ASIOKAFKA_KAFKA_SCRIPT and ASIOKAFKA_FAULT_STATE.
#pragma once

#include <asiokafka/log.hpp>

#include "fault_support.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace asiokafka::test {

inline constexpr const char* fault_cluster = "fault1";

inline std::string fault_bootstrap() { return cluster_bootstrap(ASIOKAFKA_FAULT_STATE, fault_cluster); }

/// `scripts/kafka COMMAND 1` (stop-node, kill-node, start-node) for the fault node.
inline boost::asio::awaitable<int> fault_node(const std::string& command) {
  return kafka_node(ASIOKAFKA_KAFKA_SCRIPT, ASIOKAFKA_FAULT_STATE, fault_cluster, command, 1);
}

/// If a case fails with the node down, the next case (and the fixture's cleanup) still find a
/// running node.
struct node_restorer {
  node_restorer() = default;
  node_restorer(const node_restorer&) = delete;
  node_restorer& operator=(const node_restorer&) = delete;
  ~node_restorer() {
    const std::string line = std::string("ASIOKAFKA_KAFKA_DIR='") + ASIOKAFKA_FAULT_STATE + "' '" +
                             ASIOKAFKA_KAFKA_SCRIPT + "' start-node 1 --name " + fault_cluster + " >/dev/null";
    if (std::system(line.c_str()) != 0) BOOST_TEST_MESSAGE("could not restart node 1 of " << fault_cluster);
  }
};

/// ASIOKAFKA_FAULT_DEBUG=CONTEXTS (librdkafka debug contexts, e.g. "admin,broker,cgrp"): the
/// contexts to turn on in a fault test's clients, for reproducing a failure with its seed.
/// Empty when unset.
inline std::string fault_debug() {
  const char* contexts = std::getenv("ASIOKAFKA_FAULT_DEBUG");
  return contexts ? contexts : "";
}

/// Log lines while the broker is away are expected; counts them instead of flooding the output,
/// and keeps the last 200 (with the client's name and the milliseconds since the sink was made)
/// for print_recent() to show when a case fails. With ASIOKAFKA_FAULT_DEBUG set, every line is
/// also printed as it comes.
struct log_counter {
  struct record {
    std::map<log_level, int> counts;
    std::deque<std::string> recent;
  };
  std::shared_ptr<record> lines = std::make_shared<record>();
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  log_sink sink(std::string client = "client") const {
    return [lines = lines, start = start, client = std::move(client), echo = !fault_debug().empty()](
               log_level level, std::string_view facility, std::string_view message) {
      ++lines->counts[level];
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      std::string line =
          std::to_string(ms.count()) + " ms " + client + " " + std::string(facility) + " " + std::string(message);
      if (echo) std::fprintf(stderr, "%s\n", line.c_str());
      lines->recent.push_back(std::move(line));
      if (lines->recent.size() > 200) lines->recent.pop_front();
    };
  }
  int total() const {
    int n = 0;
    for (const auto& [level, count] : lines->counts) n += count;
    return n;
  }
  void print_recent() const {
    std::fprintf(stderr, "the last %zu log lines of the clients:\n", lines->recent.size());
    for (const auto& line : lines->recent) std::fprintf(stderr, "  %s\n", line.c_str());
  }
};

}  // namespace asiokafka::test
