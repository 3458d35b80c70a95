// Consume-transform-produce by a subscriber process SIGKILLed 5 times in the middle of a
// 100,000-record stream and restarted each time (the same static member and the same
// transactional.id): exactly-once, a read_committed reader of the output sees every input
// record once, in per-partition order; the same run at-least-once, the control, shows the
// duplicates a kill leaves behind.
#define BOOST_TEST_MODULE test_transform_kill
#include <boost/test/unit_test.hpp>

#include <asiokafka/json.hpp>
#include <asiokafka/producer.hpp>

#include "child_process.hpp"
#include "fault_support.hpp"
#include "kafka_helpers.hpp"
#include "output_check.hpp"
#include "sequenced_event.hpp"
#include "test_support.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;

namespace {

constexpr std::int64_t record_count = 100000;
constexpr int partitions = 4;
constexpr int kills = 5;

// Distinct sequence numbers the runs' progress files hold.
class progress_files {
 public:
  void add(std::string path) { files_.push_back({std::move(path), 0}); }
  std::size_t distinct() {
    for (auto& f : files_) {
      std::ifstream in(f.path, std::ios::binary);
      if (!in) continue;
      in.seekg(static_cast<std::streamoff>(f.offset));
      std::int64_t seq;
      while (in.read(reinterpret_cast<char*>(&seq), sizeof seq)) {
        f.offset += sizeof seq;
        seen_.insert(seq);
      }
    }
    return seen_.size();
  }

 private:
  struct file {
    std::string path;
    std::size_t offset;
  };
  std::vector<file> files_;
  std::set<std::int64_t> seen_;
};

struct outcome {
  test::sequence_count output;
  std::vector<std::size_t> at_kill;
  int final_status = -1;
};

// Fills a new input topic, then runs the transform process, killing it `kills` times.
outcome run_killed(const std::string& brokers, const std::string& mode) {
  const std::string in = test::unique_name("tk-in-" + mode), out = test::unique_name("tk-out-" + mode);
  const std::string group = test::unique_name("tk-" + mode), base = test::unique_name("pod");
  const std::string dir = std::string(ASIOKAFKA_FAULT_RUNS) + "/" + in;
  std::filesystem::create_directories(dir);
  test::create_topic(brokers, in, partitions);
  test::create_topic(brokers, out, partitions);
  {
    asio::io_context io;
    test::run(
        io,
        [&]() -> asio::awaitable<void> {
          auto ex = co_await asio::this_coro::executor;
          asiokafka::producer p(ex,
                                test::producer_config(brokers, {{"linger.ms", "20"}, {"enable.idempotence", "true"}}));
          for (std::int64_t seq = 0; seq < record_count; ++seq)
            p.produce(
                asiokafka::record{in,
                                  static_cast<std::int32_t>(seq % partitions),
                                  std::to_string(seq),
                                  asiokafka::json::encode(test::sequenced_event{seq, "tk-" + std::to_string(seq)}),
                                  {},
                                  {}});
          co_await p.async_flush(asio::use_awaitable);
          BOOST_REQUIRE(p.failed() == 0u);
        },
        300s);
  }

  outcome o;
  progress_files progress;
  for (int run = 0; run <= kills; ++run) {
    const std::string file = dir + "/run-" + std::to_string(run) + ".bin";
    progress.add(file);
    test::child transform({ASIOKAFKA_TRANSFORM_SUBSCRIBER, brokers, in, out, group, base, mode, file});
    const auto target = static_cast<std::size_t>(run < kills ? (run + 1) * record_count / (kills + 1) : record_count);
    const auto deadline = std::chrono::steady_clock::now() + 180s;
    while (std::chrono::steady_clock::now() < deadline && progress.distinct() < target) {
      const auto status = transform.exited();
      BOOST_REQUIRE_MESSAGE(!status, mode << " run " << run << " exited on its own (status " << *status << ")");
      std::this_thread::sleep_for(5ms);
    }
    const bool reached = progress.distinct() >= target;
    if (run < kills || !reached) {
      transform.stop(SIGKILL);
      o.at_kill.push_back(progress.distinct());
    } else {
      std::this_thread::sleep_for(2s);  // the last transaction commits
      const int status = transform.stop(SIGTERM);
      o.final_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    BOOST_REQUIRE_MESSAGE(reached, mode << " run " << run << " did not reach " << target << " in 180 s");
  }
  asio::io_context io;
  std::vector<asiokafka::message> records;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        records = co_await test::read_topic(brokers, out, partitions, "read_committed", record_count);
      },
      300s);
  // At-least-once output repeats earlier numbers after each restart: its order is not checked.
  o.output = test::count_payload_sequences(records, record_count, mode == "eos");
  std::filesystem::remove_all(dir);
  return o;
}

std::string joined(const std::vector<std::size_t>& v) {
  std::string s;
  for (auto x : v) s += " " + std::to_string(x);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_fault)

BOOST_AUTO_TEST_CASE(sigkilled_exactly_once_transform_outputs_each_record_once) {
  const std::string brokers = test::cluster_bootstrap(ASIOKAFKA_FAULT_STATE, "fault1");
  const outcome eos = run_killed(brokers, "eos");
  test::print_report_line("transform SIGKILLed 5 times (100k, exactly-once), read_committed output: %s",
                          test::describe(eos.output).c_str());
  test::print_report_line("  killed at distinct handled:%s", joined(eos.at_kill).c_str());
  BOOST_TEST(eos.at_kill.size() == static_cast<std::size_t>(kills));
  for (auto d : eos.at_kill) BOOST_TEST(d < static_cast<std::size_t>(record_count));  // really mid-stream
  BOOST_TEST(eos.final_status == 0);
  BOOST_TEST(eos.output.lost == 0u);
  BOOST_TEST(eos.output.duplicated == 0u);
  BOOST_TEST(eos.output.out_of_order == 0u);
  BOOST_TEST(eos.output.foreign == 0u);
}

BOOST_AUTO_TEST_CASE(sigkilled_at_least_once_transform_duplicates_as_the_control) {
  const std::string brokers = test::cluster_bootstrap(ASIOKAFKA_FAULT_STATE, "fault1");
  const outcome alo = run_killed(brokers, "alo");
  test::print_report_line("transform SIGKILLed 5 times (100k, at-least-once control), output: %s",
                          test::describe(alo.output).c_str());
  BOOST_TEST(alo.final_status == 0);
  BOOST_TEST(alo.output.lost == 0u);
  BOOST_TEST(alo.output.duplicated > 0u);  // what exactly-once removes
}

BOOST_AUTO_TEST_SUITE_END()
