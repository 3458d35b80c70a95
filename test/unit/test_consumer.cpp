#define BOOST_TEST_MODULE test_consumer
#include <boost/test/unit_test.hpp>

#include <asiokafka/cancel_after.hpp>
#include <asiokafka/consumer.hpp>
#include <asiokafka/message_stream.hpp>
#include <asiokafka/producer.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/version.hpp>
#if BOOST_VERSION >= 108200
#include <boost/asio/bind_immediate_executor.hpp>
#endif
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using asiokafka::consumer;
using asiokafka::error_code;
using asiokafka::message;
using asiokafka::producer;
using asiokafka::record;
using asiokafka::topic_partition_list;
namespace test = asiokafka::test;

namespace {

struct cluster_fixture {
  asiokafka::testing::embedded_kafka kafka;
  asio::io_context io;
  std::string topic = test::unique_name("t");
  std::string group = test::unique_name("g");

  cluster_fixture() { kafka.create_topic(topic, 1); }

  consumer make_consumer(test::raw_config raw = {}) {
    return consumer(io.get_executor(), test::consumer_config(kafka.bootstrap_servers(), group, std::move(raw)));
  }

  // Produces `n` records "v<i>" with key "k<i>" and one header; returns when all are delivered.
  asio::awaitable<void> produce(int n, int first = 0, test::raw_config raw = {}) {
    producer p(co_await asio::this_coro::executor, test::producer_config(kafka.bootstrap_servers(), std::move(raw)));
    for (int i = first; i < first + n; ++i) {
      record r{topic, 0, "k" + std::to_string(i), "v" + std::to_string(i), {{"h", "x" + std::to_string(i)}}, {}};
      p.produce(std::move(r));
    }
    co_await p.async_flush(asio::use_awaitable);
    BOOST_REQUIRE_EQUAL(p.failed(), 0u);
  }

  // Commits the stored offsets, then reads back the group's committed offset of partition 0.
  asio::awaitable<std::int64_t> commit_and_read(consumer& c) {
    co_await c.async_commit(asio::use_awaitable);
    topic_partition_list query{{topic, 0}};  // a local: GCC 12 miscompiles init-lists inside co_await
    auto parts = co_await c.async_committed(std::move(query), {5s}, asio::use_awaitable);
    co_return parts.at(0).offset;
  }

  // Waits (up to 5 s) until the consumer's local buffer holds `n` messages.
  asio::awaitable<void> wait_buffered(consumer& c, std::size_t n) {
    asio::steady_timer pause(co_await asio::this_coro::executor);
    for (int i = 0; i < 500 && c.buffered() < n; ++i) {
      pause.expires_after(10ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
  }

  // Manual assignment from the beginning: no group join (the mock answers JoinGroup after ~3 s).
  void assign_from_start(consumer& c) { c.assign({{topic, 0, asiokafka::offsets::beginning}}); }
};

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_consumer, cluster_fixture)

BOOST_AUTO_TEST_CASE(receive_returns_records_in_order_with_metadata) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(20);
    auto c = make_consumer();
    assign_from_start(c);
    for (int i = 0; i < 20; ++i) {
      message m = co_await c.async_receive(asio::use_awaitable);
      BOOST_TEST(m.topic() == topic);
      BOOST_TEST(m.partition() == 0);
      BOOST_TEST(m.offset() == i);
      BOOST_TEST(m.payload() == "v" + std::to_string(i));
      BOOST_TEST(m.key().value() == "k" + std::to_string(i));
      BOOST_TEST(m.header("h").value().value() == "x" + std::to_string(i));
      BOOST_TEST(!m.header("missing").has_value());
      BOOST_TEST(m.headers().size() == 1u);
      BOOST_TEST(!m.error());
      BOOST_TEST((m.timestamp().type == asiokafka::timestamp_type::create_time));
    }
    co_await c.async_close(asio::use_awaitable);
  });
}

