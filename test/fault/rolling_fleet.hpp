// The fleet of test_rolling_deployment: 6 pod processes (fault_fleet_member) of one deployment
// under a steady stream, restarted one by one, scaled out and in, and what they recorded read
// back into figures (records lost and duplicated, rebalance events at the other pods, pauses,
// lag, restart times) and a timeline for scripts/plot-rolling.
#pragma once

#include <boost/test/unit_test.hpp>

#include <asiokafka/admin.hpp>
#include <asiokafka/json.hpp>
#include <asiokafka/producer.hpp>

#include "child_process.hpp"
#include "fault_support.hpp"
#include "kafka_helpers.hpp"
#include "sequenced_event.hpp"
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace asiokafka::test::rolling {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr int pods = 6;
constexpr int partitions = 12;

inline std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct handled_entry {
  std::int64_t seq, partition, at_ns;
};

inline std::vector<handled_entry> read_handled(const std::string& path) {
  std::vector<handled_entry> out;
  std::ifstream in(path, std::ios::binary);
  handled_entry e{};
  while (in.read(reinterpret_cast<char*>(&e), sizeof e)) out.push_back(e);
  return out;
}

struct rebalance_line {
  std::int64_t at_ns = 0;
  std::string kind;  // assigned, revoked, lost
  std::size_t partitions = 0;
};

/// A pod's rebalance events of one subscriber ("fleet": REBALANCE_FILE, "audit": its ".audit").
inline std::vector<rebalance_line> read_rebalances(const std::string& path) {
  std::vector<rebalance_line> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    rebalance_line r;
    s >> r.at_ns >> r.kind;
    // "<ns> <kind> <partitions> (rebalance event #N: K partition(s), M assigned after it)"
    const auto event = line.find("(rebalance event #");
    const auto colon = event == std::string::npos ? event : line.find(": ", event);
    if (colon != std::string::npos) r.partitions = std::stoul(line.substr(colon + 2));
    out.push_back(r);
  }
  return out;
}

/// One pod: its POD_NAME and the processes it ran (files of each run, in order).
struct pod {
  std::string name;
  test::child process;
  std::vector<std::string> handled_files, rebalance_files;
};

struct fleet_figures {
  test::delivery_counts counts;        // the pods' "fleet" subscribers
  test::delivery_counts audit_counts;  // their "audit" subscribers (a second group on the topic)
  int bystander_rebalances = 0;        // rebalance events of pods not being restarted, during restarts
  double longest_pause_ms = 0;         // longest gap between two handled records of one partition
  std::int64_t max_lag = 0;            // the group's largest total lag seen during the update
  std::vector<long long> restart_ms;   // each pod: SIGTERM to its new process's first record
  int bad_exits = 0;
  // scale-out 6 -> 7 and scale-in 7 -> 6 (static runs only), of the "fleet" group
  int scale_revoke_events = 0;
  std::size_t scale_revoked = 0, scale_new_assigned = 0;
  int scale_full_revocations = 0;     // old pods that gave up every partition they had
  std::size_t scale_in_assigned = 0;  // partitions the 6 pods took over from the stopped 7th
  double scale_in_pause_ms = 0;       // longest partition pause from the 7th pod's SIGTERM on
};

class fleet {
 public:
  /// mode: "static" or "dynamic"; protocol: "classic" or "consumer"; assignor: the classic
  /// partition.assignment.strategy or the consumer protocol's group.remote.assignor.
  fleet(std::string brokers, std::string mode, std::string protocol, std::string assignor)
      : brokers_(std::move(brokers)),
        mode_(std::move(mode)),
        protocol_(std::move(protocol)),
        assignor_(std::move(assignor)),
        topic_(test::unique_name("fleet-" + protocol_ + "-" + mode_)),
        group_(test::unique_name("fleet-" + protocol_ + "-" + mode_)),
        dir_(std::string(ASIOKAFKA_FAULT_RUNS) + "/" + topic_) {
    std::filesystem::create_directories(dir_);
    test::create_topic(brokers_, topic_, partitions);
  }

  ~fleet() {
    pods_.clear();  // SIGKILLs the pods still running
    stop_producing();
    std::filesystem::remove_all(dir_);
  }

