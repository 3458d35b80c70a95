// The asiokafka side of the benchmark: filling the topic, the asiokafka contestants and the
// idle runs. One mode per process, so that the driver's rusage is
// per contestant.
//
//   asiokafka_bench fill               BROKERS TOPIC COUNT PARTITIONS
//   asiokafka_bench receive            BROKERS TOPIC GROUP COUNT   contestant 3: async_receive
//   asiokafka_bench receive-batch      BROKERS TOPIC GROUP COUNT   contestant 3b: async_receive_batch
//   asiokafka_bench receive-stream     BROKERS TOPIC GROUP COUNT   contestant 3s: message_stream::next
//   asiokafka_bench subscriber         BROKERS TOPIC GROUP COUNT   contestant 4: broker.subscriber<person>
//   asiokafka_bench publish            BROKERS TOPIC COUNT PARTITIONS  publish contestant P2:
//                                      broker.async_publish<person>, a callback per delivery
//   asiokafka_bench publisher          BROKERS TOPIC COUNT PARTITIONS  P3: publisher<person>
//   asiokafka_bench transform          BROKERS TOPIC GROUP COUNT OUT_TOPIC alo|eos
//                                      subscriber<person> publishing each person to OUT_TOPIC
//                                      (same partition), at-least-once or exactly-once
//   asiokafka_bench latency-receive    BROKERS TOPIC GROUP COUNT   print "assigned" once assigned,
//   asiokafka_bench latency-subscriber BROKERS TOPIC GROUP COUNT   "ready" once caught up (it holds
//                                      the probe record of every partition; the producer is
//                                      `raw_poll produce-rate`, see bench/raw_poll.c)
//   asiokafka_bench idle-receive       BROKERS TOPIC GROUP SECONDS
//   asiokafka_bench idle-subscriber    BROKERS TOPIC GROUP SECONDS
//   asiokafka_bench request            BROKERS TOPIC COUNT INFLIGHT  request/reply: COUNT
//                                      broker.async_request<person> calls, at most INFLIGHT at once
//   asiokafka_bench respond            BROKERS TOPIC GROUP         a subscriber<person> returning
//                                      the person (the reply); "ready" once assigned; until SIGTERM
//
// Every mode ends by printing one JSON object on stdout (see bench_common.hpp).
#include "bench_common.hpp"

#include <asiokafka/asiokafka.hpp>
#include <asiokafka/broker.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t batch_max = 1024;  // receive-batch: at most this many per call
constexpr auto consume_deadline = std::chrono::seconds(1800);

// BENCH_CONSUMER_CONFIG="key=value,key=value": the driver's consumer settings, given to every
// contestant alike (see bench/run.py).
std::map<std::string, std::string> extra_config(const char* variable) {
  std::map<std::string, std::string> out;
  const char* spec = std::getenv(variable);
  std::string_view rest = spec ? spec : "";
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos)
      throw std::invalid_argument(std::string(variable) + ": no '=' in " + std::string(item));
    out.emplace(item.substr(0, eq), item.substr(eq + 1));
  }
  return out;
}

std::map<std::string, std::string> extra_consumer_config() { return extra_config("BENCH_CONSUMER_CONFIG"); }

asiokafka::composed_config consumer_config(const std::string& brokers, const std::string& group) {
  asiokafka::client_options broker_scope;
  broker_scope.bootstrap_servers = brokers;
  asiokafka::client_options subscriber_scope;
  subscriber_scope.group_id = group;
  subscriber_scope.auto_offset_reset = asiokafka::offset_reset::earliest;
  subscriber_scope.raw = extra_consumer_config();
  return asiokafka::config_composer(broker_scope).compose_consumer({"bench", subscriber_scope, {}});
}

asiokafka::composed_config producer_config(const std::string& brokers, std::map<std::string, std::string> raw = {}) {
  asiokafka::client_options broker_scope;
  broker_scope.bootstrap_servers = brokers;
  asiokafka::client_options producer_scope;
  producer_scope.raw = std::move(raw);
  return asiokafka::config_composer(broker_scope).compose_producer(producer_scope);
}

asiokafka::broker_options broker_options(const std::string& brokers) {
  asiokafka::broker_options options;
  options.config.bootstrap_servers = brokers;
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.graceful_timeout = 10s;
  // BENCH_PRODUCER_CONFIG="key=value,...": producer properties of the broker's publisher (the
  // driver's request/reply run sets linger.ms=0 for its second pass).
  options.producer_config.raw = extra_config("BENCH_PRODUCER_CONFIG");
  return options;
}