BOOST_AUTO_TEST_CASE(receive_subscribed_joins_group_and_gets_records) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(5);
    int assigned = 0;
    asiokafka::consumer_options opts;
    opts.hooks.on_assigned = [&](const topic_partition_list& parts) -> asio::awaitable<void> {
      assigned += static_cast<int>(parts.size());
      co_return;
    };
    consumer c(io.get_executor(), test::consumer_config(kafka.bootstrap_servers(), group), opts);
    c.subscribe({topic});
    for (int i = 0; i < 5; ++i) {
      message m = co_await c.async_receive(asio::use_awaitable);
      BOOST_TEST(m.offset() == i);
    }
    BOOST_TEST(assigned == 1);
    BOOST_TEST(!c.member_id().empty());
    co_await c.async_close(asio::use_awaitable);
  });
}

BOOST_AUTO_TEST_CASE(receive_batch_returns_between_one_and_max) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(50);
    auto c = make_consumer();
    assign_from_start(c);
    std::vector<std::int64_t> offsets;
    while (offsets.size() < 50) {
      auto batch = co_await c.async_receive_batch(16, asio::use_awaitable);
      BOOST_REQUIRE(!batch.empty());
      BOOST_REQUIRE(batch.size() <= 16u);
      for (auto& m : batch) offsets.push_back(m.offset());
    }
    for (std::size_t i = 0; i < offsets.size(); ++i) BOOST_TEST(offsets[i] == static_cast<std::int64_t>(i));
    co_await c.async_close(asio::use_awaitable);
  });
}

BOOST_AUTO_TEST_CASE(stream_iterates_until_close) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(10);
    auto c = make_consumer();
    assign_from_start(c);
    asiokafka::message_stream stream(c);
    int seen = 0;
    while (auto msg = co_await stream.next()) {
      BOOST_TEST(msg.offset() == seen);
      if (++seen == 10) co_await c.async_close(asio::use_awaitable);
    }
    BOOST_TEST(seen == 10);
  });
}

BOOST_AUTO_TEST_CASE(try_receive_takes_buffered_messages_at_once_in_order) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(40);
    auto c = make_consumer();
    assign_from_start(c);
    error_code ec;
    BOOST_TEST(!c.try_receive(ec));  // nothing fetched yet: empty, no error
    BOOST_TEST(!ec);
    message first = co_await c.async_receive(asio::use_awaitable);
    BOOST_TEST(first.offset() == 0);
    // Wait until the other 39 are buffered, then take them without awaiting anything.
    co_await wait_buffered(c, 39);
    BOOST_REQUIRE_EQUAL(c.buffered(), 39u);
    std::vector<std::int64_t> offsets;
    while (message m = c.try_receive(ec)) offsets.push_back(m.offset());
    BOOST_TEST(!ec);
    BOOST_REQUIRE_EQUAL(offsets.size(), 39u);
    for (std::size_t i = 0; i < offsets.size(); ++i) BOOST_TEST(offsets[i] == static_cast<std::int64_t>(i + 1));
    BOOST_TEST(c.buffered() == 0u);
    co_await c.async_close(asio::use_awaitable);
    BOOST_TEST(!c.try_receive(ec));
    BOOST_TEST((ec == asiokafka::error::closed));
  });
}

#if BOOST_VERSION >= 108200
// A message already buffered when a receive starts completes through the handler's immediate
// executor: inside async_receive with asio::system_executor bound, and never inside the call
// without one (the default is a post, as before Boost 1.82).
BOOST_AUTO_TEST_CASE(a_buffered_message_completes_through_the_handlers_immediate_executor) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(3);
    auto c = make_consumer();
    assign_from_start(c);
    message first = co_await c.async_receive(asio::use_awaitable);
    BOOST_TEST(first.offset() == 0);
    co_await wait_buffered(c, 2);
    co_await asio::post(io, asio::use_awaitable);  // out of the consumer's drain
    std::int64_t at_once = -1;
    c.async_receive(asio::bind_immediate_executor(asio::system_executor(), [&](error_code ec, message m) {
      BOOST_TEST(!ec);
      at_once = m.offset();
    }));
    BOOST_TEST(at_once == 1);  // completed inside the call
    std::int64_t posted = -1;
    c.async_receive([&](error_code ec, message m) {
      BOOST_TEST(!ec);
      posted = m.offset();
    });
    BOOST_TEST(posted == -1);
    co_await asio::post(io, asio::use_awaitable);
    BOOST_TEST(posted == 2);
    co_await c.async_close(asio::use_awaitable);
  });
}
#endif

