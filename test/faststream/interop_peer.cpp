// faststream_peer: the asiokafka side of the FastStream interoperability tests
// (test/faststream/interop.py drives it and FastStream against a real broker).
//
//   faststream_peer MODE --brokers HOST:PORT [options]
//
// Modes:
//   consume   --topic T --group G --count N [--type typed|string]
//             a subscriber of fs::order (typed; mirrors interop.py's pydantic Order) or of
//             std::string; one "record" line per record; done after N records
//   publish   --topic T
//             reads JSON lines {"value": <order>, "correlation_id": "..."} from stdin and
//             publishes each with broker::async_publish and that correlation id
//   respond   --topic T --group G [--count N]
//             a subscriber of fs::request returning an fs::reply (published to the
//             request's reply_to); done after N records (0: until SIGTERM)
//   request   --topic T --count N [--in-flight K] [--timeout-ms X]
//             [--nobody-topic T2 --nobody-timeout-ms Y]
//             N async_request<fs::reply> calls, K at once, each reply checked; then one
//             request to T2 (nobody answers) that must fail with error::timeout in time
//   forward   --in T1 --out T2 --group G --count N
//             a subscriber of fs::order publishing each record onward with ctx.publish
//   bad-input --topic T --group G --reply-topic R --count N [--expect-unmatched K]
//             a responder like `respond` whose broker's reply topic is R; it requests
//             itself once first (so the reply consumer runs: prints a "ready" line), waits
//             for N records from elsewhere and K unmatched replies on R, requests itself
//             once more (the reply consumer must still work), and reports every counter
//
// Common options: --spans (broker_options::on_span prints a "span" line per span event),
// --reply-topic R, --deadline-ms D (default 50000: then it stops and fails).
// Output: one JSON object per line on stdout, the last one {"event":"summary", ...}. Log
// lines (warning and above, asiokafka's and librdkafka's) go to stderr as
// "asiokafka-log <level> <facility>: <line>". Exit status: 0 when the mode's own checks
// passed, 1 when they did not, 2 on bad usage, 3 when the broker failed, 4 when io.run() had
// not returned 15 s after broker::stop() (the summary line is written before the stop).
#include <asiokafka/broker.hpp>
#include <asiokafka/json.hpp>
#include <asiokafka/wire.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asiokafka::context;
using asiokafka::error_code;

namespace fs {
// Mirrors of interop.py's pydantic models.
struct item {
  std::string sku;
  std::int64_t qty = 0;
  double price = 0;
};
BOOST_DESCRIBE_STRUCT(item, (), (sku, qty, price))

struct order {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::string> note;
  double score = 0;
  std::optional<double> discount;
  std::vector<item> items;
  std::vector<std::string> tags;
};
BOOST_DESCRIBE_STRUCT(order, (), (id, name, note, score, discount, items, tags))

struct request {
  std::int64_t id = 0;
  std::string text;
};
BOOST_DESCRIBE_STRUCT(request, (), (id, text))

struct reply {
  std::int64_t id = 0;
  std::string echo;
  double half = 0;
};
BOOST_DESCRIBE_STRUCT(reply, (), (id, echo, half))

// A line of the publish mode's input.
struct publish_line {
  order value;
  std::string correlation_id;
};
BOOST_DESCRIBE_STRUCT(publish_line, (), (value, correlation_id))

// The answer every responder (asiokafka's and interop.py's) gives.
reply answer(const request& r) { return reply{r.id, "re: " + r.text, static_cast<double>(r.id) / 2.0}; }
}  // namespace fs