  /// Starts producing ~2,000 records/s (round-robin over the partitions) and polling the lag.
  void start_producing() {
    producer_thread_ = std::thread([this] {
      asio::io_context io;
      asiokafka::producer p(io.get_executor(), test::producer_config(brokers_, {{"linger.ms", "5"}}));
      asiokafka::admin a(io.get_executor(), test::producer_config(brokers_));
      asio::co_spawn(
          io,
          [&]() -> asio::awaitable<void> {
            asio::steady_timer pace(io);
            while (!stop_.load()) {
              for (int i = 0; i < 50; ++i) {
                const std::int64_t seq = produced_++;
                p.produce(asiokafka::record{topic_,
                                            static_cast<std::int32_t>(seq % partitions),
                                            std::to_string(seq),
                                            asiokafka::json::encode(test::sequenced_event{seq, "fleet"}),
                                            {},
                                            {}});
              }
              pace.expires_after(25ms);
              co_await pace.async_wait(asio::use_awaitable);
            }
            co_await p.async_flush(asio::use_awaitable);
            produce_failed_ = p.failed();
            // The clients keep the io_context busy: stop it once the lag poller is done too.
            asio::steady_timer wait(io);
            while (!lag_done_.load()) {
              wait.expires_after(10ms);
              co_await wait.async_wait(asio::use_awaitable);
            }
            io.stop();
          },
          asio::detached);
      asio::co_spawn(
          io,
          [&]() -> asio::awaitable<void> {
            asio::steady_timer tick(io);
            const asiokafka::call_options call{5s};
            while (!stop_.load()) {
              auto [ec, lags] = co_await a.async_group_lag(group_, call, asio::as_tuple(asio::use_awaitable));
              std::int64_t total = 0;
              for (const auto& l : lags) total += std::max<std::int64_t>(l.lag, 0);
              if (!ec && measuring_lag_.load()) max_lag_ = std::max(max_lag_.load(), total);
              tick.expires_after(250ms);
              co_await tick.async_wait(asio::use_awaitable);
            }
            lag_done_ = true;
          },
          asio::detached);
      io.run();
    });
  }

  void stop_producing() {
    stop_ = true;
    if (producer_thread_.joinable()) producer_thread_.join();
  }

  void start_pod(int i) {
    if (static_cast<int>(pods_.size()) <= i) pods_.resize(static_cast<std::size_t>(i) + 1);
    auto& p = pods_[static_cast<std::size_t>(i)];
    p.name = "deploy-" + std::to_string(i);
    const auto run = std::to_string(p.handled_files.size());
    p.handled_files.push_back(dir_ + "/" + p.name + "-" + run + ".bin");
    p.rebalance_files.push_back(dir_ + "/" + p.name + "-" + run + ".log");
    p.process = test::child({ASIOKAFKA_FLEET_MEMBER, brokers_, topic_, group_, mode_, protocol_, assignor_,
                             p.handled_files.back(), p.rebalance_files.back()},
                            {"POD_NAME=" + p.name});
  }

  /// SIGTERM and wait; the exit status counts against bad_exits unless 0.
  void stop_pod(int i) {
    const int status = pods_[static_cast<std::size_t>(i)].process.stop(SIGTERM);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++figures_.bad_exits;
  }

  /// Until pod i's current process handled a record (with its "fleet" subscriber).
  bool wait_first_record(int i, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (std::filesystem::exists(pods_[static_cast<std::size_t>(i)].handled_files.back()) &&
          std::filesystem::file_size(pods_[static_cast<std::size_t>(i)].handled_files.back()) > 0)
        return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  /// Until no pod logged a rebalance event for `quiet` (both groups settled: under the consumer
  /// protocol the broker hands out the last moves at heartbeats, 5 s apart), or `timeout`.
  bool wait_settled(std::chrono::seconds quiet, std::chrono::seconds timeout) {
    const auto rebalance_bytes = [this] {
      std::uintmax_t total = 0;
      for (const auto& p : pods_)
        for (const auto& fleet_file : p.rebalance_files)
          for (const auto& f : {fleet_file, fleet_file + ".audit"})
            if (std::filesystem::exists(f)) total += std::filesystem::file_size(f);
      return total;
    };
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto last_change = std::chrono::steady_clock::now();
    auto bytes = rebalance_bytes();
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(200ms);
      if (const auto now = rebalance_bytes(); now != bytes) {
        bytes = now;
        last_change = std::chrono::steady_clock::now();
      } else if (std::chrono::steady_clock::now() - last_change >= quiet) {
        return true;
      }
    }
    return false;
  }