// A receive that waits completes on its handler's own executor: a handler bound to a strand
// runs inside the strand, not in place on the consumer's executor.
BOOST_AUTO_TEST_CASE(a_waiting_receive_completes_on_the_handlers_own_executor) {
  test::run(io, [&]() -> asio::awaitable<void> {
    auto c = make_consumer();
    assign_from_start(c);
    auto strand = asio::make_strand(io);
    std::int64_t offset = -1;
    bool in_strand = false;
    c.async_receive(asio::bind_executor(strand, [&](error_code ec, message m) {
      BOOST_TEST(!ec);
      in_strand = strand.running_in_this_thread();
      offset = m.offset();
    }));
    co_await produce(1);
    asio::steady_timer pause(io);
    for (int i = 0; i < 500 && offset < 0; ++i) {
      pause.expires_after(10ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    BOOST_TEST(offset == 0);
    BOOST_TEST(in_strand);
    co_await c.async_close(asio::use_awaitable);
  });
}

// next() takes buffered messages without suspending, at most max_inline in a row: a handler
// posted meanwhile (the ticker, which re-posts itself) runs between two such runs.
BOOST_AUTO_TEST_CASE(stream_takes_buffered_messages_inline_and_yields_every_max_inline) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(300);
    auto c = make_consumer();
    assign_from_start(c);
    message first = co_await c.async_receive(asio::use_awaitable);
    BOOST_TEST(first.offset() == 0);
    co_await wait_buffered(c, 299);
    BOOST_REQUIRE_EQUAL(c.buffered(), 299u);
    bool ticking = true;
    std::uint64_t ticks = 0;
    std::function<void()> tick = [&] {
      ++ticks;
      if (ticking) asio::post(io, tick);
    };
    asio::post(io, tick);
    // Resumed from a posted handler: the receive above may have resumed this coroutine from
    // inside the consumer's drain, where receives are served in its loop.
    co_await asio::post(io, asio::use_awaitable);
    ticks = 0;
    constexpr std::size_t max_inline = 50;
    asiokafka::message_stream stream(c, max_inline);
    std::size_t run = 0, longest_run = 0, inline_taken = 0;
    std::int64_t expected = 1;
    for (int i = 0; i < 299; ++i) {
      const std::uint64_t before = ticks;
      message m = co_await stream.next();
      BOOST_REQUIRE(m);
      BOOST_TEST(m.offset() == expected++);
      if (ticks == before) {
        ++inline_taken;
        longest_run = std::max(longest_run, ++run);
      } else {
        run = 0;
      }
    }
    ticking = false;
    // 299 buffered messages: 6 go through async_receive (each followed by a run of up to 50),
    // the other 293 are taken inline, never more than 50 in a row.
    BOOST_TEST(inline_taken == 293u);
    BOOST_TEST(longest_run == max_inline);
    co_await c.async_close(asio::use_awaitable);
  });
}

BOOST_AUTO_TEST_CASE(cancelled_receive_loses_no_message) {
  test::run(io, [&]() -> asio::awaitable<void> {
    auto c = make_consumer();
    assign_from_start(c);
    // Nothing produced yet: the receive is cancelled by the timer branch.
    asio::steady_timer timer(co_await asio::this_coro::executor, 200ms);
    auto first =
        co_await (c.async_receive(asio::as_tuple(asio::use_awaitable)) || timer.async_wait(asio::use_awaitable));
    BOOST_TEST(first.index() == 1u);
    // Explicit slot cancellation, all three types.
    for (auto type :
         {asio::cancellation_type::terminal, asio::cancellation_type::partial, asio::cancellation_type::total}) {
      asio::cancellation_signal signal;
      error_code got;
      bool done = false;
      c.async_receive(asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, message) {
        got = ec;
        done = true;
      }));
      signal.emit(type);
      while (!done) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
      BOOST_TEST((got == asio::error::operation_aborted));
    }
    co_await produce(3);
    for (int i = 0; i < 3; ++i) {
      message m = co_await c.async_receive(asio::use_awaitable);
      BOOST_TEST(m.offset() == i);
    }
    co_await c.async_close(asio::use_awaitable);
  });
}

