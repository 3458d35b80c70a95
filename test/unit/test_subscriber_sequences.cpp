// The subscriber runner's sequences against a scripted record source instead of a consumer:
// the test decides when records arrive, when partitions are revoked or lost, when a fatal
// error comes and when a handler finishes, and checks what the runner did in between
// (stores, commits, the revoke's completion, receives asked for). Only the records themselves
// come from the embedded cluster (a message is librdkafka's); nothing of the runner talks to
// Kafka. Exactly-once sequences (a revoke during a transaction) need a transactional
// producer and run against the real broker (test_exactly_once).
#define BOOST_TEST_MODULE test_subscriber_sequences
#include <boost/test/unit_test.hpp>

#include <asiokafka/config/config_composer.hpp>
#include <asiokafka/testing/embedded_kafka.hpp>
#include <asiokafka/testing/wait.hpp>

#include "broker/subscriber_runner.hpp"
#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <librdkafka/rdkafka.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;
using asiokafka::error_code;
using asiokafka::message;
using asiokafka::topic_partition_list;
using asiokafka::detail::record_source;
using asiokafka::detail::subscriber_runner;
using asiokafka::testing::wait_until;

namespace {

const std::string topic = "sequences";

// What the source saw, in order: "store 0@3", "commit", "revoked 0", "close", ...
using journal = std::vector<std::string>;

bool contains(const journal& j, const std::string& entry) { return std::find(j.begin(), j.end(), entry) != j.end(); }
std::size_t position(const journal& j, const std::string& entry) {
  return static_cast<std::size_t>(std::find(j.begin(), j.end(), entry) - j.begin());
}

// The test's side of the scripted source: what it delivers next and what it observed.
struct script {
  struct event {
    enum kind { records, revoke, lose, fatal } what;
    std::vector<message> batch{};
    topic_partition_list parts{};
  };
  std::deque<event> events;
  journal seen;
  int receives_pending = 0;
  int receives = 0;
  topic_partition_list assignment;
  asio::steady_timer* wake = nullptr;

  void push(event e) {
    events.push_back(std::move(e));
    if (wake) wake->cancel();
  }
  bool assigned(std::int32_t p) const {
    return std::any_of(assignment.begin(), assignment.end(), [&](const auto& a) { return a.partition == p; });
  }
};

std::string partition_text(const topic_partition_list& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + std::to_string(p.partition);
  return out;
}

// Plays the script as a consumer would: rebalance hooks run inside a receive, a fatal error
// goes to the error sink and ends the receive, store_offset refuses partitions no longer
// assigned, close revokes what is assigned.
class scripted_source final : public record_source {
 public:
  scripted_source(asio::any_io_executor ex, asiokafka::consumer_options options, script& s)
      : timer_(ex), options_(std::move(options)), s_(s) {}

  void subscribe(const std::vector<std::string>& topics) override { s_.seen.push_back("subscribe " + topics.at(0)); }
  asio::awaitable<std::tuple<error_code, std::vector<message>>> receive(std::size_t max) override {
    ++s_.receives;
    ++s_.receives_pending;
    const auto done = [this](error_code ec, std::vector<message> batch = {}) {
      --s_.receives_pending;
      return std::tuple(ec, std::move(batch));
    };
    for (;;) {
      if (cancelled_) {
        cancelled_ = false;
        co_return done(asio::error::operation_aborted);
      }
      if (s_.events.empty()) {
        timer_.expires_at(asio::steady_timer::time_point::max());
        s_.wake = &timer_;
        co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
        s_.wake = nullptr;
        continue;
      }
      script::event e = std::move(s_.events.front());
      s_.events.pop_front();
      switch (e.what) {
        case script::event::records:
          BOOST_REQUIRE(e.batch.size() <= max);
          co_return done({}, std::move(e.batch));
        case script::event::revoke:
          co_await options_.hooks.on_revoked(e.parts);
          std::erase_if(s_.assignment, [&](const auto& a) { return e.parts.front().partition == a.partition; });
          s_.seen.push_back("revoked " + partition_text(e.parts));
          break;
        case script::event::lose:
          co_await options_.hooks.on_lost(e.parts);
          std::erase_if(s_.assignment, [&](const auto& a) { return e.parts.front().partition == a.partition; });
          s_.seen.push_back("lost " + partition_text(e.parts));
          break;
        case script::event::fatal: {
          const auto ec = asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR__FATAL);
          fatal_reason_ = "fenced by the script";
          options_.on_error({.code = ec, .operation = "fatal", .detail = fatal_reason_});
          co_return done(ec);
        }
      }
    }
  }
  error_code store_offset(const message& msg) override {
    if (!s_.assigned(msg.partition())) return asiokafka::make_error_code(asiokafka::error::not_assigned);
    s_.seen.push_back("store " + std::to_string(msg.partition()) + "@" + std::to_string(msg.offset()));
    return {};
  }
  asio::awaitable<error_code> commit() override {
    s_.seen.push_back("commit");
    co_return error_code{};
  }
  asio::awaitable<error_code> close() override {
    if (!s_.assignment.empty()) {
      const auto parts = s_.assignment;
      co_await options_.hooks.on_revoked(parts);
      s_.assignment.clear();
    }
    s_.seen.push_back("close");
    co_return error_code{};
  }
  void cancel() override {
    cancelled_ = true;
    timer_.cancel();
  }
  std::string fatal_reason() const override { return fatal_reason_; }
  asiokafka::consumer* kafka() noexcept override { return nullptr; }