// Runs `io` until done or the deadline; returns non-zero when something went wrong.
int run_io(asio::io_context& io, std::chrono::seconds deadline, const int& status) {
  asio::steady_timer guard(io, deadline);
  bool expired = false;
  guard.async_wait([&](boost::system::error_code ec) {
    if (ec) return;
    expired = true;
    std::fprintf(stderr, "asiokafka_bench: deadline of %lld s passed\n", static_cast<long long>(deadline.count()));
    io.stop();
  });
  io.run();
  return expired ? 1 : status;
}

// Completion of the main coroutine: reports an exception and ends the run.
auto completion(int& status, asio::io_context& io) {
  return [&status, &io](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "asiokafka_bench: %s\n", ex.what());
      }
      status = 1;
    }
    io.stop();
  };
}

std::optional<std::string_view> header_value(const asiokafka::message& m, std::string_view name) {
  auto h = m.header(name);
  if (!h || !h->has_value()) return std::nullopt;
  return **h;
}

// ---- fill ----------------------------------------------------------------------------------

// What the producing modes let wait in librdkafka's queue at most.
constexpr long long max_in_flight = 200000;

// Waits in 1 ms steps while `busy()` holds.
template <class Busy>
asio::awaitable<void> wait_while(asio::steady_timer& pause, Busy busy) {
  while (busy()) {
    pause.expires_after(1ms);
    co_await pause.async_wait(asio::use_awaitable);
  }
}

int fill(const std::string& brokers, const std::string& topic, long long count, int partitions) {
  asio::io_context io(1);
  asiokafka::producer p(io.get_executor(), producer_config(brokers));
  int status = 0;
  double elapsed = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer pause(io);
        const double start = bench::now_s();
        for (long long i = 0; i < count; ++i) {
          asiokafka::record r;
          r.topic = topic;
          r.partition = static_cast<std::int32_t>(i % partitions);
          r.value = bench::make_payload(static_cast<std::uint64_t>(i));
          p.produce(std::move(r));
          // Fire-and-forget, but keep what waits for librdkafka's queue bounded.
          if (i % 1000 == 999) co_await wait_while(pause, [&] { return p.in_flight() > max_in_flight; });
        }
        co_await p.async_flush(asio::use_awaitable);
        elapsed = bench::now_s() - start;
      },
      completion(status, io));
  status = run_io(io, std::chrono::seconds(1800), status);
  std::printf("{\"count\": %lld, \"elapsed_s\": %.3f, \"delivered\": %llu, \"failed\": %llu}\n", count, elapsed,
              static_cast<unsigned long long>(p.delivered()), static_cast<unsigned long long>(p.failed()));
  return status != 0 || p.failed() != 0;
}

// ---- publish contestants P2 and P3: broker::async_publish<person>, publisher<person> ---------

// N publishes of a bench::person (the JSON of make_payload), round-robin over the partitions,
// each completing through a callback on its delivery; at most max_in_flight in flight, as fill.
int publish(const std::string& brokers, const std::string& topic, long long count, int partitions, bool via_publisher) {
  asio::io_context io(1);
  asiokafka::broker app(io.get_executor(), broker_options(brokers));
  std::optional<asiokafka::publisher<bench::person>> pub;
  if (via_publisher) pub.emplace(app.publisher<bench::person>(topic));
  long long delivered = 0, failed = 0, in_flight = 0;
  int status = 0;
  double elapsed = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer pause(io);
        const auto on_delivery = [&](boost::system::error_code ec, const asiokafka::delivery_report&) {
          if (ec && failed++ == 0) std::fprintf(stderr, "asiokafka_bench: delivery failed: %s\n", ec.message().c_str());
          if (!ec) ++delivered;
          --in_flight;
        };
        const double start = bench::now_s();
        for (long long i = 0; i < count; ++i) {
          const bench::person p = bench::make_person(static_cast<std::uint64_t>(i));
          asiokafka::publish_options o;
          o.partition = static_cast<std::int32_t>(i % partitions);
          ++in_flight;
          if (pub)
            pub->async_publish(p, std::move(o), on_delivery);
          else
            app.async_publish(topic, p, std::move(o), on_delivery);
          if (i % 1000 == 999) co_await wait_while(pause, [&] { return in_flight > max_in_flight; });
        }
        co_await wait_while(pause, [&] { return in_flight > 0; });
        elapsed = bench::now_s() - start;
        app.stop();
      },
      completion(status, io));
  status = run_io(io, consume_deadline, status);
  std::printf("{\"count\": %lld, \"elapsed_s\": %.3f, \"delivered\": %lld, \"failed\": %lld, \"cpu_s\": %.3f}\n", count,
              elapsed, delivered, failed, bench::cpu_s());
  return status != 0 || failed != 0 || delivered != count;
}