BOOST_AUTO_TEST_CASE(every_completion_token_works) {
  std::thread runner;
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(6);
    auto c = make_consumer();
    assign_from_start(c);
    // use_awaitable
    message m0 = co_await c.async_receive(asio::use_awaitable);
    BOOST_TEST(m0.offset() == 0);
    // as_tuple
    auto [ec1, m1] = co_await c.async_receive(asio::as_tuple(asio::use_awaitable));
    BOOST_TEST(!ec1);
    BOOST_TEST(m1.offset() == 1);
    // deferred (the default token), awaited
    auto op = c.async_receive();
    message m2 = co_await std::move(op)(asio::use_awaitable);
    BOOST_TEST(m2.offset() == 2);
    // redirect_error
    error_code ec3;
    message m3 = co_await c.async_receive(asio::redirect_error(asio::use_awaitable, ec3));
    BOOST_TEST(!ec3);
    BOOST_TEST(m3.offset() == 3);
    // plain callback
    std::int64_t cb_offset = -1;
    c.async_receive([&](error_code ec, message m) {
      BOOST_TEST(!ec);
      cb_offset = m.offset();
    });
    while (cb_offset < 0) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    BOOST_TEST(cb_offset == 4);
    // use_future: waited on from another thread while this loop runs
    std::future<message> fut = c.async_receive(asio::use_future);
    std::atomic<std::int64_t> fut_offset = -1;  // written by the runner thread, polled here
    runner = std::thread([&] { fut_offset = fut.get().offset(); });
    asio::steady_timer t(co_await asio::this_coro::executor);
    for (int i = 0; i < 200 && fut_offset < 0; ++i) {
      t.expires_after(10ms);
      co_await t.async_wait(asio::use_awaitable);
    }
    runner.join();
    BOOST_TEST(fut_offset == 5);
    co_await c.async_close(asio::use_awaitable);
  });
  if (runner.joinable()) runner.join();
}

// asiokafka::cancel_after bounds an operation with a timeout, with every kind of token, and
// leaves nothing behind: once the consumer is closed the io_context runs out of work by
// itself (nothing stops it), which a 30 s timer of an operation that completed in time, left
// armed, would prevent.
BOOST_AUTO_TEST_CASE(cancel_after_bounds_a_receive_and_loses_nothing) {
  const auto started = std::chrono::steady_clock::now();
  bool done = false;
  std::exception_ptr error;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto c = make_consumer();
        assign_from_start(c);
        // Nothing produced yet: each receive is cancelled by its timeout.
        const auto before = std::chrono::steady_clock::now();
        auto [ec1, m1] = co_await c.async_receive(asiokafka::cancel_after(100ms, asio::as_tuple(asio::use_awaitable)));
        const auto waited = std::chrono::steady_clock::now() - before;
        BOOST_TEST((ec1 == asio::error::operation_aborted));
        BOOST_TEST((waited >= 100ms && waited < 5s));
        // A callback has no executor of its own: the timer runs on the consumer's.
        error_code ec2;
        bool done2 = false;
        c.async_receive(asiokafka::cancel_after(50ms, [&](error_code ec, message) {
          ec2 = ec;
          done2 = true;
        }));
        while (!done2) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        BOOST_TEST((ec2 == asio::error::operation_aborted));
        // The default inner token is deferred; partial cancellation on request.
        auto op = c.async_receive(asiokafka::cancel_after(50ms, asio::cancellation_type::partial));
        auto [ec3, m3] = co_await std::move(op)(asio::as_tuple(asio::use_awaitable));
        BOOST_TEST((ec3 == asio::error::operation_aborted));
        // A slot bound to the inner token still cancels the operation before the timeout.
        asio::cancellation_signal signal;
        error_code ec4;
        bool done4 = false;
        c.async_receive(
            asiokafka::cancel_after(30s, asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, message) {
                                      ec4 = ec;
                                      done4 = true;
                                    })));
        signal.emit(asio::cancellation_type::terminal);
        while (!done4) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        BOOST_TEST((ec4 == asio::error::operation_aborted));
        // The cancelled receives took nothing; receives that complete in time cancel their timers.
        co_await produce(3);
        for (int i = 0; i < 3; ++i) {
          message m = co_await c.async_receive(asiokafka::cancel_after(30s, asio::use_awaitable));
          BOOST_TEST(m.offset() == i);
        }
        co_await c.async_close(asiokafka::cancel_after(30s, asio::use_awaitable));
      },
      [&](std::exception_ptr e) {
        error = e;
        done = true;  // io is not stopped here: run_for returns early only when it runs out of work
      });
  io.run_for(20s);
  BOOST_REQUIRE_MESSAGE(done, "the case did not finish within 20 s");
  if (error) std::rethrow_exception(error);
  BOOST_TEST(io.stopped(), "work (a timer?) left on the io_context after every operation completed");
  BOOST_TEST((std::chrono::steady_clock::now() - started < 20s));
}

