// Per-strand subscribers on a 4-thread io_context.
//
// Three subscribers (three consumer groups) of one topic run in parallel on a thread pool;
// each one's handlers never overlap because each subscriber has its own strand. The example
// records, per subscriber, how many handlers ever ran at once (always 1) and how many threads
// served it.
#include <asiokafka/broker.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>

#include <boost/asio.hpp>
#include <boost/describe.hpp>

#include <atomic>
#include <exception>
#include <future>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

namespace asio = boost::asio;

struct tick {
  int n = 0;
};
BOOST_DESCRIBE_STRUCT(tick, (), (n))

struct tally {
  std::atomic<int> handled{0};
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::mutex mutex;
  std::set<std::thread::id> threads;
};

int main() {
  std::cout << std::unitbuf;
  constexpr int messages = 300;
  asiokafka::testing::embedded_kafka kafka;
  kafka.create_topic("ticks", 3);

  asio::thread_pool pool(4);
  asiokafka::broker_options options;
  options.config.bootstrap_servers = kafka.bootstrap_servers();
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  asiokafka::broker app(pool.get_executor(), options);

  tally tallies[3];
  for (int i = 0; i < 3; ++i) {
    asiokafka::subscriber_options s;
    s.name = "worker-" + std::to_string(i);
    s.config.group_id = "per-strand-" + std::to_string(i);
    app.subscriber<tick>({"ticks"}, s, [&t = tallies[i]](tick) -> asio::awaitable<void> {
      const int now = ++t.running;
      int seen = t.max_running;
      while (now > seen && !t.max_running.compare_exchange_weak(seen, now)) {
      }
      {
        std::lock_guard lock(t.mutex);
        t.threads.insert(std::this_thread::get_id());
      }
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::microseconds(200));
      co_await pause.async_wait(asio::use_awaitable);
      --t.running;
      ++t.handled;
    });
  }

  std::promise<asiokafka::error_code> done;
  std::atomic<bool> stopped = false;
  app.async_run([&](asiokafka::error_code ec) {
    stopped = true;
    done.set_value(ec);
  });
  std::atomic<bool> publish_failed = false;
  asio::co_spawn(
      pool,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < messages; ++i) co_await app.async_publish("ticks", tick{i}, {}, asio::use_awaitable);
        asio::steady_timer timer(co_await asio::this_coro::executor);
        while (!stopped && tallies[0].handled + tallies[1].handled + tallies[2].handled < 3 * messages) {
          timer.expires_after(std::chrono::milliseconds(20));
          co_await timer.async_wait(asio::use_awaitable);
        }
        app.stop();
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          std::cerr << "publish failed: " << ex.what() << "\n";
        }
        publish_failed = true;
        app.stop();
      });

  const auto ec = done.get_future().get();
  pool.join();
  if (ec) std::cerr << "stopped with error: " << ec.message() << "\n";
  bool ok = !ec && !publish_failed;
  for (int i = 0; i < 3; ++i) {
    std::cout << "worker-" << i << ": handled " << tallies[i].handled << ", at most " << tallies[i].max_running
              << " handler(s) at once, served by " << tallies[i].threads.size() << " thread(s)\n";
    ok = ok && tallies[i].handled == messages && tallies[i].max_running == 1;
  }
  std::cout << (ok ? "per-strand subscribers OK\n" : "per-strand subscribers FAILED\n");
  return ok ? 0 : 1;
}
