// Fencing of an exactly-once subscriber on the real broker, each order forced from the test:
// its transactional producer fenced while a transaction is open (a producer with the same
// transactional.id initialises transactions while a handler holds the transaction open), its
// consumer fenced while a transaction is open (a consumer with the same group.instance.id
// joins), an idle instance fenced by a newer one, and a busy one fenced by a newer one (a
// copied POD_NAME). Each time the older instance stops with a fatal error within the bound,
// health() names what failed, the read_committed output holds every input exactly once once a
// newer instance has carried on, and the time from the fence to the stop is printed.
//
// The bound: the fence is noticed at the consumer's next heartbeat (heartbeat.interval.ms,
// 3 s), the producer's next request or, idle, its next fence check (5 s here); the stop then
// takes at most graceful_timeout for running handlers, an abort (flush + abort, each within
// call_timeout) when only the consumer failed, and graceful_timeout for a revoke: here
// 5 + 10 + 10 + 5 s, plus the detection.
#define BOOST_TEST_MODULE test_exactly_once_fencing
#include <boost/test/unit_test.hpp>

#include <asiokafka/admin.hpp>

#include "eos_fixture.hpp"
#include "fault_support.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>

namespace {

constexpr auto stop_bound = 40s;

using clock_type = std::chrono::steady_clock;

double seconds_between(clock_type::time_point from, clock_type::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// Holds the handling of one record (its transaction stays open) until released.
struct handler_latch {
  std::atomic<bool> holding{false};
  std::atomic<bool> released{false};
  asio::awaitable<void> hold() {
    holding = true;
    co_await test::wait_until([&] { return released.load(); }, 300s);
  }
};

struct fencing_fixture : eos_fixture {
  std::string transactional_id = test::unique_name("fenced-txn");
  std::string instance_id = test::unique_name("fenced-pod");
  std::string group = test::unique_name("fenced");
  test::log_capture older_log;

  asiokafka::broker_options older_options() {
    auto o = options();
    o.graceful_timeout = 5s;
    o.log = older_log.sink();
    return o;
  }

  // Both instances' subscriber: the same transactional.id and group.instance.id.
  subscriber_options pod() {
    auto s = exactly_once("transform", group);
    s.config.transactional_id = transactional_id;
    s.config.group_instance_id = instance_id;
    s.transaction.call_timeout = 10s;
    return s;
  }

  // One instance of the application run to its end on `io`: async_run's result and when it
  // completed.
  struct instance {
    broker app;
    error_code result;
    std::atomic<bool> done{false};
    clock_type::time_point ended{};
    instance(asio::io_context& io, asiokafka::broker_options o) : app(io.get_executor(), std::move(o)) {}
    void start(asio::io_context& io) {
      asio::co_spawn(
          io,
          [this]() -> asio::awaitable<void> {
            auto [ec] = co_await app.async_run(asio::as_tuple(asio::use_awaitable));
            result = ec;
            ended = clock_type::now();
            done = true;
          },
          asio::detached);
    }
  };

  // The older instance's subscriber on 1-partition topics: the handling of record 50 holds
  // its transaction open (only the fence ends it) until `latch` is released.
  const asiokafka::subscriber_stats& add_held_subscriber(instance& older, handler_latch& latch,
                                                         std::atomic<int>& handled) {
    test::create_topic(brokers, in, 1);
    test::create_topic(brokers, out, 1);
    auto s = pod();
    s.transaction.max_time = 120s;
    return older.app.subscriber<eos_model::event>({in}, s,
                                                  [&](eos_model::event e, context& ctx) -> asio::awaitable<void> {
                                                    co_await transform(out, e, ctx);
                                                    if (e.seq == 50 && !latch.holding) co_await latch.hold();
                                                    ++handled;
                                                  });
  }

  // Starts the older instance, writes n input records and waits until record 50 is held.
  asio::awaitable<void> start_and_hold(instance& older, handler_latch& latch, int n) {
    older.start(io);
    co_await fill(0, n, 1);
    BOOST_REQUIRE(co_await test::wait_until([&] { return latch.holding.load(); }, 120s));
  }

  // A newer instance handles whatever the older left until `n` records were handled in all,
  // then stops; the read_committed output must hold each of the n inputs exactly once.
  void carry_on_and_check(int n, std::atomic<int>& handled, const char* scenario, double stop_s, const instance& older,
                          subscriber_options newer_options) {
    instance newer(io, options());
    newer.app.subscriber<eos_model::event>({in}, newer_options,
                                           [&](eos_model::event e, context& ctx) -> asio::awaitable<void> {
                                             co_await transform(out, e, ctx);
                                             ++handled;
                                           });
    test::run(
        io,
        [&]() -> asio::awaitable<void> {
          newer.start(io);
          co_await handle_all_then_stop(newer, handled, n);
        },
        300s);
    report_and_check(scenario, stop_s, older, newer, n);
  }

  // True once `group` committed the end of each of the input's `partitions` (false after
  // `timeout`): every input record was handled in a committed transaction.
  asio::awaitable<bool> all_committed(int partitions, std::chrono::seconds timeout) {
    asiokafka::admin a(co_await asio::this_coro::executor, test::producer_config(brokers));
    const auto deadline = clock_type::now() + timeout;
    while (clock_type::now() < deadline) {
      auto [ec, lags] =
          co_await a.async_group_lag(group, asiokafka::call_options{10s}, asio::as_tuple(asio::use_awaitable));
      const bool done = !ec && lags.size() == static_cast<std::size_t>(partitions) &&
                        std::all_of(lags.begin(), lags.end(), [](const auto& l) { return !l.error && l.lag == 0; });
      if (done) co_return true;
      co_await test::sleep_for(500ms);
    }
    co_return false;
  }

  // Waits until n records were handled, then stops `newer`.
  asio::awaitable<void> handle_all_then_stop(instance& newer, std::atomic<int>& handled, int n) {
    BOOST_REQUIRE(co_await test::wait_until([&] { return handled >= n; }, 120s));
    co_await test::sleep_for(1s);
    newer.app.stop();
    BOOST_REQUIRE(co_await test::wait_until([&] { return newer.done.load(); }, 60s));
  }

  // Prints the scenario's figures; the older ended fatally, the newer cleanly, and the
  // read_committed output holds each of the n inputs once.
  void report_and_check(const char* scenario, double stop_s, const instance& older, const instance& newer, int n) {
    const auto health = older.app.health();
    const auto c = committed_output(n, 1);
    test::print_report_line(
        "exactly-once fencing, %s: the older stopped %.2f s after the fence with \"%s\"; "
        "read_committed output: %zu distinct of %d, %zu duplicated",
        scenario, stop_s, health.subscribers.at(0).fatal_error.c_str(), c.distinct, n, c.duplicated);
    BOOST_TEST(asiokafka::is_fatal(older.result), older.result.message());
    BOOST_TEST(!health.subscribers.at(0).fatal_error.empty());
    BOOST_TEST(!newer.result);
    BOOST_TEST(c.exactly_once());
    BOOST_TEST(c.distinct == static_cast<std::size_t>(n));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_exactly_once_fencing_real_broker, fencing_fixture)

// A producer with the subscriber's transactional.id initialises transactions while a handler
// holds the subscriber's transaction open: the coordinator aborts it and bumps the epoch; the
// subscriber's next produce is refused as fenced, a fatal error of its producer that it learns
// between transaction calls.
BOOST_AUTO_TEST_CASE(a_producer_fenced_while_its_transaction_is_open_stops_within_the_bound) {
  constexpr int n = 300;
  handler_latch latch;
  std::atomic<int> handled{0};
  instance older(io, older_options());
  const auto& older_stats = add_held_subscriber(older, latch, handled);
  clock_type::time_point fenced{};
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        co_await start_and_hold(older, latch, n);
        auto ex = co_await asio::this_coro::executor;  // apart: GCC 12 mis-compiles literals beside a co_await
        asiokafka::producer fencer(ex, test::producer_config(brokers, {{"transactional.id", transactional_id}}));
        auto [ec] = co_await fencer.async_init_transactions({30s}, asio::as_tuple(asio::use_awaitable));
        BOOST_REQUIRE_MESSAGE(!ec, "the fencing producer's init: " << ec.message());
        fenced = clock_type::now();
        latch.released = true;
        const bool stopped = co_await test::wait_until([&] { return older.done.load(); }, stop_bound);
        BOOST_REQUIRE_MESSAGE(stopped, "the fenced instance still runs " << stop_bound.count() << " s after the fence");
        co_await fencer.async_close(asio::as_tuple(asio::use_awaitable));
      },
      300s);
  const double stop_s = seconds_between(fenced, older.ended);
  BOOST_TEST(older.app.health().subscribers.at(0).fatal_error.find("transactional producer") != std::string::npos,
             older.app.health().subscribers.at(0).fatal_error);
  BOOST_TEST(older_stats.transactions_committed == 0u);
  handled = 0;  // the older committed nothing: the newer handles every record
  carry_on_and_check(n, handled, "producer fenced, transaction open", stop_s, older, pod());
}

// A consumer with the subscriber's group.instance.id joins while a handler holds the
// subscriber's transaction open: the coordinator gives it the member's place, the subscriber's
// consumer is fenced at its next heartbeat (a fatal error), the open transaction aborts and
// nothing of it is committed.
BOOST_AUTO_TEST_CASE(a_consumer_fenced_while_its_transaction_is_open_aborts_it_and_stops_within_the_bound) {
  constexpr int n = 300;
  handler_latch latch;
  std::atomic<int> handled{0};
  instance older(io, older_options());
  const auto& older_stats = add_held_subscriber(older, latch, handled);
  clock_type::time_point fenced{};
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        co_await start_and_hold(older, latch, n);
        // It only takes the member's place: it receives nothing and commits nothing, the records
        // are the newer instance's to handle.
        auto ex = co_await asio::this_coro::executor;
        bool assigned = false;
        asiokafka::consumer_options hooks;
        hooks.hooks.on_assigned = [&](const asiokafka::topic_partition_list&) -> asio::awaitable<void> {
          assigned = true;
          co_return;
        };
        asiokafka::consumer fencer(ex,
                                   test::consumer_config(brokers, group,
                                                         {{"group.instance.id", instance_id},
                                                          {"session.timeout.ms", "6000"},
                                                          {"heartbeat.interval.ms", "1000"},
                                                          {"enable.auto.commit", "false"},
                                                          {"enable.auto.offset.store", "false"}}),
                                   std::move(hooks));
        fencer.subscribe({in});
        BOOST_REQUIRE_MESSAGE(co_await test::wait_until([&] { return assigned; }, 60s),
                              "the fencing consumer was not assigned the partition");
        fenced = clock_type::now();  // it holds the member's place
        // The handler goes on once the older knows: the stop does not wait for it.
        BOOST_REQUIRE(co_await test::wait_until([&] { return older_log.contains("failed fatally"); }, stop_bound));
        latch.released = true;
        const bool stopped = co_await test::wait_until([&] { return older.done.load(); }, stop_bound);
        BOOST_REQUIRE_MESSAGE(stopped, "the fenced instance still runs " << stop_bound.count() << " s after the fence");
        co_await fencer.async_close(asio::as_tuple(asio::use_awaitable));
      },
      300s);
  const double stop_s = seconds_between(fenced, older.ended);
  BOOST_TEST(older.app.health().subscribers.at(0).fatal_error.find("consumer") != std::string::npos,
             older.app.health().subscribers.at(0).fatal_error);
  BOOST_TEST(older_stats.transactions_committed == 0u);
  BOOST_TEST(older_log.contains("transaction aborted"));
  handled = 0;
  // The newer instance joins as another member: the fencing consumer's place is its own until
  // its session ends (6 s), then the group gives the partition to the newer.
  auto newer_options = pod();
  newer_options.config.group_instance_id = instance_id + "-newer";
  carry_on_and_check(n, handled, "consumer fenced, transaction open", stop_s, older, newer_options);
}