BOOST_AUTO_TEST_CASE(store_offset_commits_only_contiguous_prefix) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(4);
    auto c = make_consumer({{"enable.auto.offset.store", "false"}, {"enable.auto.commit", "false"}});
    assign_from_start(c);
    std::vector<message> msgs;
    for (int i = 0; i < 4; ++i) msgs.push_back(co_await c.async_receive(asio::use_awaitable));
    BOOST_TEST(!c.store_offset(msgs[2]));  // out of order: 0 and 1 unfinished
    BOOST_TEST(!c.store_offset(msgs[1]));
    auto first = co_await commit_and_read(c);
    BOOST_TEST(first < 0);  // nothing committed: offset 0 still unfinished
    BOOST_TEST(!c.store_offset(msgs[0]));
    BOOST_TEST(co_await commit_and_read(c) == 3);  // 0,1,2 done; 3 unfinished
    BOOST_TEST(!c.store_offset(msgs[3]));
    BOOST_TEST(co_await commit_and_read(c) == 4);
    BOOST_TEST((c.store_offset(msgs[3]) == asiokafka::error::not_assigned));  // already finished
    co_await c.async_close(asio::use_awaitable);
  });
}

BOOST_AUTO_TEST_CASE(commit_message_and_offsets_reach_the_group) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(3);
    auto c = make_consumer({{"enable.auto.commit", "false"}});
    assign_from_start(c);
    message m0 = co_await c.async_receive(asio::use_awaitable);
    co_await c.async_commit(m0, asio::use_awaitable);
    const topic_partition_list p0{{topic, 0}};
    const topic_partition_list commit_at_3{{topic, 0, 3}};
    auto parts = co_await c.async_committed(p0, {5s}, asio::use_awaitable);
    BOOST_TEST(parts.at(0).offset == 1);
    co_await c.async_commit(commit_at_3, asio::use_awaitable);
    parts = co_await c.async_committed(p0, {5s}, asio::use_awaitable);
    BOOST_TEST(parts.at(0).offset == 3);
    auto wm = co_await c.async_watermarks(topic, 0, {5s}, asio::use_awaitable);
    BOOST_TEST(wm.low == 0);
    BOOST_TEST(wm.high == 3);
    co_await c.async_close(asio::use_awaitable);
  });
}

