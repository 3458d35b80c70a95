// Exactly-once on the real broker: the transactional producer's own operations, and
// consume-transform-produce subscribers whose outputs a read_committed reader sees exactly
// once per input record (handler failures, dead letters, a graceful restart, a rebalance;
// fencing in test_exactly_once_fencing.cpp). Each case prints its counts.
#define BOOST_TEST_MODULE test_exactly_once
#include <boost/test/unit_test.hpp>

#include "eos_fixture.hpp"

#include <atomic>
#include <map>
#include <set>

BOOST_FIXTURE_TEST_SUITE(test_exactly_once_real_broker, eos_fixture)

// The producer's transaction calls: committed records and offsets are seen, aborted ones not.
BOOST_AUTO_TEST_CASE(producer_commits_and_aborts_records_and_offsets) {
  test::create_topic(brokers, out, 1);
  const auto group = test::unique_name("txn-group");
  std::int64_t committed_after_commit = -1, committed_after_abort = -1;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asiokafka::producer p(ex, test::producer_config(brokers, {{"transactional.id", test::unique_name("txn")}}));
        asiokafka::consumer c(ex, test::consumer_config(brokers, group, {{"enable.auto.commit", "false"}}));
        c.subscribe({out});
        co_await p.async_init_transactions(txn_call, asio::use_awaitable);
        // The group metadata sent with the offsets must be of a member that joined (a generation).
        BOOST_REQUIRE(co_await test::wait_until([&] { return !c.assignment().empty(); }, 60s));
        const auto send = [&](int count) {
          for (int i = 0; i < count; ++i) p.produce({out, 0, {}, std::to_string(i), {}, {}});
        };
        // Named, not braced temporaries in the co_await expressions: GCC 12 mis-compiles those.
        const asiokafka::topic_partition_list first{{out, 0, 42}}, second{{out, 0, 77}}, query{{out, 0}};
        p.begin_transaction();
        send(100);
        co_await p.async_send_offsets_to_transaction(first, c, txn_call, asio::use_awaitable);
        co_await p.async_commit_transaction(txn_call, asio::use_awaitable);
        p.begin_transaction();
        send(50);
        co_await p.async_send_offsets_to_transaction(second, c, txn_call, asio::use_awaitable);
        co_await p.async_flush(asio::use_awaitable);  // written, so the abort marks them aborted
        co_await p.async_abort_transaction(txn_call, asio::use_awaitable);
        p.begin_transaction();
        send(10);
        co_await p.async_commit_transaction(txn_call, asio::use_awaitable);
        // A commit with no open transaction is refused, unclassified (a call in the wrong state).
        auto [ec] = co_await p.async_commit_transaction(txn_call, asio::as_tuple(asio::use_awaitable));
        BOOST_TEST_MESSAGE("commit without a transaction: " << ec.message() << " [" << ec.category().name() << "]");
        BOOST_TEST(static_cast<bool>(ec));
        BOOST_TEST(!asiokafka::is_fatal(ec));
        // The aborted records were written before the abort (delivered), then marked aborted.
        BOOST_TEST(p.delivered() == 160u);
        BOOST_TEST(p.failed() == 0u);
        auto committed = co_await c.async_committed(query, {10s}, asio::use_awaitable);
        committed_after_abort = committed.at(0).offset;
        committed_after_commit = 42;
        co_await p.async_close(asio::use_awaitable);
        co_await c.async_close(asio::use_awaitable);
      },
      120s);
  BOOST_TEST(committed_after_abort == committed_after_commit);  // the aborted offsets were not committed
  std::vector<message> committed_records, all_records;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        committed_records = co_await test::read_topic(brokers, out, 1, "read_committed", 110);
        all_records = co_await test::read_topic(brokers, out, 1, "read_uncommitted", 160);
      },
      120s);
  BOOST_TEST_MESSAGE("read_committed " << committed_records.size() << ", read_uncommitted " << all_records.size()
                                       << ", group offset " << committed_after_abort);
  BOOST_TEST(committed_records.size() == 110u);
  BOOST_TEST(all_records.size() == 160u);
}