  fleet_figures run(bool scale_out) {
    start_producing();
    for (int i = 0; i < pods; ++i) start_pod(i);
    for (int i = 0; i < pods; ++i) BOOST_REQUIRE_MESSAGE(wait_first_record(i, 90s), "pod " << i << " handled nothing");
    BOOST_REQUIRE_MESSAGE(wait_settled(7s, 90s), "the fleet's groups kept rebalancing");

    measuring_lag_ = true;
    const std::int64_t roll_start = monotonic_ns();
    std::vector<std::pair<std::int64_t, std::int64_t>> windows;  // per pod: its restart
    for (int i = 0; i < pods; ++i) {
      const std::int64_t begin = monotonic_ns();
      stop_pod(i);
      start_pod(i);
      BOOST_REQUIRE_MESSAGE(wait_first_record(i, 60s), "restarted pod " << i << " handled nothing");
      figures_.restart_ms.push_back((monotonic_ns() - begin) / 1000000);
      std::this_thread::sleep_for(2s);  // what the restart set off shows up in this window
      windows.emplace_back(begin, monotonic_ns());
    }
    const std::int64_t roll_end = monotonic_ns();
    measuring_lag_ = false;

    std::int64_t scale_start = 0, scale_end = 0, scale_in_start = 0, scale_in_end = 0;
    if (scale_out) {
      scale_start = monotonic_ns();
      start_pod(pods);
      BOOST_REQUIRE_MESSAGE(wait_first_record(pods, 90s), "the seventh pod handled nothing");
      std::this_thread::sleep_for(5s);
      scale_end = monotonic_ns();
      // Scale in: the 7th pod stops for good. A static member does not leave the group, so its
      // partitions move when its session times out (20 s classic, the group's 45 s under the
      // consumer protocol); every partition is handled again by one of the 6 before this ends.
      scale_in_start = monotonic_ns();
      stop_pod(pods);
      BOOST_REQUIRE_MESSAGE(wait_all_partitions_after(scale_in_start, 120s),
                            "partitions of the stopped 7th pod were not taken over");
      std::this_thread::sleep_for(2s);
      scale_in_end = monotonic_ns();
    }

    stop_producing();
    BOOST_REQUIRE_EQUAL(produce_failed_, 0u);
    const std::int64_t produced = produced_.load();
    // How often each record was handled by the subscriber whose files end in `suffix`.
    const auto all_handled = [&](const std::string& suffix) {
      std::vector<std::uint16_t> times(static_cast<std::size_t>(produced), 0);
      for (const auto& p : pods_)
        for (const auto& f : p.handled_files)
          for (const auto& e : read_handled(f + suffix))
            if (e.seq >= 0 && e.seq < produced) ++times[static_cast<std::size_t>(e.seq)];
      return times;
    };
    const auto complete = [](const std::vector<std::uint16_t>& times) {
      return std::find(times.begin(), times.end(), std::uint16_t{0}) == times.end();
    };
    const auto deadline = std::chrono::steady_clock::now() + 90s;
    while (!(complete(all_handled("")) && complete(all_handled(".audit"))) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(500ms);
    std::this_thread::sleep_for(1s);
    for (int i = 0; i < pods; ++i) stop_pod(i);
    figures_.counts = test::tally(all_handled(""), produced);
    figures_.audit_counts = test::tally(all_handled(".audit"), produced);
    figures_.max_lag = max_lag_.load();
    analyse(roll_start, roll_end, windows, scale_start, scale_end);
    if (scale_in_start) analyse_scale_in(scale_in_start, scale_in_end);
    write_timeline(roll_start, scale_in_end ? scale_in_end : roll_end, windows, scale_start, scale_in_start);
    return figures_;
  }

  /// Whether every partition had a record handled after `since` by one of the first 6 pods.
  bool wait_all_partitions_after(std::int64_t since, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::set<std::int64_t> seen;
      for (int i = 0; i < pods; ++i)
        for (const auto& e : read_handled(pods_[static_cast<std::size_t>(i)].handled_files.back()))
          if (e.at_ns > since) seen.insert(e.partition);
      if (static_cast<int>(seen.size()) == partitions) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

 private:
  void analyse(std::int64_t roll_start, std::int64_t roll_end,
               const std::vector<std::pair<std::int64_t, std::int64_t>>& windows, std::int64_t scale_start,
               std::int64_t scale_end) {
    figures_.longest_pause_ms = longest_pause_ms(roll_start, roll_end);
    // Rebalance events of the other pods while pod i restarted.
    for (int i = 0; i < pods; ++i)
      for (int j = 0; j < static_cast<int>(pods_.size()); ++j) {
        if (j == i) continue;
        for (const auto& fleet_file : pods_[static_cast<std::size_t>(j)].rebalance_files)
          for (const auto& f : {fleet_file, fleet_file + ".audit"})
            for (const auto& r : read_rebalances(f))
              if (r.at_ns >= windows[static_cast<std::size_t>(i)].first &&
                  r.at_ns <= windows[static_cast<std::size_t>(i)].second)
                ++figures_.bystander_rebalances;
      }
    if (!scale_start) return;
    // The scale-out and scale-in figures are the "fleet" group's: its rebalance files alone
    // (the "audit" group scales on its own schedule: its session expires at another moment).
    for (int j = 0; j < static_cast<int>(pods_.size()); ++j) {
      std::size_t before = 0;  // partitions the pod's current process held when the scale-out began
      std::size_t revoked = 0;
      for (const auto& r : read_rebalances(pods_[static_cast<std::size_t>(j)].rebalance_files.back())) {
        const bool in_window = r.at_ns >= scale_start && r.at_ns <= scale_end;
        if (j == pods) {
          if (in_window && r.kind == "assigned") figures_.scale_new_assigned += r.partitions;
          continue;
        }
        if (r.at_ns < scale_start) before += r.kind == "assigned" ? r.partitions : 0;
        if (r.at_ns < scale_start && r.kind != "assigned") before -= std::min(before, r.partitions);
        if (in_window && r.kind != "assigned") {
          ++figures_.scale_revoke_events;
          revoked += r.partitions;
        }
      }
      figures_.scale_revoked += revoked;
      if (j < pods && revoked > 0 && revoked >= before) ++figures_.scale_full_revocations;
    }
  }

  // Per partition, the largest gap between consecutive records handled in [from, to] (from
  // `from` itself to the first record when `from_event`), in ms, the largest over partitions.
  double longest_pause_ms(std::int64_t from, std::int64_t to, bool from_event = false) const {
    std::map<std::int64_t, std::vector<std::int64_t>> at_by_partition;
    for (const auto& p : pods_)
      for (const auto& f : p.handled_files)
        for (const auto& e : read_handled(f))
          if (e.at_ns >= from && e.at_ns <= to) at_by_partition[e.partition].push_back(e.at_ns);
    double longest = 0;
    for (auto& [partition, at] : at_by_partition) {
      if (from_event) at.push_back(from);
      std::sort(at.begin(), at.end());
      for (std::size_t k = 1; k < at.size(); ++k) longest = std::max(longest, (at[k] - at[k - 1]) / 1e6);
    }
    return longest;
  }

  // For scripts/plot-rolling: ASIOKAFKA_ROLLING_TIMELINE/<protocol>-<mode>.csv, one line per
  // handled record that came 20 ms or more after the previous record of its partition
  // ("pause,<s since the update began>,<pod>,<partition>,<gap ms>"), one per pod restart
  // ("restart,<s>,<pod>,<s it took>") and the scale-out and scale-in ("mark,<s>,<what>").
  void write_timeline(std::int64_t from, std::int64_t to,
                      const std::vector<std::pair<std::int64_t, std::int64_t>>& windows, std::int64_t scale_out,
                      std::int64_t scale_in) const {
    std::filesystem::create_directories(ASIOKAFKA_ROLLING_TIMELINE);
    std::ofstream out(std::string(ASIOKAFKA_ROLLING_TIMELINE) + "/" + protocol_ + "-" + mode_ + ".csv");
    const auto seconds = [from](std::int64_t ns) { return (ns - from) / 1e9; };
    if (scale_out) out << "mark," << seconds(scale_out) << ",scale-out 6 to 7\n";
    if (scale_in) out << "mark," << seconds(scale_in) << ",scale-in 7 to 6\n";
    for (std::size_t i = 0; i < windows.size(); ++i)
      out << "restart," << seconds(windows[i].first) << "," << i << "," << (windows[i].second - windows[i].first) / 1e9
          << "\n";
    struct at_pod {
      std::int64_t at_ns;
      std::size_t pod;
    };
    std::map<std::int64_t, std::vector<at_pod>> by_partition;
    for (std::size_t i = 0; i < pods_.size(); ++i)
      for (const auto& f : pods_[i].handled_files)
        for (const auto& e : read_handled(f))
          if (e.at_ns >= from && e.at_ns <= to) by_partition[e.partition].push_back({e.at_ns, i});
    for (auto& [partition, at] : by_partition) {
      std::sort(at.begin(), at.end(), [](const at_pod& a, const at_pod& b) { return a.at_ns < b.at_ns; });
      for (std::size_t k = 1; k < at.size(); ++k)
        if (const double gap_ms = (at[k].at_ns - at[k - 1].at_ns) / 1e6; gap_ms >= 20)
          out << "pause," << seconds(at[k].at_ns) << "," << at[k].pod << "," << partition << "," << gap_ms << "\n";
    }
  }

  void analyse_scale_in(std::int64_t start, std::int64_t end) {
    figures_.scale_in_pause_ms = longest_pause_ms(start, end, true);
    for (int j = 0; j < pods; ++j)
      for (const auto& r : read_rebalances(pods_[static_cast<std::size_t>(j)].rebalance_files.back()))
        if (r.at_ns >= start && r.at_ns <= end && r.kind == "assigned") figures_.scale_in_assigned += r.partitions;
  }

  std::string brokers_, mode_, protocol_, assignor_, topic_, group_, dir_;
  std::vector<pod> pods_;
  std::thread producer_thread_;
  std::atomic<bool> stop_{false}, measuring_lag_{false}, lag_done_{false};
  std::atomic<std::int64_t> produced_{0}, max_lag_{0};
  std::uint64_t produce_failed_ = 0;
  fleet_figures figures_;
};

}  // namespace asiokafka::test::rolling
