// Bad input on a real broker: a JSON subscriber with ack_policy::reject_on_error reads a topic
// where valid events are mixed with every kind of bad record a producer can write. The
// handler sees exactly the valid ones, every bad one is dead-lettered with its original key,
// bytes and an error header, the counters add up, the subscriber keeps running and the
// group's committed offset ends past the last record.
#define BOOST_TEST_MODULE test_bad_input
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>
#include <asiokafka/consumer.hpp>

#include "../rdkafka/rdkafka_client.hpp"
#include "kafka_helpers.hpp"
#include "test_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/describe.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace test = asiokafka::test;
namespace rdk = asiokafka::test::rdkafka;

namespace bad_input_model {
struct event {
  int seq = 0;
  std::string body;
};
BOOST_DESCRIBE_STRUCT(event, (), (seq, body))
}  // namespace bad_input_model

namespace {

// A record as the test writes it; `value` nullopt is a tombstone.
struct input {
  std::string kind;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
  bool valid = false;
  int seq = -1;  // for valid ones
};

std::string event_json(int seq, const std::string& body) {
  return asiokafka::json::encode(bad_input_model::event{seq, body});
}

// One round of every kind of record; `round` makes seqs unique.
std::vector<input> one_round(int round) {
  const int base = round * 100;
  const std::string huge_key(100 * 1024, 'k');
  return {
      {"valid", "k" + std::to_string(base), event_json(base, "ok"), {}, true, base},
      {"not JSON", "k", std::string("\x00\x01\x02 binary \xff\xfe", 14), {}},
      {"truncated JSON", "k", R"({"seq":1,"body":"ab)", {}},
      {"wrong field types", "k", R"({"seq":"one","body":5})", {}},
      {"missing field", "k", R"({"body":"no seq"})", {}},
      {"tombstone", "k", std::nullopt, {}},
      {"empty payload", "k", std::string(), {}},
      {"invalid UTF-8", "k", "{\"seq\":7,\"body\":\"\xc3\x28\xa0\xa1\"}", {}},
      {"trailing bytes", "k", event_json(8, "x") + "}}", {}},
      // text/plain is tried as JSON, as FastStream does; another media type is a decode failure.
      {"non-JSON content-type", "k", event_json(9, "x"), {{"content-type", "application/x-protobuf"}}},
      {"null key, valid", std::nullopt, event_json(base + 1, "null key"), {}, true, base + 1},
      {"huge key, valid", huge_key, event_json(base + 2, "huge key"), {}, true, base + 2},
      {"huge key, not JSON", huge_key, std::string("nope"), {}},
      {"deep nesting", "k", std::string(200, '[') + std::string(200, ']'), {}},
  };
}

// Writes `inputs` in order to partition 0 with librdkafka directly (asiokafka's producer cannot
// write a null value) and returns each record's offset.
std::vector<std::int64_t> write_all(const std::string& brokers, const std::string& topic,
                                    const std::vector<input>& inputs) {
  struct delivery {
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__IN_PROGRESS;
    std::int64_t offset = -1;
  };
  auto producer =
      rdk::make_client(RD_KAFKA_PRODUCER,
                       {{"bootstrap.servers", brokers},
                        {"message.max.bytes", "4000000"},
                        {"enable.idempotence", "true"},
                        {"linger.ms", "5"}},
                       [](rd_kafka_conf_t* conf) {
                         rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
                           auto* d = static_cast<delivery*>(m->_private);
                           d->err = m->err;
                           d->offset = m->offset;
                         });
                       });
  std::vector<delivery> reports(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i];
    rd_kafka_headers_t* headers = rd_kafka_headers_new(in.headers.size());
    for (const auto& [name, value] : in.headers)
      rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                          static_cast<ssize_t>(value.size()));
    // The macros cast their arguments without parentheses: pass plain variables.
    const char* key = in.key ? in.key->data() : nullptr;
    const std::size_t key_size = in.key ? in.key->size() : 0;
    char* value = in.value ? const_cast<char*>(in.value->data()) : nullptr;
    const std::size_t value_size = in.value ? in.value->size() : 0;
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(key, key_size),
        RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(&reports[i]), RD_KAFKA_V_END);
    if (err) rd_kafka_headers_destroy(headers);
    BOOST_REQUIRE_MESSAGE(!err, "producing \"" << in.kind << "\": " << rd_kafka_err2str(err));
  }
  BOOST_REQUIRE_EQUAL(rd_kafka_flush(producer.get(), 60000), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::vector<std::int64_t> offsets;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    BOOST_REQUIRE_MESSAGE(!reports[i].err,
                          "delivery of \"" << inputs[i].kind << "\": " << rd_kafka_err2str(reports[i].err));
    offsets.push_back(reports[i].offset);
  }
  return offsets;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_bad_input_real_broker)