// ---- contestant 3: the consumer's receive loop -----------------------------------------------

enum class receive_kind { one, batch, stream };

int receive(const std::string& brokers, const std::string& topic, const std::string& group, long long count,
            receive_kind kind, std::optional<bench::latency_samples>* latency) {
  asio::io_context io(1);
  const double start = bench::now_s();
  double join_s = 0;
  asiokafka::consumer_options options;
  options.hooks.on_assigned = [&](const asiokafka::topic_partition_list&) -> asio::awaitable<void> {
    if (join_s == 0) {
      join_s = bench::now_s() - start;
      if (latency) {
        std::printf("assigned\n");
        std::fflush(stdout);
      }
    }
    co_return;
  };
  asiokafka::consumer c(io.get_executor(), consumer_config(brokers, group), std::move(options));
  c.subscribe({topic});
  bench::tally t;
  int status = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        if (kind == receive_kind::one) {
          while (t.count() < count) {
            asiokafka::message m = co_await c.async_receive(asio::use_awaitable);
            if (latency) {
              const auto now = bench::mono_ns();
              if (auto sent = header_value(m, "sent_ns"))
                (*latency)->add(now, *sent);
              else if (header_value(m, "warmup"))
                (*latency)->add_warmup();
              else if (auto probe = header_value(m, "probe"))
                (*latency)->add_probe(m.partition(), *probe);
            }
            t.add(m.partition(), m.offset(), m.payload().size());
          }
        } else if (kind == receive_kind::stream) {
          asiokafka::message_stream stream(c);
          while (t.count() < count) {
            asiokafka::message m = co_await stream.next();
            t.add(m.partition(), m.offset(), m.payload().size());
          }
        } else {
          while (t.count() < count) {
            std::vector<asiokafka::message> batch = co_await c.async_receive_batch(batch_max, asio::use_awaitable);
            for (const auto& m : batch) t.add(m.partition(), m.offset(), m.payload().size());
          }
        }
        t.finish();
        co_await c.async_close(asio::use_awaitable);
      },
      completion(status, io));
  status = run_io(io, latency ? std::chrono::seconds(300) : consume_deadline, status);
  t.print(join_s, latency ? (*latency)->summary() : std::string());
  return status;
}

// ---- contestant 4: the broker's typed subscriber -------------------------------------------

int subscriber(const std::string& brokers, const std::string& topic, const std::string& group, long long count,
               std::optional<bench::latency_samples>* latency) {
  asio::io_context io(1);
  const double start = bench::now_s();
  double join_s = 0;
  asiokafka::broker app(io.get_executor(), broker_options(brokers));
  asiokafka::subscriber_options options;
  options.name = "bench";
  options.config.group_id = group;  // ack policy: the default, ack_after_success
  options.config.raw = extra_consumer_config();
  bench::tally t;
  long long checksum = 0;
  const auto& stats = app.subscriber<bench::person>(
      {topic}, options, [&](bench::person p, asiokafka::context& ctx) -> asio::awaitable<void> {
        if (latency) {
          const auto now = bench::mono_ns();
          if (auto sent = header_value(ctx.raw(), "sent_ns"))
            (*latency)->add(now, *sent);
          else if (header_value(ctx.raw(), "warmup"))
            (*latency)->add_warmup();
          else if (auto probe = header_value(ctx.raw(), "probe"))
            (*latency)->add_probe(ctx.partition(), *probe);
        }
        checksum += p.age + static_cast<long long>(p.name.size() + p.pad.size());
        t.add(ctx.partition(), ctx.offset(), ctx.raw().payload().size());
        if (t.count() == count) {
          t.finish();
          app.stop();
        }
        co_return;
      });

  // The broker has no assignment hook of its own: watch its health until partitions arrive.
  asio::steady_timer watch(io);
  std::function<void()> poll_assignment = [&] {
    watch.expires_after(5ms);
    watch.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      const auto h = app.health();
      if (!h.subscribers.empty() && h.subscribers.front().assigned_partitions > 0) {
        join_s = bench::now_s() - start;
        if (latency) {
          std::printf("assigned\n");
          std::fflush(stdout);
        }
        return;
      }
      poll_assignment();
    });
  };
  poll_assignment();

  int status = 0;
  app.async_run([&](asiokafka::error_code ec) {
    if (ec) {
      std::fprintf(stderr, "asiokafka_bench: broker stopped: %s\n", ec.message().c_str());
      status = 1;
    }
    watch.cancel();
    io.stop();
  });
  status = run_io(io, latency ? std::chrono::seconds(300) : consume_deadline, status);
  std::string extra = "\"handled\": " + std::to_string(stats.handled.load()) +
                      ", \"decode_failed\": " + std::to_string(stats.decode_failed.load()) +
                      ", \"checksum\": " + std::to_string(checksum);
  if (latency) extra += ", " + (*latency)->summary();
  t.print(join_s, extra);
  return status != 0 || stats.decode_failed.load() != 0;
}