 private:
  asio::steady_timer timer_;
  asiokafka::consumer_options options_;
  script& s_;
  bool cancelled_ = false;
  std::string fatal_reason_;
};

// Records of partitions 0 and 1 (offsets 0..19 each), produced once into the embedded cluster
// and read back: the script hands them out.
struct record_pool {
  asiokafka::testing::embedded_kafka kafka;
  std::map<std::int32_t, std::deque<message>> by_partition;

  record_pool() {
    kafka.create_topic(topic, 2);
    asio::io_context io;
    test::run(io, [&]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      asiokafka::producer p(ex, test::producer_config(kafka.bootstrap_servers()));
      for (std::int32_t part = 0; part < 2; ++part)
        for (int i = 0; i < 20; ++i) {
          asiokafka::record rec;
          rec.topic = topic;
          rec.partition = part;
          rec.value = "p" + std::to_string(part) + "-" + std::to_string(i);
          co_await p.async_produce(std::move(rec), asio::use_awaitable);
        }
      asiokafka::consumer c(ex, test::consumer_config(kafka.bootstrap_servers(), "pool"));
      c.assign({{topic, 0, asiokafka::offsets::beginning}, {topic, 1, asiokafka::offsets::beginning}});
      std::size_t n = 0;
      while (n < 40) {
        auto m = co_await c.async_receive(asio::use_awaitable);
        by_partition[m.partition()].push_back(std::move(m));
        ++n;
      }
      co_await c.async_close(asio::use_awaitable);
    });
  }
  std::vector<message> take(std::int32_t partition, std::size_t n) {
    std::vector<message> out;
    auto& q = by_partition.at(partition);
    BOOST_REQUIRE(q.size() >= n);
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(std::move(q.front()));
      q.pop_front();
    }
    return out;
  }
};

// One runner on a scripted source. `gate` holds handlers back until the test opens it.
struct sequence {
  asio::io_context io;
  script s;
  std::vector<std::string> handled;  // "p@offset" in the order handlers finished
  bool gate_open = true;
  int running = 0;
  std::chrono::milliseconds graceful = 5s;
  std::optional<error_code> result;
  std::shared_ptr<subscriber_runner> runner;
  test::log_capture logs;

  subscriber_runner::setup setup(asiokafka::subscriber_options o) {
    o.name = "seq";
    subscriber_runner::setup st;
    st.topics = {topic};
    st.options = std::move(o);
    st.middlewares = std::make_shared<const std::vector<asiokafka::middleware>>();
    // Nothing here publishes: the path's producer is never created.
    st.out = std::make_shared<asiokafka::detail::publish_path>(
        io.get_executor(), [] { return test::producer_config("127.0.0.1:1"); }, logs.sink(),
        asiokafka::oauthbearer_token_provider{}, asiokafka::span_sink{});
    st.log = logs.sink();
    st.graceful_timeout = graceful;
    st.make_source = [this](const asio::any_io_executor& ex, const asiokafka::composed_config&,
                            asiokafka::consumer_options opts) -> std::unique_ptr<record_source> {
      return std::make_unique<scripted_source>(ex, std::move(opts), s);
    };
    return st;
  }
  asio::awaitable<void> wait_for_gate() {
    ++running;
    while (!gate_open) co_await asiokafka::testing::sleep_for(2ms);
    --running;
  }
  void single(asiokafka::subscriber_options o) {
    auto st = setup(std::move(o));
    st.handler = [this](message& m, asiokafka::context&) -> asio::awaitable<void> {
      co_await wait_for_gate();
      handled.push_back(std::to_string(m.partition()) + "@" + std::to_string(m.offset()));
    };
    start(std::move(st));
  }
  void batches(asiokafka::subscriber_options o, std::vector<std::size_t>& sizes) {
    auto st = setup(std::move(o));
    st.batch_handler = [this, &sizes](const std::vector<const message*>& batch,
                                      std::vector<asiokafka::detail::undecodable_record>&) {
      struct call final : asiokafka::detail::batch_call {
        sequence* self;
        std::vector<const message*> msgs;
        std::vector<std::size_t>* sizes;
        asio::awaitable<void> invoke(asiokafka::batch_context&, bool) override {
          co_await self->wait_for_gate();
          sizes->push_back(msgs.size());
          for (const auto* m : msgs)
            self->handled.push_back(std::to_string(m->partition()) + "@" + std::to_string(m->offset()));
        }
      };
      auto c = std::make_unique<call>();
      c->self = this;
      c->msgs = batch;
      c->sizes = &sizes;
      return std::unique_ptr<asiokafka::detail::batch_call>(std::move(c));
    };
    start(std::move(st));
  }
  void start(subscriber_runner::setup st) {
    runner = std::make_shared<subscriber_runner>(io.get_executor(), std::move(st));
    asiokafka::client_options group;
    group.group_id = "sequences";
    runner->configure(asiokafka::config_composer().compose_consumer({"seq", group, {}, {}}));
    s.assignment = {{topic, 0, -1}, {topic, 1, -1}};
    asio::co_spawn(runner->strand(), runner->run(), [this](std::exception_ptr e, error_code ec) {
      BOOST_REQUIRE(!e);
      result = ec;
    });
  }
  // Runs the io_context until `pred` holds (test failure after 10 s).
  template <class Pred>
  void until(Pred pred, const char* what) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!pred() && std::chrono::steady_clock::now() < deadline) io.run_for(5ms);
    BOOST_REQUIRE_MESSAGE(pred(), "timed out waiting for: " << what);
  }
  // Runs the io_context for `d` (to show something does not happen).
  void idle(std::chrono::milliseconds d) { io.run_for(d); }
};