// A non-const message and no token: the token-less async_commit() must not take the message
// for its token (it commits the stored offsets); the message's overload commits that message.
BOOST_AUTO_TEST_CASE(commit_of_a_message_lvalue_without_token_commits_that_message) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(3);
    auto c = make_consumer({{"enable.auto.commit", "false"}, {"enable.auto.offset.store", "false"}});
    assign_from_start(c);
    message m0 = co_await c.async_receive(asio::use_awaitable);
    message m1 = co_await c.async_receive(asio::use_awaitable);
    BOOST_TEST(m1.offset() == 1);
    co_await c.async_commit(m0);  // deferred, the default token
    const topic_partition_list p0{{topic, 0}};
    auto parts = co_await c.async_committed(p0, {5s}, asio::use_awaitable);
    BOOST_TEST(parts.at(0).offset == 1);  // m0's offset + 1; nothing was stored
    co_await c.async_close(asio::use_awaitable);
  });
}

// A rebalance hook that throws is the application's failure: reported as error::hook_failed,
// which is not fatal, and the consumer keeps receiving. The error_info names the operation and
// carries the hook's message.
BOOST_AUTO_TEST_CASE(throwing_rebalance_hook_is_reported_as_hook_failed_not_fatal) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(2);
    std::vector<error_code> errors;
    std::vector<std::string> lines;
    asiokafka::consumer_options opts;
    opts.hooks.on_assigned = [](const topic_partition_list&) -> asio::awaitable<void> {
      throw std::runtime_error("hook failure");
      co_return;
    };
    opts.on_error = [&](const asiokafka::error_info& e) {
      errors.push_back(e.code);
      lines.push_back(e.describe());
    };
    consumer c(io.get_executor(), test::consumer_config(kafka.bootstrap_servers(), group), opts);
    c.subscribe({topic});
    for (int i = 0; i < 2; ++i) {
      message m = co_await c.async_receive(asio::use_awaitable);
      BOOST_TEST(m.offset() == i);
    }
    BOOST_TEST(std::count(errors.begin(), errors.end(), asiokafka::error::hook_failed) == 1);
    BOOST_TEST(std::count(lines.begin(), lines.end(), "hook: on_assigned threw: hook failure") == 1);
    for (const auto& ec : errors) BOOST_TEST(!asiokafka::is_fatal(ec), ec.message());
    BOOST_TEST(!c.fatal_error());
    co_await c.async_close(asio::use_awaitable);
  });
}

BOOST_AUTO_TEST_CASE(pause_holds_messages_and_resume_releases_them) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(5);
    auto c = make_consumer();
    assign_from_start(c);
    message m0 = co_await c.async_receive(asio::use_awaitable);
    BOOST_TEST(m0.offset() == 0);
    c.pause({{topic, 0}});
    BOOST_TEST(c.position({{topic, 0}}).at(0).offset == 1);
    asio::steady_timer timer(co_await asio::this_coro::executor, 500ms);
    auto r = co_await (c.async_receive(asio::as_tuple(asio::use_awaitable)) || timer.async_wait(asio::use_awaitable));
    BOOST_TEST(r.index() == 1u);  // paused: nothing delivered
    c.resume({{topic, 0}});
    for (int i = 1; i < 5; ++i) {
      message m = co_await c.async_receive(asio::use_awaitable);
      BOOST_TEST(m.offset() == i);
    }
    co_await c.async_close(asio::use_awaitable);
  });
}

BOOST_AUTO_TEST_CASE(seek_redelivers_from_offset) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(5);
    auto c = make_consumer();
    assign_from_start(c);
    for (int i = 0; i < 4; ++i) co_await c.async_receive(asio::use_awaitable);
    c.seek({topic, 0, 1});
    message m = co_await c.async_receive(asio::use_awaitable);
    BOOST_TEST(m.offset() == 1);
    co_await c.async_close(asio::use_awaitable);
  });
}