// ---- consume-transform-produce: at-least-once against exactly-once -------------------------

int transform(const std::string& brokers, const std::string& topic, const std::string& group, long long count,
              const std::string& out_topic, bool exactly_once) {
  asio::io_context io(1);
  auto options = broker_options(brokers);
  options.config.transactional_id = group;  // a base: the subscriber's id derives from it
  asiokafka::broker app(io.get_executor(), options);
  asiokafka::subscriber_options s;
  s.name = "bench";
  s.config.group_id = group;
  s.config.raw = extra_consumer_config();
  s.max_concurrency = 8;  // the partitions, in parallel
  if (exactly_once) s.guarantee = asiokafka::processing_guarantee::exactly_once;
  bench::tally t;
  const auto& stats =
      app.subscriber<bench::person>({topic}, s, [&](bench::person p, asiokafka::context& ctx) -> asio::awaitable<void> {
        asiokafka::publish_options po;
        po.partition = ctx.partition();
        co_await ctx.publish(out_topic, p, po);
        t.add(ctx.partition(), ctx.offset(), ctx.raw().payload().size());
        if (t.count() == count) {
          t.finish();
          app.stop();
        }
      });
  int status = 0;
  app.async_run([&](asiokafka::error_code ec) {
    if (ec) {
      std::fprintf(stderr, "asiokafka_bench: broker stopped: %s\n", ec.message().c_str());
      status = 1;
    }
    io.stop();
  });
  status = run_io(io, consume_deadline, status);
  t.print(0, "\"handled\": " + std::to_string(stats.handled.load()) +
                 ", \"transactions\": " + std::to_string(stats.transactions_committed.load()) +
                 ", \"aborted\": " + std::to_string(stats.transactions_aborted.load()));
  return status != 0 || stats.failed.load() != 0;
}

// ---- idle ----------------------------------------------------------------------------------

void print_idle(double idle_s, double cpu_s, long long records) {
  std::printf("{\"idle_s\": %.3f, \"cpu_s\": %.6f, \"cpu_pct\": %.4f, \"records\": %lld}\n", idle_s, cpu_s,
              100.0 * cpu_s / idle_s, records);
  std::fflush(stdout);
}

constexpr auto idle_settle = 2s;

// A subscribed, assigned consumer with a receive pending and nothing to receive.
int idle_receive(const std::string& brokers, const std::string& topic, const std::string& group, double seconds) {
  asio::io_context io(1);
  bool assigned = false;
  asiokafka::consumer_options options;
  options.hooks.on_assigned = [&](const asiokafka::topic_partition_list&) -> asio::awaitable<void> {
    assigned = true;
    co_return;
  };
  asiokafka::consumer c(io.get_executor(), consumer_config(brokers, group), std::move(options));
  c.subscribe({topic});
  long long records = 0;
  bool measuring_done = false;
  int status = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          auto m = co_await c.async_receive(asio::use_awaitable);
          ++records;
        }
      },
      [&](std::exception_ptr) {});
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer t(io);
        while (!assigned) {
          t.expires_after(50ms);
          co_await t.async_wait(asio::use_awaitable);
        }
        t.expires_after(idle_settle);
        co_await t.async_wait(asio::use_awaitable);
        const double cpu0 = bench::cpu_s(), t0 = bench::now_s();
        t.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds)));
        co_await t.async_wait(asio::use_awaitable);
        const double cpu1 = bench::cpu_s(), t1 = bench::now_s();
        print_idle(t1 - t0, cpu1 - cpu0, records);
        measuring_done = true;
        c.cancel();
        co_await c.async_close(asio::use_awaitable);
      },
      completion(status, io));
  status = run_io(io, std::chrono::seconds(120), status);
  return status != 0 || !measuring_done;
}