record_pool& pool() {
  static record_pool p;
  return p;
}

asiokafka::subscriber_options options(std::size_t max_concurrency = 1, std::size_t batch_size = 64) {
  asiokafka::subscriber_options o;
  o.max_concurrency = max_concurrency;
  o.batch_size = batch_size;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_subscriber_sequences)

BOOST_AUTO_TEST_CASE(a_stop_while_a_handler_runs_lets_it_finish_then_stores_commits_and_closes) {
  sequence q;
  q.gate_open = false;
  q.single(options());
  q.s.push({script::event::records, pool().take(0, 3)});
  q.until([&] { return q.running == 1; }, "the first handler runs");
  q.runner->stop();
  q.idle(50ms);
  BOOST_TEST(!q.result.has_value());  // the graceful stop waits for the handler
  q.gate_open = true;
  q.until([&] { return q.result.has_value(); }, "run() ends");
  BOOST_TEST(!*q.result);
  BOOST_TEST(q.handled.size() == 1u);  // the queued two never start
  const auto& j = q.s.seen;
  const std::string first = "store 0@" + q.handled.at(0).substr(2);
  BOOST_TEST(contains(j, first));
  BOOST_TEST(position(j, first) < position(j, "commit"));
  BOOST_TEST(position(j, "commit") < position(j, "close"));
  BOOST_TEST(std::count(j.begin(), j.end(), "commit") == 1);
}

BOOST_AUTO_TEST_CASE(a_handler_still_running_after_the_graceful_timeout_is_not_stored) {
  sequence q;
  q.gate_open = false;
  q.graceful = 300ms;
  q.single(options());
  q.s.push({script::event::records, pool().take(0, 1)});
  q.until([&] { return q.running == 1; }, "the handler runs");
  q.runner->stop();
  q.until([&] { return q.result.has_value(); }, "run() ends after the graceful timeout");
  BOOST_TEST(q.handled.empty());
  BOOST_TEST(
      std::none_of(q.s.seen.begin(), q.s.seen.end(), [](const std::string& e) { return e.starts_with("store"); }));
  BOOST_TEST(q.logs.contains("still running after the graceful timeout"));
  q.gate_open = true;  // the abandoned handler finishes before the io_context goes
  q.until([&] { return q.running == 0; }, "the abandoned handler ends");
}

BOOST_AUTO_TEST_CASE(a_revoke_waits_for_the_partitions_running_handler_and_drops_its_queued_records) {
  sequence q;
  q.gate_open = false;
  q.single(options(2));
  q.s.push({script::event::records, pool().take(0, 3)});
  q.until([&] { return q.running == 1; }, "partition 0's first handler runs");
  q.s.push({script::event::revoke, {}, {{topic, 0, -1}}});
  q.idle(50ms);
  BOOST_TEST(!contains(q.s.seen, "revoked 0"));  // the hook waits for the running handler
  q.gate_open = true;
  q.until([&] { return contains(q.s.seen, "revoked 0"); }, "the revoke completes");
  BOOST_REQUIRE(q.handled.size() == 1u);  // the two queued records were dropped
  const std::string stored = "store 0@" + q.handled[0].substr(2);
  BOOST_TEST(position(q.s.seen, stored) < position(q.s.seen, "revoked 0"));  // stored before it left
  q.s.push({script::event::records, pool().take(1, 2)});
  q.until([&] { return q.handled.size() == 3u; }, "partition 1 goes on");
  q.runner->stop();
  q.until([&] { return q.result.has_value(); }, "run() ends");
}