// An instance with nothing to do (every record handled and committed) is fenced by a newer one
// with the same ids: it notices through its consumer's fatal error, not by waiting for a record
// that never comes.
BOOST_AUTO_TEST_CASE(an_idle_instance_fenced_by_a_newer_one_stops_within_the_bound) {
  constexpr int n = 400;
  test::create_topic(brokers, in, 1);
  test::create_topic(brokers, out, 1);
  std::atomic<int> handled{0};
  auto handler = [&](eos_model::event e, context& ctx) -> asio::awaitable<void> {
    co_await transform(out, e, ctx);
    ++handled;
  };
  instance older(io, older_options());
  const auto& older_stats = older.app.subscriber<eos_model::event>({in}, pod(), handler);
  instance newer(io, options());
  newer.app.subscriber<eos_model::event>({in}, pod(), handler);
  clock_type::time_point fenced{};
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        older.start(io);
        co_await fill(0, n / 2, 1);
        BOOST_REQUIRE(co_await test::wait_until([&] { return handled >= n / 2; }, 120s));
        BOOST_REQUIRE(co_await test::wait_until([&] { return older_stats.transactions_committed > 0; }, 30s));
        co_await test::sleep_for(2s);  // idle: every transaction (max_time 50 ms) ended, no record comes
        fenced = clock_type::now();
        newer.start(io);
        const bool stopped = co_await test::wait_until([&] { return older.done.load(); }, stop_bound);
        BOOST_REQUIRE_MESSAGE(
            stopped, "the idle fenced instance still runs " << stop_bound.count() << " s after the newer started");
        co_await fill(n / 2, n, 1);
        co_await handle_all_then_stop(newer, handled, n);
      },
      400s);
  report_and_check("idle instance, fenced by a newer one", seconds_between(fenced, older.ended), older, newer, n);
}