namespace {

std::mutex out_mutex;

// Writes one line to stdout at once (span events may come from any thread).
void emit(const std::string& line) {
  std::lock_guard lock(out_mutex);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// `meta` serialized, with `"key": raw` (raw JSON text) appended.
std::string with_raw(const boost::json::object& meta, std::string_view key, const std::string& raw) {
  std::string s = boost::json::serialize(meta);
  s.pop_back();  // '}'
  if (s.size() > 1) s += ',';
  s += boost::json::serialize(boost::json::value(key));
  s += ':';
  s += raw;
  s += '}';
  return s;
}

boost::json::value opt(std::optional<std::string_view> v) {
  if (!v) return nullptr;
  return boost::json::string(*v);
}

std::string hex(const asiokafka::trace_context::span_id_type& id) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : id) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

std::string_view kind_name(asiokafka::span_event::kind k) {
  switch (k) {
    case asiokafka::span_event::kind::process:
      return "process";
    case asiokafka::span_event::kind::publish:
      return "publish";
    case asiokafka::span_event::kind::request:
      return "request";
  }
  return "?";
}

// The message's wire headers and position, for the record lines.
boost::json::object record_meta(std::string_view event, const context& ctx) {
  boost::json::object m;
  m["event"] = event;
  m["topic"] = ctx.topic();
  m["partition"] = ctx.partition();
  m["offset"] = ctx.offset();
  m["correlation_id"] = opt(ctx.correlation_id());
  m["reply_to"] = opt(ctx.reply_to());
  m["content_type"] = opt(asiokafka::wire::content_type(ctx.raw()));
  auto in = ctx.incoming_trace();
  m["incoming_trace_id"] = in ? boost::json::value(in->trace_id_hex()) : nullptr;
  m["incoming_span_id"] = in ? boost::json::value(in->span_id_hex()) : nullptr;
  m["trace_id"] = ctx.trace().trace_id_hex();
  m["span_id"] = ctx.trace().span_id_hex();
  return m;
}

boost::json::object stats_json(const asiokafka::subscriber_stats& s) {
  boost::json::object o;
  o["received"] = s.received.load();
  o["handled"] = s.handled.load();
  o["failed"] = s.failed.load();
  o["decode_failed"] = s.decode_failed.load();
  o["replies_unroutable"] = s.replies_unroutable.load();
  o["replies_failed"] = s.replies_failed.load();
  o["invalid_trace_context"] = s.invalid_trace_context.load();
  return o;
}

boost::json::object request_stats_json(const asiokafka::request_stats& s) {
  boost::json::object o;
  o["sent"] = s.sent.load();
  o["answered"] = s.answered.load();
  o["timed_out"] = s.timed_out.load();
  o["cancelled"] = s.cancelled.load();
  o["failed"] = s.failed.load();
  o["late_replies"] = s.late_replies.load();
  o["unmatched_replies"] = s.unmatched_replies.load();
  return o;
}

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct arguments {
  std::string mode;
  std::map<std::string, std::string> values;

  arguments(int argc, char** argv) {
    if (argc < 2) throw usage_error("no mode");
    mode = argv[1];
    for (int i = 2; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) throw usage_error("unexpected argument " + a);
      a.erase(0, 2);
      if (a == "spans") {
        values[a] = "1";
      } else {
        if (i + 1 >= argc) throw usage_error("--" + a + " needs a value");
        values[a] = argv[++i];
      }
    }
  }
  bool has(const std::string& k) const { return values.count(k) != 0; }
  std::string str(const std::string& k) const {
    auto it = values.find(k);
    if (it == values.end()) throw usage_error("--" + k + " is required for " + mode);
    return it->second;
  }
  std::string str(const std::string& k, std::string def) const { return has(k) ? values.at(k) : def; }
  long long num(const std::string& k, long long def) const { return has(k) ? std::stoll(values.at(k)) : def; }
};

// Waits until `done()` holds, polling every 20 ms.
asio::awaitable<void> wait_for(std::function<bool()> done) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  while (!done()) {
    t.expires_after(20ms);
    co_await t.async_wait(asio::use_awaitable);
  }
}

std::uint64_t finished(const asiokafka::subscriber_stats& s) {
  return s.handled.load() + s.failed.load() + s.decode_failed.load();
}

}  // namespace