BOOST_AUTO_TEST_CASE(flow_control_pauses_fetching_and_loses_nothing) {
  test::run(io, [&]() -> asio::awaitable<void> {
    // Small record batches, small fetches and almost no prefetch in librdkafka, so the
    // records arrive over many wake-ups and the pause takes effect long before the end (the
    // buffer may exceed the watermark by what librdkafka had already fetched; without the
    // prefetch limits, a slow run, e.g. under TSan, found all 300 fetched before the pause).
    test::raw_config small_batches{{"batch.num.messages", "10"}};
    co_await produce(300, 0, std::move(small_batches));
    asiokafka::consumer_options opts;
    opts.max_buffered_messages = 20;
    test::log_capture log;
    opts.log = log.sink();
    consumer c(
        io.get_executor(),
        test::consumer_config(
            kafka.bootstrap_servers(), group,
            {{"max.partition.fetch.bytes", "100"}, {"queued.min.messages", "10"}, {"queued.max.messages.kbytes", "1"}}),
        opts);
    assign_from_start(c);
    // Not receiving: the buffer fills up to the watermark, then fetching pauses.
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int i = 0; i < 100 && c.buffered() < 20u; ++i) {
      timer.expires_after(50ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
    timer.expires_after(500ms);
    co_await timer.async_wait(asio::use_awaitable);
    BOOST_TEST_MESSAGE("buffered while paused: " << c.buffered() << " of 300 (watermark 20)");
    BOOST_TEST(c.buffered() >= 20u);
    BOOST_TEST(c.buffered() < 150u);
    // Not receiving for longer than the hold time: the gate paused the assignment.
    BOOST_TEST(log.count("fetching paused") >= 1u);
    for (int i = 0; i < 300; ++i) {
      message m = co_await c.async_receive(asio::use_awaitable);
      BOOST_REQUIRE_EQUAL(m.offset(), i);
    }
    co_await c.async_close(asio::use_awaitable);
  });
}

// A receiver that works a full buffer off at once never pauses the assignment (librdkafka
// 2.0.2 fetches again only up to a second after a resume): the consumer holds librdkafka's
// queue while the buffer is full and takes from it again when the buffer is half empty.
BOOST_AUTO_TEST_CASE(a_full_buffer_worked_off_at_once_holds_without_pausing) {
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(300);
    asiokafka::consumer_options opts;
    opts.max_buffered_messages = 20;
    test::log_capture log;
    opts.log = log.sink();
    consumer c(io.get_executor(), test::consumer_config(kafka.bootstrap_servers(), group), opts);
    assign_from_start(c);
    std::size_t most_buffered = 0;
    asiokafka::message_stream stream(c);
    for (int i = 0; i < 300; ++i) {
      message m = co_await stream.next();
      BOOST_REQUIRE_EQUAL(m.offset(), i);
      most_buffered = std::max(most_buffered, c.buffered());
    }
    BOOST_TEST_MESSAGE("holds: " << log.count("holding librdkafka's queue") << ", most buffered " << most_buffered);
    BOOST_TEST(log.count("holding librdkafka's queue") >= 3u);
    BOOST_TEST(log.count("fetching paused") == 0u);
    BOOST_TEST(most_buffered <= 20u);
    co_await c.async_close(asio::use_awaitable);
  });
}