// An instance with nothing to do and no group.instance.id: only its producer is fenced (a
// producer with its transactional.id initialises transactions), its consumer stays a member
// and no record comes. Its producer would learn it only from a next request: the subscriber's
// fence check (transaction_options::fence_check_interval, 5 s here) makes one.
BOOST_AUTO_TEST_CASE(an_idle_instance_whose_producer_alone_is_fenced_stops_at_its_next_fence_check) {
  constexpr int n = 200;
  test::create_topic(brokers, in, 1);
  test::create_topic(brokers, out, 1);
  std::atomic<int> handled{0};
  auto s = pod();
  s.config.group_instance_id.reset();  // dynamic membership: the consumer is never fenced
  s.transaction.fence_check_interval = 5s;
  instance older(io, older_options());
  const auto& older_stats =
      older.app.subscriber<eos_model::event>({in}, s, [&](eos_model::event e, context& ctx) -> asio::awaitable<void> {
        co_await transform(out, e, ctx);
        ++handled;
      });
  clock_type::time_point fenced{};
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        older.start(io);
        co_await fill(0, n / 2, 1);
        BOOST_REQUIRE(co_await test::wait_until([&] { return handled >= n / 2; }, 120s));
        BOOST_REQUIRE(co_await test::wait_until([&] { return older_stats.transactions_committed > 0; }, 30s));
        co_await test::sleep_for(1s);  // idle
        auto ex = co_await asio::this_coro::executor;
        asiokafka::producer fencer(ex, test::producer_config(brokers, {{"transactional.id", transactional_id}}));
        auto [ec] = co_await fencer.async_init_transactions({30s}, asio::as_tuple(asio::use_awaitable));
        BOOST_REQUIRE_MESSAGE(!ec, "the fencing producer's init: " << ec.message());
        fenced = clock_type::now();
        const bool stopped = co_await test::wait_until([&] { return older.done.load(); }, stop_bound);
        BOOST_REQUIRE_MESSAGE(stopped, "the fenced instance still runs " << stop_bound.count() << " s after the fence");
        co_await fencer.async_close(asio::as_tuple(asio::use_awaitable));
      },
      300s);
  // The check's AddOffsetsToTxn is refused: the producer's fatal error event or the check's
  // result, whichever the runner sees first, names the producer.
  BOOST_TEST(older.app.health().subscribers.at(0).fatal_error.find("transactional producer") != std::string::npos,
             older.app.health().subscribers.at(0).fatal_error);
  handled = n / 2;  // the older committed the first half
  const double stop_s = seconds_between(fenced, older.ended);
  instance newer(io, options());
  newer.app.subscriber<eos_model::event>({in}, s, [&](eos_model::event e, context& ctx) -> asio::awaitable<void> {
    co_await transform(out, e, ctx);
    ++handled;
  });
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        newer.start(io);
        co_await fill(n / 2, n, 1);
        co_await handle_all_then_stop(newer, handled, n);
      },
      300s);
  report_and_check("idle instance, producer alone fenced", stop_s, older, newer, n);
}

