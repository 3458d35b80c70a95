// Batch subscribers (a handler taking std::vector<T>) against the real broker. Compiled into
// integration_test_broker_real (test/integration/CMakeLists.txt).
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/consumer.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/describe.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <set>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::ack_policy;
using asiokafka::batch_context;
using asiokafka::broker;
using asiokafka::message;
using asiokafka::subscriber_options;
using asiokafka::topic_partition_list;
namespace test = asiokafka::test;

namespace batch_model {
struct event {
  int seq = 0;
  std::string body;
};
BOOST_DESCRIBE_STRUCT(event, (), (seq, body))
}  // namespace batch_model

namespace {

using batch_model::event;
using steady = std::chrono::steady_clock;

struct batch_fixture {
  asio::io_context io;
  std::string brokers = test::real_brokers();
  std::string topic = test::unique_name("batches");
  std::string group = test::unique_name("batch");

  asiokafka::broker_options options() {
    asiokafka::broker_options o;
    o.config.bootstrap_servers = brokers;
    o.config.auto_offset_reset = asiokafka::offset_reset::earliest;
    o.graceful_timeout = 10s;
    return o;
  }

  subscriber_options sub(const std::string& name, std::size_t max_records, std::chrono::milliseconds max_wait) {
    subscriber_options s;
    s.name = name;
    s.config.group_id = group;
    s.batch.max_records = max_records;
    s.batch.max_wait = max_wait;
    return s;
  }

  // Writes events seq first..first+n-1, seq i to partition i % partitions; `bad` seqs are
  // written as a payload that is not JSON.
  asio::awaitable<void> fill(int first, int n, int partitions, std::set<int> bad = {}) {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::producer p(ex, test::producer_config(brokers, {{"linger.ms", "5"}, {"enable.idempotence", "true"}}));
    for (int i = first; i < first + n; ++i) {
      const std::string value = bad.count(i) ? "not json " + std::to_string(i)
                                             : asiokafka::json::encode(event{i, "payload-" + std::to_string(i)});
      p.produce(asiokafka::record{topic, i % partitions, std::to_string(i), value, {}, {}});
    }
    co_await p.async_flush(asio::use_awaitable);
    BOOST_REQUIRE_EQUAL(p.failed(), 0u);
  }