// The blocking commit runs off the event loop: a 5 ms timer on the same io_context keeps firing
// while a commit that flushes 200,000 records is in flight (counted, not timed: wall-clock
// bounds swing on a shared machine).
BOOST_AUTO_TEST_CASE(event_loop_stays_responsive_while_a_commit_is_in_flight) {
  test::create_topic(brokers, out, 4);
  std::chrono::steady_clock::duration commit_time{}, worst_lateness{};
  int ticks_during_commit = 0;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asiokafka::producer p(
            ex, test::producer_config(brokers, {{"transactional.id", test::unique_name("txn")}, {"linger.ms", "100"}}));
        co_await p.async_init_transactions(txn_call, asio::use_awaitable);
        p.begin_transaction();
        for (int i = 0; i < 200000; ++i) p.produce({out, i % 4, {}, std::string(100, 'x'), {}, {}});
        bool committing = true;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
              asio::steady_timer t(ex);
              auto due = std::chrono::steady_clock::now() + 5ms;
              while (committing) {
                t.expires_at(due);
                co_await t.async_wait(asio::use_awaitable);
                worst_lateness = std::max(worst_lateness, std::chrono::steady_clock::now() - due);
                if (committing) ++ticks_during_commit;
                due += 5ms;
              }
            },
            asio::detached);
        const auto start = std::chrono::steady_clock::now();
        co_await p.async_commit_transaction(txn_call, asio::use_awaitable);
        commit_time = std::chrono::steady_clock::now() - start;
        committing = false;
        BOOST_TEST(p.delivered() == 200000u);
        co_await p.async_close(asio::use_awaitable);
        co_await test::sleep_for(20ms);
      },
      120s);
  const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  BOOST_TEST_MESSAGE("commit of 200,000 records took " << ms(commit_time) << " ms; the 5 ms timer fired "
                                                       << ticks_during_commit << " times meanwhile, worst lateness "
                                                       << ms(worst_lateness) << " ms");
  // A commit blocking the loop would let the timer fire about never while it runs; a loop
  // that serves it fires it a good share of commit_time / 5 ms. Its lateness is the loop's
  // business (delivery reports of 200,000 records are drained meanwhile) and is only printed.
  BOOST_TEST(ticks_during_commit >= std::max<long long>(2, ms(commit_time) / 5 / 4));
  BOOST_TEST(ms(worst_lateness) < ms(commit_time));
}

// A producer whose transactional.id a newer producer registered is fenced: fatal, not hanging.
BOOST_AUTO_TEST_CASE(a_newer_producer_with_the_same_id_fences_the_older) {
  test::create_topic(brokers, out, 1);
  const auto id = test::unique_name("txn");
  error_code older_ec;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        asiokafka::producer older(ex, test::producer_config(brokers, {{"transactional.id", id}}));
        asiokafka::producer newer(ex, test::producer_config(brokers, {{"transactional.id", id}}));
        co_await older.async_init_transactions(txn_call, asio::use_awaitable);
        co_await newer.async_init_transactions(txn_call, asio::use_awaitable);
        older.begin_transaction();
        older.produce({out, 0, {}, "zombie", {}, {}});
        auto [ec] = co_await older.async_commit_transaction(txn_call, asio::as_tuple(asio::use_awaitable));
        older_ec = ec;
        newer.begin_transaction();
        newer.produce({out, 0, {}, "alive", {}, {}});
        co_await newer.async_commit_transaction(txn_call, asio::use_awaitable);
        co_await newer.async_close(asio::use_awaitable);
      },
      120s);
  BOOST_TEST_MESSAGE("the fenced producer's commit: " << older_ec.message() << " [" << older_ec.category().name()
                                                      << "]");
  BOOST_TEST(asiokafka::is_fatal(older_ec));
}