BOOST_AUTO_TEST_CASE(a_lost_partition_is_not_waited_for_and_its_late_handler_is_not_stored) {
  sequence q;
  q.gate_open = false;
  q.single(options(2));
  q.s.push({script::event::records, pool().take(0, 2)});
  q.until([&] { return q.running == 1; }, "the handler runs");
  q.s.push({script::event::lose, {}, {{topic, 0, -1}}});
  q.until([&] { return contains(q.s.seen, "lost 0"); }, "the loss completes without waiting");
  BOOST_TEST(q.running == 1);
  q.gate_open = true;
  q.until([&] { return q.handled.size() == 1u; }, "the late handler finishes");
  q.idle(20ms);
  BOOST_TEST(q.handled.size() == 1u);  // the queued record was dropped
  BOOST_TEST(
      std::none_of(q.s.seen.begin(), q.s.seen.end(), [](const std::string& e) { return e.starts_with("store 0@"); }));
  q.runner->stop();
  q.until([&] { return q.result.has_value(); }, "run() ends");
}

BOOST_AUTO_TEST_CASE(a_revoke_in_the_middle_of_a_batch_leaves_its_records_out_of_the_batch) {
  sequence q;
  std::vector<std::size_t> sizes;
  auto o = options(1, 8);
  o.batch.max_records = 5;
  o.batch.max_wait = std::chrono::milliseconds(60000);  // due only when full
  q.batches(o, sizes);
  auto mixed = pool().take(0, 3);
  for (auto& m : pool().take(1, 1)) mixed.push_back(std::move(m));
  q.s.push({script::event::records, std::move(mixed)});
  q.idle(50ms);
  BOOST_TEST(sizes.empty());  // 4 of 5: still collecting
  q.s.push({script::event::revoke, {}, {{topic, 0, -1}}});
  q.until([&] { return contains(q.s.seen, "revoked 0"); }, "the revoke completes at once");
  q.s.push({script::event::records, pool().take(1, 4)});
  q.until([&] { return sizes.size() == 1u; }, "the batch is full");
  BOOST_TEST(sizes[0] == 5u);
  BOOST_TEST(std::all_of(q.handled.begin(), q.handled.end(), [](const std::string& h) { return h.starts_with("1@"); }));
  for (std::size_t i = 1; i < q.handled.size(); ++i)  // in offset order
    BOOST_TEST(std::stoll(q.handled[i - 1].substr(2)) < std::stoll(q.handled[i].substr(2)));
  q.runner->stop();
  q.until([&] { return q.result.has_value(); }, "run() ends");
}

BOOST_AUTO_TEST_CASE(a_full_queue_pauses_receiving_until_the_handlers_took_half) {
  sequence q;
  q.gate_open = false;
  q.single(options(1, 2));  // max_queued: 4 (two receives of 2), resumes at 2
  for (int i = 0; i < 4; ++i) q.s.push({script::event::records, pool().take(1, 2)});
  q.until([&] { return q.running == 1; }, "the first handler runs");
  q.idle(50ms);
  // 1 record runs, 7 were received: the queue (4 and more) made the loop stop asking.
  BOOST_TEST(q.s.events.size() == 1u);
  BOOST_TEST(q.s.receives_pending == 0);
  const int receives = q.s.receives;
  q.gate_open = true;
  q.until([&] { return q.handled.size() == 8u; }, "every record is handled");
  BOOST_TEST(q.s.receives > receives);  // receiving resumed
  q.runner->stop();
  q.until([&] { return q.result.has_value(); }, "run() ends");
}

BOOST_AUTO_TEST_CASE(a_fatal_error_stops_the_subscriber_without_a_commit) {
  sequence q;
  q.single(options());
  q.s.push({script::event::records, pool().take(1, 2)});
  q.until([&] { return q.handled.size() == 2u; }, "two records handled");
  q.s.push({script::event::fatal});
  q.until([&] { return q.result.has_value(); }, "run() ends on the fatal error");
  BOOST_TEST(*q.result == asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR__FATAL));
  BOOST_TEST(!contains(q.s.seen, "commit"));
  BOOST_TEST(contains(q.s.seen, "close"));
  const auto health = q.runner->health();
  BOOST_TEST(!health.running);
  BOOST_TEST(health.fatal_error.find("fenced by the script") != std::string::npos);
  BOOST_TEST(q.logs.contains("the subscriber stops"));
}

BOOST_AUTO_TEST_SUITE_END()