BOOST_AUTO_TEST_CASE(reject_on_error_handles_valid_and_dead_letters_every_bad_record) {
  asio::io_context io;
  const std::string brokers = test::real_brokers();
  const std::string topic = test::unique_name("bad-input");
  const std::string dlq = test::unique_name("bad-input-dlq");
  const std::string group = test::unique_name("bad-input");
  // The broker's default message.max.bytes (~1 MiB) would refuse the 1 MiB event.
  test::create_topic(brokers, topic, 1, 1, {{"max.message.bytes", "4000000"}});
  test::create_topic(brokers, dlq, 1);

  std::vector<input> inputs;
  for (int round = 0; round < 10; ++round) {
    auto r = one_round(round);
    inputs.insert(inputs.end(), r.begin(), r.end());
    if (round == 4)
      inputs.push_back({"1 MiB valid event", "big", event_json(9999, std::string(1 << 20, 'x')), {}, true, 9999});
  }
  inputs.push_back({"last valid", "last", event_json(100000, "last"), {}, true, 100000});
  const auto offsets = write_all(brokers, topic, inputs);

  std::map<std::int64_t, const input*> bad_by_offset;
  std::set<int> valid_seqs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].valid)
      valid_seqs.insert(inputs[i].seq);
    else
      bad_by_offset[offsets[i]] = &inputs[i];
  }
  const std::size_t bad = bad_by_offset.size();

  asiokafka::broker_options options;
  options.config.bootstrap_servers = brokers;
  options.config.auto_offset_reset = asiokafka::offset_reset::earliest;
  options.graceful_timeout = 10s;
  options.producer_config.raw = {{"message.max.bytes", "4000000"}};
  std::vector<std::string> log_lines;
  options.log = [&](asiokafka::log_level, std::string_view, std::string_view line) { log_lines.emplace_back(line); };
  asiokafka::broker app(io.get_executor(), options);
  asiokafka::subscriber_options s;
  s.name = "bad-input";
  s.config.group_id = group;
  s.ack = asiokafka::ack_policy::reject_on_error;
  s.dead_letter_topic = dlq;
  std::multiset<int> handled_seqs;
  std::size_t big_body = 0;
  const auto& stats =
      app.subscriber<bad_input_model::event>({topic}, s, [&](bad_input_model::event e) -> asio::awaitable<void> {
        handled_seqs.insert(e.seq);
        if (e.seq == 9999) big_body = e.body.size();
        co_return;
      });

  std::size_t dead_letters = 0;
  bool app_running_at_end = false;
  bool run_finished = false;
  std::map<std::string, std::pair<int, std::string>> dlq_by_kind;  // kind -> count, first error
  int tombstones_not_null = 0;
  test::run(
      io,
      [&]() -> asio::awaitable<void> {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              BOOST_CHECK(co_await test::wait_until(
                  [&] { return stats.handled + stats.decode_failed == inputs.size(); }, 120s));
              BOOST_CHECK(co_await test::wait_until([&] { return stats.dead_lettered == bad; }, 30s));
              // The subscriber still runs: one more valid event after all the bad ones is handled.
              asiokafka::producer p(co_await asio::this_coro::executor, test::producer_config(brokers));
              asiokafka::record after{topic, 0, "after", event_json(100001, "after"),
                                      {},    {}};  // a local: README, Known limits
              co_await p.async_produce(std::move(after), asio::use_awaitable);
              BOOST_CHECK(co_await test::wait_until([&] { return handled_seqs.count(100001) == 1; }, 30s));
              app_running_at_end = !run_finished;

              asiokafka::consumer reader(co_await asio::this_coro::executor,
                                         test::consumer_config(brokers, test::unique_name("bad-input-dlq-reader")));
              reader.assign({{dlq, 0, asiokafka::offsets::beginning}});
              for (std::size_t i = 0; i < bad; ++i) {
                asiokafka::message m = co_await reader.async_receive(asio::use_awaitable);
                ++dead_letters;
                const auto error = m.header(asiokafka::dead_letter_headers::error);
                BOOST_TEST_REQUIRE((error && error->has_value()));
                BOOST_TEST(!(*error)->empty());
                const auto kind = m.header(asiokafka::dead_letter_headers::error_kind);
                BOOST_TEST((kind && kind->has_value() && **kind == "decode"));
                const auto original = m.header(asiokafka::dead_letter_headers::original_offset);
                BOOST_TEST_REQUIRE((original && original->has_value()));
                const auto it = bad_by_offset.find(std::stoll(std::string(**original)));
                BOOST_TEST_REQUIRE((it != bad_by_offset.end()),
                                   "dead letter for offset " << **original << " is not a bad record");
                const input& in = *it->second;
                auto& [count, first_error] = dlq_by_kind[in.kind];
                if (count++ == 0) first_error = std::string(**error);
                BOOST_TEST(m.payload() == in.value.value_or(""), in.kind << ": payload differs");
                BOOST_TEST((m.key() == in.key), in.kind << ": key differs");
                if (!in.value && m.has_payload()) ++tombstones_not_null;
              }
              const auto wm = co_await reader.async_watermarks(dlq, 0, {10s}, asio::use_awaitable);
              BOOST_TEST(wm.high == static_cast<std::int64_t>(bad));  // exactly the bad ones, no more
              co_await reader.async_close(asio::use_awaitable);
              app.stop();
            },
            asio::detached);
        co_await app.async_run(asio::use_awaitable);
        run_finished = true;
      },
      240s);

  std::multiset<int> expected(valid_seqs.begin(), valid_seqs.end());
  expected.insert(100001);
  BOOST_TEST(app_running_at_end);
  BOOST_TEST((handled_seqs == expected),
             "the handler saw " << handled_seqs.size() << " events, expected " << expected.size());
  BOOST_TEST(big_body == std::size_t{1} << 20);
  BOOST_TEST(stats.received == inputs.size() + 1);
  BOOST_TEST(stats.handled == valid_seqs.size() + 1);
  BOOST_TEST(stats.decode_failed == bad);
  BOOST_TEST(stats.failed == 0u);
  BOOST_TEST(stats.dead_lettered == bad);
  BOOST_TEST(stats.dead_letter_failed == 0u);
  BOOST_TEST(dead_letters == bad);
  for (const auto& [kind, entry] : dlq_by_kind)
    BOOST_TEST_MESSAGE("dead-lettered " << entry.first << " x " << kind << " (" << entry.second << ")");
  // A tombstone's dead letter is a tombstone too (null value, not an empty one).
  BOOST_TEST(tombstones_not_null == 0);
  // Each bad record was logged with its topic, partition and offset.
  std::size_t logged = 0;
  for (const auto& [offset, in] : bad_by_offset)
    logged += std::count_if(log_lines.begin(), log_lines.end(), [&, offset = offset](const std::string& line) {
                return line.find(topic + "[0]@" + std::to_string(offset) + ":") != std::string::npos;
              }) > 0;
  BOOST_TEST(logged == bad);

  // The group's committed offset is past everything, the bad records included.
  std::int64_t committed = -1;
  test::run(io, [&]() -> asio::awaitable<void> {
    asiokafka::consumer c(co_await asio::this_coro::executor, test::consumer_config(brokers, group));
    asiokafka::topic_partition_list query{{topic, 0}};  // a local: see README, Known limits (GCC 12)
    auto parts = co_await c.async_committed(std::move(query), {10s}, asio::use_awaitable);
    committed = parts.at(0).offset;
    co_await c.async_close(asio::use_awaitable);
  });
  BOOST_TEST(committed == static_cast<std::int64_t>(inputs.size() + 1));
  BOOST_TEST_MESSAGE("records " << inputs.size() + 1 << ", handled " << stats.handled << ", dead-lettered "
                                << stats.dead_lettered << ", committed offset " << committed);
}

BOOST_AUTO_TEST_SUITE_END()