// A broker with one subscriber<person>, assigned, nothing to handle.
int idle_subscriber(const std::string& brokers, const std::string& topic, const std::string& group, double seconds) {
  asio::io_context io(1);
  asiokafka::broker app(io.get_executor(), broker_options(brokers));
  asiokafka::subscriber_options options;
  options.name = "bench";
  options.config.group_id = group;
  options.config.raw = extra_consumer_config();
  long long records = 0;
  app.subscriber<bench::person>({topic}, options, [&](bench::person) -> asio::awaitable<void> {
    ++records;
    co_return;
  });
  bool measuring_done = false;
  int status = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer t(io);
        for (;;) {
          const auto h = app.health();
          if (!h.subscribers.empty() && h.subscribers.front().assigned_partitions > 0) break;
          t.expires_after(50ms);
          co_await t.async_wait(asio::use_awaitable);
        }
        t.expires_after(idle_settle);
        co_await t.async_wait(asio::use_awaitable);
        const double cpu0 = bench::cpu_s(), t0 = bench::now_s();
        t.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds)));
        co_await t.async_wait(asio::use_awaitable);
        const double cpu1 = bench::cpu_s(), t1 = bench::now_s();
        print_idle(t1 - t0, cpu1 - cpu0, records);
        measuring_done = true;
        app.stop();
      },
      [&](std::exception_ptr e) {
        if (e) status = 1;
      });
  app.async_run([&](asiokafka::error_code ec) {
    if (ec) status = 1;
    io.stop();
  });
  status = run_io(io, std::chrono::seconds(120), status);
  return status != 0 || !measuring_done;
}

// ---- request/reply ---------------------------------------------------------------------------