int main(int argc, char** argv) try {
  const arguments args(argc, argv);
  asio::io_context io;

  asiokafka::broker_options options;
  options.config.bootstrap_servers = args.str("brokers");
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.graceful_timeout = 5s;
  options.reply_topic = args.str("reply-topic", "");
  options.log = [](asiokafka::log_level level, std::string_view facility, std::string_view line) {
    if (level > asiokafka::log_level::warning) return;
    std::lock_guard lock(out_mutex);
    std::cerr << "asiokafka-log " << static_cast<int>(level) << " " << facility << ": " << line << std::endl;
  };
  if (args.has("spans"))
    options.on_span = [](const asiokafka::span_event& e) {
      boost::json::object o;
      o["event"] = "span";
      o["kind"] = kind_name(e.span_kind);
      o["phase"] = e.span_phase == asiokafka::span_event::phase::start ? "start" : "end";
      o["name"] = e.name;
      o["trace_id"] = e.context->trace_id_hex();
      o["span_id"] = e.context->span_id_hex();
      o["parent_span_id"] = e.parent_span_id ? boost::json::value(hex(*e.parent_span_id)) : nullptr;
      o["correlation_id"] = e.correlation_id;
      o["topic"] = e.topic;
      o["error"] = e.error ? boost::json::value(e.error.message() + ": " + std::string(e.error_text)) : nullptr;
      emit(boost::json::serialize(o));
    };
  asiokafka::broker app(io.get_executor(), options);

  const std::string& mode = args.mode;
  const auto deadline = std::chrono::milliseconds(args.num("deadline-ms", 50000));
  bool ok = true;               // the mode's own checks
  bool timed_out = false;       // the deadline passed
  boost::json::object summary;  // mode-specific results
  const asiokafka::subscriber_stats* stats = nullptr;
  bool run_app = true;                            // modes without subscribers do not call async_run
  std::function<asio::awaitable<void>()> driver;  // runs beside the app; app.stop() after it

  auto sub = [&](std::string name) {
    asiokafka::subscriber_options s;
    s.name = std::move(name);
    s.config.group_id = args.str("group");
    s.config.auto_offset_reset = asiokafka::offset_reset::earliest;
    return s;
  };

  if (mode == "consume") {
    const auto count = static_cast<std::uint64_t>(args.num("count", 0));
    const std::string type = args.str("type", "typed");
    if (type == "typed") {
      stats = &app.subscriber<fs::order>(
          {args.str("topic")}, sub("typed"), [](fs::order o, context& ctx) -> asio::awaitable<void> {
            emit(with_raw(record_meta("record", ctx), "value", asiokafka::json::encode(o)));
            co_return;
          });
    } else if (type == "string") {
      stats = &app.subscriber<std::string>({args.str("topic")}, sub("string"),
                                           [](std::string s, context& ctx) -> asio::awaitable<void> {
                                             auto m = record_meta("record", ctx);
                                             m["value"] = s;
                                             emit(boost::json::serialize(m));
                                             co_return;
                                           });
    } else {
      throw usage_error("--type is typed or string");
    }
    driver = [&, count]() -> asio::awaitable<void> {
      co_await wait_for([&] { return finished(*stats) >= count; });
      ok = stats->handled.load() == count && stats->decode_failed.load() == 0 && stats->failed.load() == 0;
    };
  } else if (mode == "publish") {
    run_app = false;
    // Read with asiokafka::json (doubles correctly rounded), not Boost.JSON 1.81's DOM parser,
    // which rounds some 17-digit doubles to a neighbour.
    auto items = std::make_shared<std::vector<fs::publish_line>>();
    std::string line;
    while (std::getline(std::cin, line))
      if (!line.empty()) items->push_back(asiokafka::json::decode<fs::publish_line>(line));
    const std::string topic = args.str("topic");
    driver = [&, items, topic]() -> asio::awaitable<void> {
      std::size_t done = 0, failed = 0;
      for (const auto& i : *items)
        app.async_publish(topic, i.value, {.correlation_id = i.correlation_id},
                          [&](error_code ec, asiokafka::delivery_report) {
                            ++done;
                            if (ec) {
                              ++failed;
                              std::cerr << "publish failed: " << ec.message() << std::endl;
                            }
                          });
      co_await wait_for([&] { return done == items->size(); });
      summary["published"] = done - failed;
      summary["failed"] = failed;
      ok = failed == 0;
    };
  } else if (mode == "respond") {
    const auto count = static_cast<std::uint64_t>(args.num("count", 0));
    stats = &app.subscriber<fs::request>({args.str("topic")}, sub("responder"),
                                         [](fs::request r, context& ctx) -> asio::awaitable<fs::reply> {
                                           auto m = record_meta("handled", ctx);
                                           m["id"] = r.id;
                                           emit(boost::json::serialize(m));
                                           co_return fs::answer(r);
                                         });
    driver = [&, count]() -> asio::awaitable<void> {
      co_await wait_for([&] { return count > 0 && finished(*stats) >= count; });
      ok = stats->handled.load() == count && stats->failed.load() == 0 && stats->decode_failed.load() == 0 &&
           stats->replies_failed.load() == 0 && stats->replies_unroutable.load() == 0;
    };
  } else if (mode == "request") {
    run_app = false;
    const auto count = args.num("count", 1000);
    const auto in_flight = args.num("in-flight", 100);
    const auto timeout = std::chrono::milliseconds(args.num("timeout-ms", 30000));
    const std::string topic = args.str("topic");
    driver = [&, count, in_flight, timeout, topic]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      long long next = 0, answered = 0, mismatched = 0, errors = 0, outstanding = 0, max_outstanding = 0,
                workers_done = 0;
      std::map<std::string, long long> error_kinds;
      const auto started = std::chrono::steady_clock::now();
      for (long long w = 0; w < in_flight; ++w)
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
              while (next < count) {
                const long long id = next++;
                const fs::request rq{id, "request #" + std::to_string(id) + " ünïcødé ✓"};
                ++outstanding;
                max_outstanding = std::max(max_outstanding, outstanding);
                auto [ec, rep] = co_await app.async_request<fs::reply>(topic, rq, {.timeout = timeout},
                                                                       asio::as_tuple(asio::use_awaitable));
                --outstanding;
                if (ec) {
                  ++errors;
                  ++error_kinds[ec.message()];
                } else {
                  const auto want = fs::answer(rq);
                  if (rep.id == want.id && rep.echo == want.echo && rep.half == want.half) {
                    ++answered;
                  } else {
                    ++mismatched;
                    std::cerr << "mismatched reply for " << id << ": " << asiokafka::json::encode(rep) << std::endl;
                  }
                }
              }
              ++workers_done;
            },
            asio::detached);
      co_await wait_for([&] { return workers_done == in_flight; });
      const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      summary["count"] = count;
      summary["answered"] = answered;
      summary["mismatched"] = mismatched;
      summary["errors"] = errors;
      boost::json::object kinds;
      for (auto& [k, n] : error_kinds) kinds[k] = n;
      summary["error_kinds"] = kinds;
      summary["max_in_flight"] = max_outstanding;
      summary["elapsed_s"] = elapsed;
      ok = answered == count && mismatched == 0 && errors == 0 && max_outstanding == std::min(in_flight, count);
      if (args.has("nobody-topic")) {
        const auto nobody_timeout = std::chrono::milliseconds(args.num("nobody-timeout-ms", 2000));
        // Named, not temporaries in the co_await expression: GCC 12 frees such an aggregate's
        // string twice.
        const std::string nobody_topic = args.str("nobody-topic");
        const fs::request question{-1, "anyone?"};
        const auto t0 = std::chrono::steady_clock::now();
        auto [ec, rep] = co_await app.async_request<fs::reply>(nobody_topic, question, {.timeout = nobody_timeout},
                                                               asio::as_tuple(asio::use_awaitable));
        const auto waited =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
        boost::json::object n;
        n["error"] = ec ? boost::json::value(ec.message()) : nullptr;
        n["is_timeout"] = ec == asiokafka::error::timeout;
        n["timeout_ms"] = nobody_timeout.count();
        n["elapsed_ms"] = waited.count();
        const bool in_time = waited >= nobody_timeout && waited <= nobody_timeout + 1s;
        n["in_time"] = in_time;
        summary["nobody"] = n;
        ok = ok && ec == asiokafka::error::timeout && in_time;
      }
    };
  } else if (mode == "forward") {
    const auto count = static_cast<std::uint64_t>(args.num("count", 0));
    const std::string out = args.str("out");
    stats = &app.subscriber<fs::order>({args.str("in")}, sub("forwarder"),
                                       [out](fs::order o, context& ctx) -> asio::awaitable<void> {
                                         auto m = record_meta("forwarded", ctx);
                                         m["id"] = o.id;
                                         auto report = co_await ctx.publish(out, o);
                                         m["out_offset"] = report.offset;
                                         emit(boost::json::serialize(m));
                                       });
    driver = [&, count]() -> asio::awaitable<void> {
      co_await wait_for([&] { return finished(*stats) >= count; });
      ok = stats->handled.load() == count && stats->failed.load() == 0 && stats->decode_failed.load() == 0 &&
           stats->invalid_trace_context.load() == 0;
    };
  } else if (mode == "bad-input") {
    if (!args.has("reply-topic")) throw usage_error("bad-input needs --reply-topic");
    const auto count = static_cast<std::uint64_t>(args.num("count", 0));
    const auto unmatched = static_cast<std::uint64_t>(args.num("expect-unmatched", 0));
    const std::string topic = args.str("topic");
    stats = &app.subscriber<fs::request>({topic}, sub("responder"),
                                         [](fs::request r, context& ctx) -> asio::awaitable<fs::reply> {
                                           auto m = record_meta("handled", ctx);
                                           m["id"] = r.id;
                                           emit(boost::json::serialize(m));
                                           co_return fs::answer(r);
                                         });
    driver = [&, count, unmatched, topic]() -> asio::awaitable<void> {
      auto self_request = [&](std::int64_t id) -> asio::awaitable<bool> {
        const fs::request rq{id, "self request"};
        auto [ec, rep] =
            co_await app.async_request<fs::reply>(topic, rq, {.timeout = 20s}, asio::as_tuple(asio::use_awaitable));
        const bool good = !ec && rep.id == id && rep.echo == fs::answer(rq).echo;
        boost::json::object o;
        o["event"] = "self_request";
        o["id"] = id;
        o["ok"] = good;
        o["error"] = ec ? boost::json::value(ec.message()) : nullptr;
        emit(boost::json::serialize(o));
        co_return good;
      };
      const bool first = co_await self_request(-1);
      emit(R"({"event":"ready"})");
      // The other side's records, besides the first self request.
      co_await wait_for(
          [&] { return finished(*stats) >= count + 1 && app.requests().unmatched_replies.load() >= unmatched; });
      const bool second = co_await self_request(-2);
      // The reply can arrive before the responder's handling of it is counted (the count
      // follows the reply's delivery report): wait for the count before the summary.
      co_await wait_for([&] { return finished(*stats) >= count + 2; });
      summary["self_requests_ok"] = first && second;
      ok = first && second;
    };
  } else {
    throw usage_error("unknown mode " + mode);
  }

  int status = 0;
  asio::steady_timer deadline_timer(io);
  asio::signal_set signals(io, SIGTERM, SIGINT);

  // The summary is written once the driver is done (or the deadline passed, or a signal
  // came), before the stop: it does not depend on how long the stop takes.
  bool summary_written = false;
  auto write_summary = [&] {
    if (summary_written) return;
    summary_written = true;
    summary["event"] = "summary";
    summary["mode"] = mode;
    summary["ok"] = ok && !timed_out;
    summary["timed_out"] = timed_out;
    if (stats) summary["stats"] = stats_json(*stats);
    summary["request_stats"] = request_stats_json(app.requests());
    emit(boost::json::serialize(summary));
  };

  // broker::stop() must let io.run() return: the reply consumer closes, publishes are flushed
  // (and async_run, where it was called, completes). A peer whose io_context is still busy
  // 15 s after the stop exits with status 4 and says so.
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool io_returned = false;
  std::thread watchdog;
  auto start_watchdog = [&] {
    if (watchdog.joinable()) return;
    watchdog = std::thread([&] {
      std::unique_lock lock(stop_mutex);
      if (stop_cv.wait_for(lock, 15s, [&] { return io_returned; })) return;
      std::cerr << "faststream_peer: io_context::run() has not returned 15 s after broker::stop() (mode " << mode
                << (run_app ? ", async_run called" : ", async_run not called") << ", request_stats "
                << boost::json::serialize(request_stats_json(app.requests())) << "): exiting with status 4"
                << std::endl;
      std::fflush(stdout);
      std::_Exit(4);
    });
  };

  // After the first stop, SIGTERM and SIGINT act as usual again (a stuck stop stays killable).
  auto release_signals = [&] {
    error_code ignored;
    signals.cancel(ignored);
    signals.clear(ignored);
  };
  auto finish = [&] {
    deadline_timer.cancel();
    release_signals();
    write_summary();
    start_watchdog();
    app.stop();
  };
  signals.async_wait([&](const error_code& ec, int) {
    if (!ec) finish();
  });
  deadline_timer.expires_after(deadline);
  deadline_timer.async_wait([&](const error_code& ec) {
    if (ec) return;
    timed_out = true;
    std::cerr << "faststream_peer: deadline of " << deadline.count() << " ms passed" << std::endl;
    finish();
  });
  if (run_app)
    app.async_run([&](error_code ec) {
      if (ec) {
        std::cerr << "faststream_peer: async_run: " << ec.message() << std::endl;
        status = 3;
      }
      deadline_timer.cancel();
      release_signals();
    });
  asio::co_spawn(io, driver(), [&](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        std::cerr << "faststream_peer: " << x.what() << std::endl;
      }
      ok = false;
    }
    finish();
  });
  io.run();
  {
    std::lock_guard lock(stop_mutex);
    io_returned = true;
  }
  stop_cv.notify_all();
  if (watchdog.joinable()) watchdog.join();
  write_summary();  // if async_run ended first
  if (status != 0) return status;
  return ok && !timed_out ? 0 : 1;
} catch (const usage_error& e) {
  std::cerr << "faststream_peer: " << e.what() << "\nsee the comment at the top of interop_peer.cpp\n";
  return 2;
} catch (const std::exception& e) {
  std::cerr << "faststream_peer: " << e.what() << std::endl;
  return 1;
}