  template <class Drive>
  void run_app(broker& app, Drive drive, std::chrono::seconds timeout = 180s) {
    test::run_app(io, app, std::move(drive), timeout);
  }
};

// Batch sizes seen by a handler.
struct batch_sizes {
  std::size_t batches = 0, records = 0, smallest = std::numeric_limits<std::size_t>::max(), largest = 0;
  void add(std::size_t n) {
    ++batches;
    records += n;
    smallest = std::min(smallest, n);
    largest = std::max(largest, n);
  }
  std::size_t mean() const { return batches ? records / batches : 0; }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_batch_subscriber_real_broker, batch_fixture)

// 50,000 records into a sequential batch subscriber and one with max_concurrency 4 (each in
// its own group): every record once, in order per partition, batches within max_records.
BOOST_AUTO_TEST_CASE(every_record_once_in_partition_order_within_batch_bounds) {
  constexpr int n = 50000;
  constexpr int partitions = 4;
  test::create_topic(brokers, topic, partitions);
  broker app(io.get_executor(), options());
  struct observed {
    std::map<int, int> times;  // seq -> times handled
    std::map<std::int32_t, int> last_seq;
    int order_violations = 0;
    int misplaced = 0;         // a record whose partition is not the one it was written to
    int mixed_partitions = 0;  // max_concurrency > 1: batches holding more than one partition
    batch_sizes sizes;
  };
  observed seq_run, conc_run;
  const auto handler = [](observed& o) {
    return [&o](std::vector<event> events, batch_context& ctx) -> asio::awaitable<void> {
      o.sizes.add(events.size());
      std::set<std::int32_t> parts;
      for (std::size_t i = 0; i < events.size(); ++i) {
        const std::int32_t p = ctx.raw(i).partition();
        parts.insert(p);
        if (events[i].seq % partitions != p) ++o.misplaced;
        auto it = o.last_seq.find(p);
        if (it != o.last_seq.end() && it->second >= events[i].seq) ++o.order_violations;
        o.last_seq[p] = events[i].seq;
        ++o.times[events[i].seq];
      }
      if (parts.size() > 1) ++o.mixed_partitions;
      co_return;
    };
  };
  auto s = sub("batch-seq", 500, 100ms);
  s.config.group_id = group + "-seq";
  const auto& seq_stats = app.subscriber<event>({topic}, s, handler(seq_run));
  auto c = sub("batch-conc", 500, 100ms);
  c.config.group_id = group + "-conc";
  c.max_concurrency = 4;
  const auto& conc_stats = app.subscriber<event>({topic}, c, handler(conc_run));
  run_app(app, [&]() -> asio::awaitable<void> {
    co_await fill(0, n, partitions);
    BOOST_REQUIRE(co_await test::wait_until(
        [&] { return seq_run.sizes.records >= std::size_t{n} && conc_run.sizes.records >= std::size_t{n}; }, 120s));
    co_await test::sleep_for(500ms);  // anything handled twice shows up
  });
  for (const auto* o : {&seq_run, &conc_run}) {
    int duplicates = 0;
    for (const auto& [seq, times] : o->times) duplicates += times - 1;
    BOOST_TEST_MESSAGE((o == &seq_run ? "max_concurrency=1" : "max_concurrency=4")
                       << ": " << o->sizes.records << " records in " << o->sizes.batches << " batches, sizes "
                       << o->sizes.smallest << ".." << o->sizes.largest << " (mean " << o->sizes.mean()
                       << "), duplicates " << duplicates << ", order violations " << o->order_violations);
    BOOST_TEST(o->times.size() == std::size_t{n});
    BOOST_TEST(duplicates == 0);
    BOOST_TEST(o->order_violations == 0);
    BOOST_TEST(o->misplaced == 0);
    BOOST_TEST(o->sizes.smallest >= 1u);
    BOOST_TEST(o->sizes.largest <= 500u);
    BOOST_TEST(o->sizes.batches < std::size_t{n} / 10);  // batches, not records one by one
  }
  BOOST_TEST(conc_run.mixed_partitions == 0);  // a lane per partition: each batch is one partition's
  // Statistics count records.
  BOOST_TEST(seq_stats.received == std::uint64_t{n});
  BOOST_TEST(seq_stats.handled == std::uint64_t{n});
  BOOST_TEST(conc_stats.handled == std::uint64_t{n});
  BOOST_TEST(seq_stats.failed == 0u);
}

// A lone record waits for company no longer than max_wait. The handler publishes each batch's
// size through its batch_context.
BOOST_AUTO_TEST_CASE(lone_record_is_handled_within_max_wait) {
  constexpr auto max_wait = 300ms;
  test::create_topic(brokers, topic, 1);
  const auto out = test::unique_name("batch-sizes");
  test::create_topic(brokers, out, 1);
  broker app(io.get_executor(), options());
  std::vector<std::pair<steady::time_point, std::size_t>> calls;  // when, batch size
  app.subscriber<event>({topic}, sub("thin", 500, max_wait),
                        [&](std::vector<event> events, batch_context& ctx) -> asio::awaitable<void> {
                          calls.emplace_back(steady::now(), events.size());
                          const event summary{events.front().seq, std::to_string(ctx.size())};
                          co_await ctx.publish(out, summary);
                        });
  std::vector<message> published;
  std::vector<std::chrono::milliseconds> latencies;
  run_app(app, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asiokafka::producer p(ex, test::producer_config(brokers, {{"linger.ms", "0"}}));
    for (int i = 0; i < 6; ++i) {  // the first one waits for the group to form: not measured
      const std::size_t before = calls.size();
      const std::string value = asiokafka::json::encode(event{i, "lone"});
      const auto sent = steady::now();
      p.produce(asiokafka::record{topic, 0, std::to_string(i), value, {}, {}});
      BOOST_REQUIRE(co_await test::wait_until([&] { return calls.size() > before; }, 60s));
      if (i > 0) latencies.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(calls.back().first - sent));
      co_await test::sleep_for(200ms);
    }
    co_await p.async_flush(asio::use_awaitable);
    published = co_await test::read_partition0(brokers, out, 6);
  });
  for (std::size_t i = 0; i < published.size(); ++i) {
    const auto e = asiokafka::json::decode<event>(published[i].payload());
    BOOST_TEST(e.seq == static_cast<int>(i));
    BOOST_TEST(e.body == "1");
    BOOST_TEST(published[i].header("traceparent").has_value());
    BOOST_TEST(published[i].header("correlation_id").has_value());
  }
  std::string figures;
  for (auto l : latencies) figures += std::to_string(l.count()) + " ";
  BOOST_TEST_MESSAGE("max_wait " << max_wait.count() << " ms: lone records handled after " << figures << "ms");
  BOOST_TEST(calls.size() == 6u);
  for (const auto& [when, size] : calls) BOOST_TEST(size == 1u);
  // Produce -> handler includes the broker's delivery to the consumer: on a loaded CI machine
  // one record of five once took 1,101 ms while the others took 302-307 ms. The window itself
  // is what is bounded: at least four of the five within max_wait + 100 ms, none before
  // max_wait (it did wait for more records).
  std::size_t within = 0;
  for (auto l : latencies) {
    within += l.count() <= (max_wait + 100ms).count();
    BOOST_TEST(l.count() >= max_wait.count());
  }
  BOOST_TEST(latencies.size() == 5u);
  BOOST_TEST(within >= 4u);
}

