// A consumer process SIGKILLed five times in the middle of a 1,000,000-record stream and
// restarted each time with the same group.instance.id (the fault1 cluster of CMakeLists.txt):
// at-least-once means nothing is lost; what was handled after the last commit of a killed
// process is handled again, and the case reports how much.
//
// The consumer is killable_subscriber (its own executable): it appends every handled
// sequence number to a file per run, which this test reads while it runs to decide when to
// kill and, at the end, to count.
#define BOOST_TEST_MODULE test_process_kill
#include <boost/test/unit_test.hpp>

#include <asiokafka/json.hpp>
#include <asiokafka/producer.hpp>

#include "child_process.hpp"
#include "fault_support.hpp"
#include "kafka_helpers.hpp"
#include "sequenced_event.hpp"
#include "test_support.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;

namespace {

constexpr std::int64_t record_count = 1000000;
constexpr int kills = 5;

// Reads what the consumer runs appended to their files since the last call.
class handled_log {
 public:
  explicit handled_log(std::int64_t n) : times_(static_cast<std::size_t>(n), 0) {}

  void add_file(std::string path) { files_.push_back({std::move(path), 0}); }

  void read_new() {
    for (auto& f : files_) {
      std::ifstream in(f.path, std::ios::binary);
      if (!in) continue;
      in.seekg(static_cast<std::streamoff>(f.offset));
      std::int64_t seq;
      while (in.read(reinterpret_cast<char*>(&seq), sizeof seq)) {  // a torn tail is read next time
        f.offset += sizeof seq;
        ++records_;
        if (seq < 0 || seq >= static_cast<std::int64_t>(times_.size())) {
          ++out_of_range_;
          continue;
        }
        if (times_[static_cast<std::size_t>(seq)]++ == 0) ++distinct_;
      }
    }
  }

  std::int64_t distinct() const { return distinct_; }
  /// Records read from the file added last.
  std::int64_t records_in_last() const {
    return files_.empty() ? 0 : static_cast<std::int64_t>(files_.back().offset / sizeof(std::int64_t));
  }
  std::int64_t out_of_range() const { return out_of_range_; }
  const std::vector<std::uint16_t>& times() const { return times_; }

 private:
  struct file {
    std::string path;
    std::size_t offset;
  };
  std::vector<file> files_;
  std::vector<std::uint16_t> times_;
  std::int64_t distinct_ = 0, records_ = 0, out_of_range_ = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(test_fault)

BOOST_AUTO_TEST_CASE(sigkilled_static_member_restarts_lose_nothing) {
  const std::string brokers = test::cluster_bootstrap(ASIOKAFKA_FAULT_STATE, "fault1");
  const std::string topic = test::unique_name("killed");
  const std::string group = test::unique_name("killed");
  const std::string instance_id = group + "-member";  // one static member, restarted
  const std::string dir = std::string(ASIOKAFKA_FAULT_RUNS) + "/" + topic;
  std::filesystem::create_directories(dir);
  test::create_topic(brokers, topic, 4);

  // The whole stream is in the topic before the first consumer starts.
  std::uint64_t produce_failed = 0;
  {
    asio::io_context io;
    test::run(
        io,
        [&]() -> asio::awaitable<void> {
          auto ex = co_await asio::this_coro::executor;
          asiokafka::producer p(ex,
                                test::producer_config(brokers, {{"linger.ms", "20"}, {"enable.idempotence", "true"}}));
          for (std::int64_t seq = 0; seq < record_count; ++seq) {
            p.produce(
                asiokafka::record{topic,
                                  {},
                                  std::to_string(seq),
                                  asiokafka::json::encode(test::sequenced_event{seq, "killed-" + std::to_string(seq)}),
                                  {},
                                  {}});
          }
          co_await p.async_flush(asio::use_awaitable);
          produce_failed = p.failed();
        },
        300s);
  }
  BOOST_REQUIRE(produce_failed == 0u);

  handled_log log(record_count);
  std::vector<std::int64_t> distinct_at_kill;
  std::vector<long long> first_record_ms;  // from each start to its first handled record
  int final_status = -1;
  for (int run = 0; run <= kills; ++run) {
    const std::string out = dir + "/run-" + std::to_string(run) + ".bin";
    log.add_file(out);
    const auto started = std::chrono::steady_clock::now();
    test::child consumer({ASIOKAFKA_KILLABLE_SUBSCRIBER, brokers, topic, group, instance_id, out});
    // Runs 0..4 are killed once the stream has advanced another sixth; the last one runs to
    // the end and is stopped gracefully.
    const std::int64_t target = run < kills ? (run + 1) * record_count / (kills + 1) : record_count;
    bool seen_first = false;
    const auto deadline = started + 180s;
    while (std::chrono::steady_clock::now() < deadline) {
      log.read_new();
      if (!seen_first && log.records_in_last() > 0) {
        seen_first = true;
        first_record_ms.push_back(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
      }
      if (log.distinct() >= target) break;
      const auto status = consumer.exited();
      BOOST_REQUIRE_MESSAGE(!status, "consumer run " << run << " exited on its own (status " << *status << ")");
      std::this_thread::sleep_for(5ms);
    }
    const bool reached = log.distinct() >= target;
    if (run < kills || !reached) {
      consumer.stop(SIGKILL);
      distinct_at_kill.push_back(log.distinct());
    } else {
      std::this_thread::sleep_for(1s);  // re-deliveries, if any, show up
      const int status = consumer.stop(SIGTERM);
      final_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    BOOST_REQUIRE_MESSAGE(reached, "run " << run << " did not reach " << target << " distinct records in 180 s (at "
                                          << log.distinct() << ")");
  }
  log.read_new();

  const test::delivery_counts c = test::tally(log.times(), record_count);
  test::report("consumer SIGKILLed 5 times, same static id (1M, at-least-once)", c);
  std::string kills_text, firsts_text;
  for (auto d : distinct_at_kill) kills_text += " " + std::to_string(d);
  for (auto ms : first_record_ms) firsts_text += " " + std::to_string(ms);
  BOOST_TEST_MESSAGE("distinct records handled at each kill:"
                     << kills_text << "; ms from each start to its first record:" << firsts_text);
  test::print_report_line("  killed at distinct:%s; ms from start to first record:%s", kills_text.c_str(),
                          firsts_text.c_str());
  BOOST_TEST(distinct_at_kill.size() == static_cast<std::size_t>(kills));
  for (auto d : distinct_at_kill) BOOST_TEST(d < record_count);  // each kill really was mid-stream
  BOOST_TEST(final_status == 0);
  BOOST_TEST(log.out_of_range() == 0);
  BOOST_TEST(c.lost == 0);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