// The requester: COUNT async_request<person> calls to TOPIC, INFLIGHT coroutines each sending
// its next request once its previous one completed. Each round trip is timed on steady_clock
// from the call to its completion. One request goes first, alone and not measured: it starts
// the broker's reply consumer (creates the reply topic and positions it).
int request(const std::string& brokers, const std::string& topic, long long count, long long in_flight) {
  asio::io_context io(1);
  asiokafka::broker app(io.get_executor(), broker_options(brokers));
  constexpr auto request_timeout = 60s;
  long long next = 0, answered = 0, mismatched = 0, errors = 0, outstanding = 0, max_outstanding = 0, workers_done = 0;
  std::map<std::string, long long> error_kinds;
  std::vector<double> rtt_ms;
  rtt_ms.reserve(static_cast<std::size_t>(count));
  double warmup_ms = 0, elapsed = 0, cpu = 0;
  int status = 0;
  // A deadline of its own rather than run_io's: once the broker is stopped, io.run() returns
  // when the broker has closed its publisher and reply consumer, so the guard must go too.
  asio::steady_timer guard(io, std::chrono::seconds(1800));
  bool expired = false;
  guard.async_wait([&](boost::system::error_code ec) {
    if (ec) return;
    expired = true;
    std::fprintf(stderr, "asiokafka_bench: deadline of 1800 s passed\n");
    io.stop();
  });
  const auto finish = [&] {
    app.stop();
    guard.cancel();
  };

  auto one = [&](long long id) -> asio::awaitable<void> {
    // Named, not a temporary in the co_await expression (GCC 12, see README "Known limits").
    const bench::person rq{"user-" + std::to_string(id), static_cast<int>(18 + id % 80), std::string(60, 'x')};
    const auto t0 = std::chrono::steady_clock::now();
    auto [ec, rep] = co_await app.async_request<bench::person>(topic, rq, {.timeout = request_timeout},
                                                               asio::as_tuple(asio::use_awaitable));
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (id < 0) {
      warmup_ms = ms;
      if (ec) throw std::runtime_error("warm-up request failed: " + ec.message());
      co_return;
    }
    rtt_ms.push_back(ms);
    if (ec) {
      ++errors;
      ++error_kinds[ec.message()];
    } else if (rep.name == rq.name && rep.age == rq.age && rep.pad == rq.pad) {
      ++answered;
    } else {
      ++mismatched;
    }
  };

  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        co_await one(-1);
        const double cpu0 = bench::cpu_s();
        const auto started = std::chrono::steady_clock::now();
        for (long long w = 0; w < in_flight; ++w)
          asio::co_spawn(
              ex,
              [&]() -> asio::awaitable<void> {
                while (next < count) {
                  const long long id = next++;
                  ++outstanding;
                  max_outstanding = std::max(max_outstanding, outstanding);
                  co_await one(id);
                  --outstanding;
                }
              },
              [&](std::exception_ptr e) {
                if (e) status = 1;
                ++workers_done;
              });
        asio::steady_timer wait(ex);
        while (workers_done < in_flight) {
          wait.expires_after(1ms);
          co_await wait.async_wait(asio::use_awaitable);
        }
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        cpu = bench::cpu_s() - cpu0;
        finish();  // closes the reply consumer; io.run() returns once everything is closed
      },
      [&](std::exception_ptr e) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            std::fprintf(stderr, "asiokafka_bench: %s\n", ex.what());
          }
          status = 1;
          finish();
        }
      });
  io.run();
  if (expired) status = 1;

  std::sort(rtt_ms.begin(), rtt_ms.end());
  const auto pct = [&](double q) {
    if (rtt_ms.empty()) return 0.0;
    auto i = static_cast<std::int64_t>(q * static_cast<double>(rtt_ms.size()) + 0.999999) - 1;
    i = std::clamp<std::int64_t>(i, 0, static_cast<std::int64_t>(rtt_ms.size()) - 1);
    return rtt_ms[static_cast<std::size_t>(i)];
  };
  std::string kinds;
  for (const auto& [k, n] : error_kinds) {
    std::string escaped;
    for (char c : k) escaped += (c == '"' || c == '\\') ? '_' : c;
    kinds += (kinds.empty() ? "\"" : ", \"") + escaped + "\": " + std::to_string(n);
  }
  const auto& rs = app.requests();
  std::printf(
      "{\"count\": %lld, \"in_flight\": %lld, \"ok\": %lld, \"errors\": %lld, \"mismatched\": %lld, "
      "\"error_kinds\": {%s}, \"max_in_flight\": %lld, \"elapsed_s\": %.6f, \"round_trips_per_s\": %.1f, "
      "\"p50_ms\": %.4f, \"p99_ms\": %.4f, \"max_ms\": %.4f, \"warmup_ms\": %.3f, \"cpu_s\": %.4f, "
      "\"request_stats\": {\"sent\": %llu, \"answered\": %llu, \"timed_out\": %llu, \"failed\": %llu, "
      "\"late_replies\": %llu, \"unmatched_replies\": %llu}}\n",
      count, in_flight, answered, errors, mismatched, kinds.c_str(), max_outstanding, elapsed,
      elapsed > 0 ? static_cast<double>(answered) / elapsed : 0.0, pct(0.5), pct(0.99),
      rtt_ms.empty() ? 0.0 : rtt_ms.back(), warmup_ms, cpu, static_cast<unsigned long long>(rs.sent.load()),
      static_cast<unsigned long long>(rs.answered.load()), static_cast<unsigned long long>(rs.timed_out.load()),
      static_cast<unsigned long long>(rs.failed.load()), static_cast<unsigned long long>(rs.late_replies.load()),
      static_cast<unsigned long long>(rs.unmatched_replies.load()));
  std::fflush(stdout);
  return status != 0 || answered != count;
}