// Consume-transform-produce over a graceful restart in the middle of the stream.
BOOST_AUTO_TEST_CASE(each_input_record_is_transformed_exactly_once_across_a_restart) {
  constexpr int n = 20000, partitions = 4;
  test::create_topic(brokers, in, partitions);
  test::create_topic(brokers, out, partitions);
  const auto group = test::unique_name("eos");
  auto opts = options();
  std::atomic<int> handled{0};
  std::uint64_t committed_transactions = 0;
  for (int run = 0; run < 2; ++run) {
    broker app(io.get_executor(), opts);
    auto s = exactly_once("transform", group);
    s.max_concurrency = 4;
    const auto& stats =
        app.subscriber<eos_model::event>({in}, s, [&](eos_model::event e, context& ctx) -> asio::awaitable<void> {
          co_await transform(out, e, ctx);
          ++handled;
        });
    test::run_app(
        io, app,
        [&]() -> asio::awaitable<void> {
          if (run == 0) {
            co_await fill(0, n, partitions);
            BOOST_REQUIRE(co_await test::wait_until([&] { return handled >= n / 2; }, 120s));
          } else {
            BOOST_REQUIRE(
                co_await test::wait_until([&] { return stats.transactions_committed > 0 && handled >= n; }, 120s));
            co_await test::sleep_for(1s);
          }
        },
        240s);
    committed_transactions += stats.transactions_committed;
  }
  const auto c = committed_output(n, partitions);
  BOOST_TEST_MESSAGE("20,000 records over a graceful restart: handled "
                     << handled << " times, " << committed_transactions
                     << " transactions committed; read_committed output: " << c);
  BOOST_TEST(c.exactly_once());
  BOOST_TEST(c.distinct == static_cast<std::size_t>(n));
}

// nack_on_error in a transaction: the failed attempt's outputs are aborted with the transaction
// and the batch is handled again; a read_uncommitted reader sees the aborted outputs.
BOOST_AUTO_TEST_CASE(a_throwing_handler_aborts_the_transaction_and_the_batch_is_handled_again) {
  constexpr int n = 5000, partitions = 2;
  test::create_topic(brokers, in, partitions);
  test::create_topic(brokers, out, partitions);
  broker app(io.get_executor(), options());
  auto s = exactly_once("retrying", test::unique_name("eos"));
  s.ack = ack_policy::nack_on_error;
  s.retry_backoff = 10ms;
  std::set<int> thrown;
  std::atomic<int> handled{0};
  const auto& stats =
      app.subscriber<eos_model::event>({in}, s, [&](eos_model::event e, context& ctx) -> asio::awaitable<void> {
        co_await transform(out, e, ctx);  // published, then the handler fails: the output must vanish
        if (e.seq % 1000 == 500 && thrown.insert(e.seq).second) throw std::runtime_error("once");
        ++handled;
      });
  test::run_app(
      io, app,
      [&]() -> asio::awaitable<void> {
        co_await fill(0, n, partitions);
        BOOST_REQUIRE(co_await test::wait_until([&] { return handled >= n; }, 120s));
        co_await test::sleep_for(1s);
      },
      240s);
  const auto c = committed_output(n, partitions);
  const auto all = uncommitted_records(n, partitions);
  BOOST_TEST_MESSAGE(thrown.size() << " failures: " << stats.transactions_aborted << " transactions aborted, "
                                   << stats.transactions_committed << " committed, retried " << stats.retried
                                   << "; read_uncommitted sees " << all << " records, read_committed: " << c);
  BOOST_TEST(thrown.size() == 5u);
  BOOST_TEST(stats.retried == 5u);
  // Failures in one transaction abort it once: each abort took one or more of them.
  BOOST_TEST(stats.transactions_aborted >= 1u);
  BOOST_TEST(stats.transactions_aborted <= 5u);
  BOOST_TEST(stats.failed == 0u);
  BOOST_TEST(all > static_cast<std::size_t>(n));  // the aborted outputs are in the log
  BOOST_TEST(c.exactly_once());
  BOOST_TEST(c.distinct == static_cast<std::size_t>(n));
}