// The documented thread-safety contract: consumers on strands of a multi-threaded pool, each
// used only from its strand, run in parallel and deliver every record once and in order,
// every completion back on the consumer's strand.
// "In parallel" is asserted by a rendezvous: each consumer's first completion waits (up to
// 10 s) inside its handler until another consumer's completion is inside its own handler too.
// Consumers serialised on one thread (or one strand) could never meet there; on two cores
// shared with other work the wait still ends as soon as the scheduler runs a second thread.
BOOST_AUTO_TEST_CASE(consumers_on_strands_of_a_thread_pool) {
  constexpr int n = 3000;
  constexpr int consumers = 3;
  test::run(io, [&]() -> asio::awaitable<void> { co_await produce(n); });
  asio::thread_pool pool(4);
  std::atomic<bool> off_strand = false;
  std::atomic<int> inside = 0;  // first completions currently waiting at the rendezvous
  std::atomic<bool> met = false;
  // A first completion's handler waits here for another consumer's; once two met, none waits.
  auto rendezvous = [&] {
    ++inside;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!met && inside < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    if (inside >= 2) met = true;
    --inside;
  };
  std::mutex threads_mutex;
  std::set<std::thread::id> threads;
  std::vector<std::future<std::vector<std::int64_t>>> results;
  for (int k = 0; k < consumers; ++k) {
    auto strand = asio::make_strand(pool.get_executor());
    auto read_all = [&, strand, k]() -> asio::awaitable<std::vector<std::int64_t>> {
      consumer c(strand, test::consumer_config(kafka.bootstrap_servers(), group + std::to_string(k)));
      assign_from_start(c);
      std::vector<std::int64_t> offsets;
      bool first_done = false;
      while (offsets.size() < static_cast<std::size_t>(n)) {
        // Alternate single and batch receives.
        if (offsets.size() % 2 == 0) {
          message m = co_await c.async_receive(asio::use_awaitable);
          offsets.push_back(m.offset());
        } else {
          auto batch = co_await c.async_receive_batch(100, asio::use_awaitable);
          for (const auto& m : batch) offsets.push_back(m.offset());
        }
        if (!strand.running_in_this_thread()) off_strand = true;
        if (!first_done) {
          first_done = true;
          rendezvous();
        }
        std::lock_guard lock(threads_mutex);
        threads.insert(std::this_thread::get_id());
      }
      co_await c.async_close(asio::use_awaitable);
      co_return offsets;
    };
    results.push_back(asio::co_spawn(strand, read_all, asio::use_future));
  }
  for (auto& f : results) {
    BOOST_REQUIRE(f.wait_for(60s) == std::future_status::ready);
    const auto offsets = f.get();
    BOOST_REQUIRE(offsets.size() == static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) BOOST_TEST_REQUIRE(offsets[i] == i);
  }
  pool.join();
  BOOST_TEST(!off_strand);
  BOOST_TEST_MESSAGE(consumers << " consumers' completions ran on " << threads.size() << " pool thread(s)");
  BOOST_TEST(met, "no two consumers' completions ever ran at the same time");
  BOOST_TEST(threads.size() >= 2u);
}

BOOST_AUTO_TEST_CASE(idle_consumer_thread_sleeps_in_reactor) {
  std::optional<double> cpu_ms;  // set by the coroutine (test::run fails the case if it does not finish)
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(1);
    auto c = make_consumer();
    assign_from_start(c);
    co_await c.async_receive(asio::use_awaitable);
    const double before = thread_cpu_ms();
    asio::steady_timer timer(co_await asio::this_coro::executor, 2s);
    auto r = co_await (c.async_receive(asio::as_tuple(asio::use_awaitable)) || timer.async_wait(asio::use_awaitable));
    BOOST_TEST(r.index() == 1u);
    cpu_ms = thread_cpu_ms() - before;
    co_await c.async_close(asio::use_awaitable);
  });
  BOOST_TEST_MESSAGE("event-loop thread CPU over 2 s idle: " << cpu_ms.value() << " ms");
  BOOST_TEST(cpu_ms.value() < 20.0);
}

BOOST_AUTO_TEST_CASE(receive_after_close_reports_closed) {
  test::run(io, [&]() -> asio::awaitable<void> {
    auto c = make_consumer();
    assign_from_start(c);
    auto pending = asio::co_spawn(co_await asio::this_coro::executor,
                                  c.async_receive(asio::as_tuple(asio::use_awaitable)), asio::use_awaitable);
    co_await c.async_close(asio::use_awaitable);
    auto [ec, m] = co_await std::move(pending);
    BOOST_TEST((ec == asiokafka::error::closed));
    auto [ec2, m2] = co_await c.async_receive(asio::as_tuple(asio::use_awaitable));
    BOOST_TEST((ec2 == asiokafka::error::closed));
    BOOST_TEST(!m2);
  });
}

BOOST_AUTO_TEST_CASE(message_outlives_its_consumer) {
  message kept;
  test::run(io, [&]() -> asio::awaitable<void> {
    co_await produce(1);
    auto c = make_consumer();
    assign_from_start(c);
    kept = co_await c.async_receive(asio::use_awaitable);
    co_await c.async_close(asio::use_awaitable);
  });
  BOOST_TEST(kept.payload() == "v0");
  BOOST_TEST(kept.describe() == topic + "[0]@0");
}

BOOST_AUTO_TEST_SUITE_END()