// One record among 500 cannot be decoded: it alone is dead-lettered, with its own error
// headers, and the handler gets the 499 others.
BOOST_AUTO_TEST_CASE(undecodable_record_is_dead_lettered_alone_and_the_others_handled) {
  constexpr int n = 500;
  constexpr int bad_seq = 250;
  test::create_topic(brokers, topic, 1);
  const auto dlq = test::unique_name("batch-dlq");
  test::create_topic(brokers, dlq, 1);
  broker app(io.get_executor(), options());
  auto s = sub("rejecting", 500, 2s);
  s.ack = ack_policy::reject_on_error;
  s.dead_letter_topic = dlq;
  std::set<int> handled;
  batch_sizes sizes;
  const auto& stats = app.subscriber<event>({topic}, s, [&](std::vector<event> events) -> asio::awaitable<void> {
    sizes.add(events.size());
    for (const auto& e : events) handled.insert(e.seq);
    co_return;
  });
  std::vector<message> dead;
  std::int64_t dlq_records = -1;
  run_app(app, [&]() -> asio::awaitable<void> {
    const std::set<int> bad{bad_seq};
    co_await fill(0, n, 1, bad);
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.handled + stats.decode_failed == n; }, 60s));
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.dead_lettered == 1; }, 30s));
    dead = co_await test::read_partition0(brokers, dlq, 1);
    auto ex = co_await asio::this_coro::executor;
    asiokafka::consumer reader(ex, test::consumer_config(brokers, test::unique_name("dlq-reader")));
    auto wm = co_await reader.async_watermarks(dlq, 0, {10s}, asio::use_awaitable);
    dlq_records = wm.high;
    co_await reader.async_close(asio::use_awaitable);
  });
  BOOST_TEST_MESSAGE("500 records, one undecodable: handler got " << handled.size() << " in " << sizes.batches
                                                                  << " batch(es), dead letters " << dlq_records);
  BOOST_TEST(handled.size() == std::size_t{n - 1});
  BOOST_TEST(!handled.count(bad_seq));
  BOOST_TEST(stats.decode_failed == 1u);
  BOOST_TEST(stats.failed == 0u);
  BOOST_TEST(stats.handled == std::uint64_t{n - 1});
  BOOST_TEST(dlq_records == 1);
  BOOST_REQUIRE(dead.size() == 1u);
  BOOST_TEST(dead[0].payload() == "not json " + std::to_string(bad_seq));
  BOOST_TEST(dead[0].header("x-asiokafka-error-kind").value().value_or("") == "decode");
  BOOST_TEST(dead[0].header("x-asiokafka-original-offset").value().value_or("") == std::to_string(bad_seq));
  BOOST_TEST(dead[0].header("x-asiokafka-subscriber").value().value_or("") == "rejecting");
  std::int64_t committed = 0;
  test::run(io,
            [&]() -> asio::awaitable<void> { committed = co_await test::committed_total(brokers, topic, group, 1); });
  BOOST_TEST(committed == n);  // past the dead letter
}