// reject_on_error in a transaction: the dead letter commits with the transaction, once.
BOOST_AUTO_TEST_CASE(dead_letters_commit_with_the_transaction) {
  constexpr int n = 5000, partitions = 2;
  test::create_topic(brokers, in, partitions);
  test::create_topic(brokers, out, partitions);
  const auto dlq = test::unique_name("eos-dlq");
  test::create_topic(brokers, dlq, 1);
  broker app(io.get_executor(), options());
  auto s = exactly_once("rejecting", test::unique_name("eos"));
  s.ack = ack_policy::reject_on_error;
  s.dead_letter_topic = dlq;
  const auto& stats =
      app.subscriber<eos_model::event>({in}, s, [&](eos_model::event e, context& ctx) -> asio::awaitable<void> {
        if (e.seq % 100 == 0) throw std::runtime_error("bad event");
        co_await transform(out, e, ctx);
      });
  test::run_app(
      io, app,
      [&]() -> asio::awaitable<void> {
        co_await fill(0, n, partitions);
        BOOST_REQUIRE(co_await test::wait_until([&] { return stats.handled + stats.failed >= n; }, 120s));
        co_await test::sleep_for(1s);
      },
      240s);
  std::vector<message> dead;
  test::run(
      io,
      [&]() -> asio::awaitable<void> { dead = co_await test::read_topic(brokers, dlq, 1, "read_committed", n / 100); },
      120s);
  const auto dc = test::count_sequences(dead, n, [](const message& m) { return *m.key(); });
  std::vector<message> outputs;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        outputs = co_await test::read_topic(brokers, out, partitions, "read_committed", n - n / 100);
      },
      120s);
  const auto oc = test::count_payload_sequences(outputs, n);
  BOOST_TEST_MESSAGE("dead letters (read_committed): " << dc << "; outputs: " << oc);
  BOOST_TEST(dc.distinct == static_cast<std::size_t>(n / 100));
  BOOST_TEST(dc.duplicated == 0u);
  BOOST_TEST(stats.dead_lettered == static_cast<std::uint64_t>(n / 100));
  BOOST_TEST(oc.distinct == static_cast<std::size_t>(n - n / 100));
  BOOST_TEST(oc.duplicated == 0u);
  BOOST_TEST(oc.lost == static_cast<std::size_t>(n / 100));  // exactly the dead-lettered ones
}