// The asiokafka responder: a subscriber<person> returning the person it got, which the broker
// publishes to the request's reply_to with its correlation id. Default subscriber options
// (max_concurrency 1, ack_after_success). Runs until SIGTERM or SIGINT, then stops gracefully.
int respond(const std::string& brokers, const std::string& topic, const std::string& group) {
  asio::io_context io(1);
  asiokafka::broker app(io.get_executor(), broker_options(brokers));
  asiokafka::subscriber_options options;
  options.name = "responder";
  options.config.group_id = group;
  const auto& stats = app.subscriber<bench::person>(
      {topic}, options, [](bench::person p) -> asio::awaitable<bench::person> { co_return p; });

  asio::steady_timer watch(io);
  std::function<void()> poll_assignment = [&] {
    watch.expires_after(5ms);
    watch.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      const auto h = app.health();
      if (!h.subscribers.empty() && h.subscribers.front().assigned_partitions > 0) {
        std::printf("ready\n");
        std::fflush(stdout);
        return;
      }
      poll_assignment();
    });
  };
  poll_assignment();

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) app.stop();
  });
  int status = 0;
  app.async_run([&](asiokafka::error_code ec) {
    if (ec) {
      std::fprintf(stderr, "asiokafka_bench: broker stopped: %s\n", ec.message().c_str());
      status = 1;
    }
    watch.cancel();
    signals.cancel();
    io.stop();
  });
  io.run();
  std::printf(
      "{\"received\": %llu, \"handled\": %llu, \"failed\": %llu, \"decode_failed\": %llu, \"replies_failed\": %llu, "
      "\"replies_unroutable\": %llu}\n",
      static_cast<unsigned long long>(stats.received.load()), static_cast<unsigned long long>(stats.handled.load()),
      static_cast<unsigned long long>(stats.failed.load()), static_cast<unsigned long long>(stats.decode_failed.load()),
      static_cast<unsigned long long>(stats.replies_failed.load()),
      static_cast<unsigned long long>(stats.replies_unroutable.load()));
  std::fflush(stdout);
  return status != 0 || stats.failed.load() != 0 || stats.decode_failed.load() != 0 || stats.replies_failed.load() != 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: asiokafka_bench fill BROKERS TOPIC COUNT PARTITIONS\n"
               "       asiokafka_bench publish|publisher BROKERS TOPIC COUNT PARTITIONS\n"
               "       asiokafka_bench receive|receive-batch|receive-stream|subscriber BROKERS TOPIC GROUP COUNT\n"
               "       asiokafka_bench latency-receive|latency-subscriber BROKERS TOPIC GROUP COUNT\n"
               "       asiokafka_bench idle-receive|idle-subscriber BROKERS TOPIC GROUP SECONDS\n"
               "       asiokafka_bench request BROKERS TOPIC COUNT INFLIGHT\n"
               "       asiokafka_bench respond BROKERS TOPIC GROUP\n"
               "       asiokafka_bench transform BROKERS TOPIC GROUP COUNT OUT_TOPIC alo|eos\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv, argv + argc);
  if (a.size() < 2) return usage();
  const std::string& mode = a[1];
  const auto ll = [&](std::size_t i) { return std::strtoll(a[i].c_str(), nullptr, 10); };
  const auto dbl = [&](std::size_t i) { return std::strtod(a[i].c_str(), nullptr); };
  try {
    if (mode == "fill" && a.size() == 6) return fill(a[2], a[3], ll(4), static_cast<int>(ll(5)));
    if (mode == "respond" && a.size() == 5) return respond(a[2], a[3], a[4]);
    if (mode == "request" && a.size() == 6 && ll(4) > 0 && ll(5) > 0) return request(a[2], a[3], ll(4), ll(5));
    if (mode == "transform" && a.size() == 8 && (a[7] == "alo" || a[7] == "eos"))
      return transform(a[2], a[3], a[4], ll(5), a[6], a[7] == "eos");
    if (a.size() != 6) return usage();
    if ((mode == "publish" || mode == "publisher") && a.size() == 6)
      return publish(a[2], a[3], ll(4), static_cast<int>(ll(5)), mode == "publisher");
    if (mode == "receive") return receive(a[2], a[3], a[4], ll(5), receive_kind::one, nullptr);
    if (mode == "receive-batch") return receive(a[2], a[3], a[4], ll(5), receive_kind::batch, nullptr);
    if (mode == "receive-stream") return receive(a[2], a[3], a[4], ll(5), receive_kind::stream, nullptr);
    if (mode == "subscriber") return subscriber(a[2], a[3], a[4], ll(5), nullptr);
    if (mode == "latency-receive" || mode == "latency-subscriber") {
      std::optional<bench::latency_samples> latency(std::in_place, static_cast<std::size_t>(ll(5)));
      return mode == "latency-receive" ? receive(a[2], a[3], a[4], ll(5), receive_kind::one, &latency)
                                       : subscriber(a[2], a[3], a[4], ll(5), &latency);
    }
    if (mode == "idle-receive") return idle_receive(a[2], a[3], a[4], dbl(5));
    if (mode == "idle-subscriber") return idle_subscriber(a[2], a[3], a[4], dbl(5));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asiokafka_bench %s: %s\n", mode.c_str(), e.what());
    return 1;
  }
  return usage();
}