// nack_on_error: a batch whose handler throws is handled again, whole and in order, then
// succeeds; nothing is dead-lettered or lost.
BOOST_AUTO_TEST_CASE(throwing_batch_with_nack_on_error_is_retried_then_handled) {
  constexpr int n = 300;
  test::create_topic(brokers, topic, 1);
  broker app(io.get_executor(), options());
  auto s = sub("nacking", 100, 200ms);
  s.ack = ack_policy::nack_on_error;
  s.max_retries = 3;
  s.retry_backoff = 20ms;
  std::vector<std::vector<int>> calls;  // the seqs of every call
  std::map<int, int> succeeded;         // seq -> times in a call that returned
  const auto& stats = app.subscriber<event>({topic}, s, [&](std::vector<event> events) -> asio::awaitable<void> {
    std::vector<int> seqs;
    for (const auto& e : events) seqs.push_back(e.seq);
    calls.push_back(seqs);
    if (calls.size() <= 2) {
      const std::string what = "transient failure " + std::to_string(calls.size());
      throw std::runtime_error(what);
    }
    for (int seq : seqs) ++succeeded[seq];
    co_return;
  });
  run_app(app, [&]() -> asio::awaitable<void> {
    co_await fill(0, n, 1);
    BOOST_REQUIRE(co_await test::wait_until([&] { return stats.handled == n; }, 60s));
  });
  BOOST_REQUIRE(calls.size() >= 3u);
  BOOST_TEST_MESSAGE("nack_on_error: first batch of " << calls[0].size() << " records failed twice, then handled; "
                                                      << calls.size() << " calls, retried " << stats.retried
                                                      << " records");
  BOOST_TEST(calls[1] == calls[0]);  // the same batch, in the same order
  BOOST_TEST(calls[2] == calls[0]);
  BOOST_TEST(calls[0].front() == 0);
  BOOST_TEST(succeeded.size() == std::size_t{n});
  for (const auto& [seq, times] : succeeded) BOOST_TEST(times == 1, "seq " << seq << " handled " << times << " times");
  BOOST_TEST(stats.retried == 2 * calls[0].size());
  BOOST_TEST(stats.failed == 0u);
  BOOST_TEST(stats.dead_lettered == 0u);
  std::int64_t committed = 0;
  test::run(io,
            [&]() -> asio::awaitable<void> { committed = co_await test::committed_total(brokers, topic, group, 1); });
  BOOST_TEST(committed == n);
}

// A stop that does not wait for the batches in flight (graceful_timeout 1 ms) in the middle of
// the stream: a batch's offsets are stored only when it is done, so the next run handles every
// record the first did not finish; duplicates are exactly what finished after the commit.
BOOST_AUTO_TEST_CASE(abrupt_stop_mid_stream_loses_nothing) {
  constexpr int n = 20000;
  constexpr int partitions = 4;
  test::create_topic(brokers, topic, partitions);
  std::map<int, int> times;  // seq -> times handled to the end, over both runs
  int first_run = 0;
  {
    auto o = options();
    o.graceful_timeout = 1ms;
    broker app(io.get_executor(), o);
    app.subscriber<event>({topic}, sub("abrupt", 200, 50ms), [&](std::vector<event> events) -> asio::awaitable<void> {
      // Once a third is done, a batch is still in its handler long after the stop.
      const auto pause = first_run >= n / 3 ? 1500ms : 5ms;
      co_await test::sleep_for(pause);
      for (const auto& e : events) ++times[e.seq];
      first_run += static_cast<int>(events.size());
    });
    run_app(app, [&]() -> asio::awaitable<void> {
      co_await fill(0, n, partitions);
      BOOST_REQUIRE(co_await test::wait_until([&] { return first_run >= n / 3; }, 120s));
    });
  }
  std::int64_t committed = 0;
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await test::sleep_for(2s);  // the batch left in its handler finishes (too late: its offsets are not stored)
    committed = co_await test::committed_total(brokers, topic, group, partitions);
  });
  const int finished_by_first = first_run;
  int second_run = 0;
  {
    broker app(io.get_executor(), options());
    app.subscriber<event>({topic}, sub("abrupt", 200, 50ms), [&](std::vector<event> events) -> asio::awaitable<void> {
      for (const auto& e : events) ++times[e.seq];
      second_run += static_cast<int>(events.size());
      co_return;
    });
    run_app(app, [&]() -> asio::awaitable<void> {
      BOOST_REQUIRE(co_await test::wait_until([&] { return static_cast<int>(times.size()) == n; }, 120s));
      co_await test::sleep_for(1s);  // anything redelivered beyond the committed point shows up
    });
  }
  int duplicates = 0;
  for (const auto& [seq, t] : times) duplicates += t - 1;
  const int lost = n - static_cast<int>(times.size());
  BOOST_TEST_MESSAGE("abrupt stop: " << n << " records, first run finished " << finished_by_first << ", committed "
                                     << committed << ", second run " << second_run << ", lost " << lost
                                     << ", duplicated " << duplicates);
  BOOST_TEST(lost == 0);
  BOOST_TEST(committed > 0);
  BOOST_TEST(committed < finished_by_first);  // a batch finished after the stop, uncommitted
  BOOST_TEST(duplicates == finished_by_first - committed);
}

BOOST_AUTO_TEST_SUITE_END()