// Two instances given the same transactional.id (a copied POD_NAME; no group.instance.id, so
// the newer joins as another member and the partitions are shared): the newer fences the
// older's producer in the middle of a stream. The older learns it at its next transaction, or,
// when it has nothing left to handle, at its next fence check; it stops with a fatal error
// within the bound and the output stays exactly-once.
BOOST_AUTO_TEST_CASE(a_second_instance_with_the_same_transactional_id_fences_the_first) {
  constexpr int n = 6000, partitions = 2;
  test::create_topic(brokers, in, partitions);
  test::create_topic(brokers, out, partitions);
  auto opts = options("shared-pod");  // one base for both: the same derived transactional.id
  opts.graceful_timeout = 5s;         // the bound's terms, as in the other cases
  auto sub = exactly_once("transform", group);
  sub.transaction.call_timeout = 10s;
  sub.transaction.fence_check_interval = 5s;
  std::atomic<int> handled{0};
  auto handler = [&](eos_model::event e, context& ctx) -> asio::awaitable<void> {
    co_await transform(out, e, ctx);
    ++handled;
  };
  broker older(io.get_executor(), opts);
  const auto& older_stats = older.subscriber<eos_model::event>({in}, sub, handler);
  broker newer(io.get_executor(), opts);
  const auto& newer_stats = newer.subscriber<eos_model::event>({in}, sub, handler);
  error_code older_result, newer_result;
  bool older_done = false, newer_done = false;
  clock_type::time_point newer_started{}, older_ended{};
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              auto [ec] = co_await older.async_run(asio::as_tuple(asio::use_awaitable));
              older_result = ec;
              older_ended = clock_type::now();
              older_done = true;
            },
            asio::detached);
        co_await fill(0, n / 2, partitions);
        BOOST_REQUIRE(co_await test::wait_until([&] { return older_stats.transactions_committed > 0; }, 120s));
        newer_started = clock_type::now();
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              auto [ec] = co_await newer.async_run(asio::as_tuple(asio::use_awaitable));
              newer_result = ec;
              newer_done = true;
            },
            asio::detached);
        co_await fill(n / 2, n, partitions);
        const bool stopped = co_await test::wait_until([&] { return older_done; }, stop_bound);
        BOOST_REQUIRE_MESSAGE(stopped,
                              "the fenced instance still runs " << stop_bound.count() << " s after the newer started");
        // Not `handled >= n`: the older's handling of records whose transaction was fenced counts
        // there too. Done is when the group committed every input record.
        const bool committed = co_await all_committed(partitions, 120s);
        BOOST_REQUIRE_MESSAGE(committed, "the group did not commit every input record");
        co_await test::sleep_for(1s);
        newer.stop();
        BOOST_REQUIRE(co_await test::wait_until([&] { return newer_done; }, 60s));
      },
      400s);
  const auto health = older.health();
  const auto c = committed_output(n, partitions);
  BOOST_TEST_MESSAGE("older instance ended with: " << older_result.message() << " [" << older_result.category().name()
                                                   << "], health: \"" << health.subscribers.at(0).fatal_error
                                                   << "\"); newer committed " << newer_stats.transactions_committed
                                                   << " transactions; read_committed output: " << c);
  test::print_report_line(
      "exactly-once fencing, busy instance: the older stopped %.2f s after the newer started "
      "with \"%s\"; read_committed output: %zu distinct of %d, %zu duplicated",
      seconds_between(newer_started, older_ended), health.subscribers.at(0).fatal_error.c_str(), c.distinct, n,
      c.duplicated);
  BOOST_TEST(asiokafka::is_fatal(older_result));
  BOOST_TEST(!health.subscribers.at(0).fatal_error.empty());
  BOOST_TEST(!newer_result);
  BOOST_TEST(c.exactly_once());
  BOOST_TEST(c.distinct == static_cast<std::size_t>(n));
}

BOOST_AUTO_TEST_SUITE_END()