// A second member joins, then leaves, while records flow: the open transaction commits before
// partitions change hands, so the output holds each record once.
BOOST_AUTO_TEST_CASE(a_rebalance_mid_stream_loses_and_duplicates_nothing) {
  constexpr int n = 20000, partitions = 4;
  test::create_topic(brokers, in, partitions);
  test::create_topic(brokers, out, partitions);
  const auto group = test::unique_name("eos");
  std::atomic<int> handled_a{0}, handled_b{0};
  // About 1,000 records/s per member: the stream is still flowing when b joins and leaves.
  auto slow_transform = [&](std::atomic<int>& counter) {
    return [&](eos_model::event e, context& ctx) -> asio::awaitable<void> {
      co_await transform(out, e, ctx);
      co_await test::sleep_for(1ms);
      ++counter;
    };
  };
  broker a(io.get_executor(), options("pod-a"));
  const auto& stats_a =
      a.subscriber<eos_model::event>({in}, exactly_once("transform", group), slow_transform(handled_a));
  std::uint64_t b_committed = 0;
  test::run_app(
      io, a,
      [&]() -> asio::awaitable<void> {
        co_await fill(0, n / 2, partitions);
        BOOST_REQUIRE(co_await test::wait_until([&] { return handled_a >= n / 10; }, 120s));
        {
          broker b(io.get_executor(), options("pod-b"));
          const auto& stats_b =
              b.subscriber<eos_model::event>({in}, exactly_once("transform", group), slow_transform(handled_b));
          bool b_done = false;
          error_code b_result;
          asio::co_spawn(
              io,
              [&]() -> asio::awaitable<void> {
                auto [ec] = co_await b.async_run(asio::as_tuple(asio::use_awaitable));
                b_result = ec;
                b_done = true;
              },
              asio::detached);
          BOOST_REQUIRE(co_await test::wait_until(
              [&] {
                const auto h = b.health();
                return !h.subscribers.empty() && h.subscribers.front().assigned_partitions > 0;
              },
              120s));
          co_await fill(n / 2, n, partitions);
          BOOST_REQUIRE(co_await test::wait_until([&] { return handled_b >= 1000; }, 120s));
          b.stop();  // leaves mid-stream
          BOOST_REQUIRE(co_await test::wait_until([&] { return b_done; }, 60s));
          BOOST_TEST(!b_result);
          b_committed = stats_b.transactions_committed;
        }
        BOOST_REQUIRE(co_await test::wait_until([&] { return handled_a + handled_b >= n; }, 180s));
        co_await test::sleep_for(1s);
      },
      400s);
  BOOST_TEST(handled_a + handled_b >= n);  // some records of b's uncommitted work are handled twice
  const auto c = committed_output(n, partitions);
  BOOST_TEST_MESSAGE("member a handled " << handled_a << " (" << stats_a.transactions_committed
                                         << " transactions), member b handled " << handled_b << " (" << b_committed
                                         << " transactions) before leaving; read_committed output: " << c);
  BOOST_TEST(handled_b > 0);
  BOOST_TEST(c.exactly_once());
  BOOST_TEST(c.distinct == static_cast<std::size_t>(n));
}

// A record the producer refuses (no such partition) never joins the transaction: the
// transaction aborts instead of committing the input without its output, and the record is
// handled again.
BOOST_AUTO_TEST_CASE(a_refused_output_aborts_the_transaction_instead_of_losing_it) {
  constexpr int n = 2000, partitions = 2;
  test::create_topic(brokers, in, partitions);
  test::create_topic(brokers, out, partitions);
  broker app(io.get_executor(), options());
  bool refused_once = false;
  std::atomic<int> handled{0};
  const auto& stats = app.subscriber<eos_model::event>({in}, exactly_once("refused", test::unique_name("eos")),
                                                       [&](eos_model::event e, context& ctx) -> asio::awaitable<void> {
                                                         if (e.seq == 777 && !refused_once) {
                                                           refused_once = true;
                                                           asiokafka::publish_options po;
                                                           po.partition = 99;  // the output topic has 2
                                                           const std::string value = std::to_string(e.seq);
                                                           co_await ctx.publish(out, value, po);
                                                         } else {
                                                           co_await transform(out, e, ctx);
                                                         }
                                                         ++handled;
                                                       });
  test::run_app(
      io, app,
      [&]() -> asio::awaitable<void> {
        co_await fill(0, n, partitions);
        BOOST_REQUIRE(co_await test::wait_until([&] { return handled >= n + 1; }, 120s));
        co_await test::sleep_for(1s);
      },
      240s);
  const auto c = committed_output(n, partitions);
  BOOST_TEST_MESSAGE("one refused output: " << stats.transactions_aborted << " transaction(s) aborted, "
                                            << stats.transactions_committed << " committed; read_committed: " << c);
  BOOST_TEST(refused_once);
  BOOST_TEST(stats.transactions_aborted >= 1u);
  BOOST_TEST(c.exactly_once());
  BOOST_TEST(c.distinct == static_cast<std::size_t>(n));
}

BOOST_AUTO_TEST_SUITE_END()
