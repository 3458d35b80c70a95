// The exactly-once subscriber's transaction decisions, step by step, without Kafka or timers;
// the transaction error classification; and the exactly-once configuration errors a broker
// reports at startup (composition only: nothing connects).
#define BOOST_TEST_MODULE test_transaction_batch
#include <boost/test/unit_test.hpp>

#include <asiokafka/broker.hpp>

#include "broker/transaction_batch.hpp"

#include <boost/asio/io_context.hpp>

#include <librdkafka/rdkafka.h>

using namespace std::chrono_literals;
using namespace asiokafka::detail;
using asiokafka::error_code;
using asiokafka::topic_partition_list;
using asiokafka::transaction_error_class;
using clock_type = transaction_batch::clock;

namespace {

const clock_type::time_point t0 = clock_type::time_point(1h);

transaction_batch batch(std::size_t max_records = 3, std::chrono::milliseconds max_time = 100ms) {
  return transaction_batch({max_records, max_time});
}

std::int64_t offset_of(const topic_partition_list& l, const std::string& topic, std::int32_t partition) {
  for (const auto& p : l)
    if (p.topic == topic && p.partition == partition) return p.offset;
  return -99;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_transaction_batch)

BOOST_AUTO_TEST_CASE(first_record_opens_the_transaction_and_sets_its_deadline) {
  auto b = batch();
  BOOST_TEST(!b.open());
  BOOST_TEST((b.deadline() == clock_type::time_point::max()));
  BOOST_TEST(b.starting({"in", 0}, 10, t0));
  BOOST_TEST(b.open());
  BOOST_TEST(!b.starting({"in", 1}, 5, t0 + 10ms));  // already open
  BOOST_TEST((b.deadline() == t0 + 100ms));
  BOOST_TEST(!b.due(t0 + 99ms));
  BOOST_TEST(b.due(t0 + 100ms));
}

BOOST_AUTO_TEST_CASE(due_after_max_records_decided) {
  auto b = batch(3);
  for (std::int64_t o = 0; o < 3; ++o) {
    BOOST_TEST(!b.due(t0));
    b.starting({"in", 0}, o, t0);
    b.done({"in", 0}, o);
  }
  BOOST_TEST(b.records() == 3u);
  BOOST_TEST(b.due(t0));
}

BOOST_AUTO_TEST_CASE(offsets_are_the_next_to_consume_per_partition) {
  auto b = batch(100);
  b.starting({"in", 0}, 10, t0);
  b.starting({"in", 1}, 7, t0);
  b.starting({"other", 0}, 3, t0);  // started, not decided: not committed
  b.done({"in", 0}, 10);
  b.starting({"in", 0}, 11, t0);
  b.done({"in", 0}, 11);
  b.done({"in", 1}, 7);
  const auto offsets = b.offsets();
  BOOST_TEST(offsets.size() == 2u);
  BOOST_TEST(offset_of(offsets, "in", 0) == 12);
  BOOST_TEST(offset_of(offsets, "in", 1) == 8);
  BOOST_TEST(offset_of(offsets, "other", 0) == -99);
}

BOOST_AUTO_TEST_CASE(restart_points_are_each_partitions_first_record) {
  auto b = batch(100);
  b.starting({"in", 0}, 10, t0);
  b.done({"in", 0}, 10);
  b.starting({"in", 0}, 11, t0);
  b.starting({"in", 2}, 40, t0);
  const auto points = b.restart_points();
  BOOST_TEST(points.size() == 2u);
  BOOST_TEST(offset_of(points, "in", 0) == 10);
  BOOST_TEST(offset_of(points, "in", 2) == 40);
}

BOOST_AUTO_TEST_CASE(a_discarded_transaction_is_due_at_once) {
  auto b = batch(100, 10s);
  b.starting({"in", 0}, 1, t0);
  BOOST_TEST(!b.due(t0));
  b.discard();
  BOOST_TEST(b.discarded());
  BOOST_TEST(b.due(t0));
}

BOOST_AUTO_TEST_CASE(attempts_count_across_aborts_and_end_with_a_commit) {
  auto b = batch(100, 10s);
  b.starting({"in", 0}, 5, t0);
  BOOST_TEST(b.attempts({"in", 0}, 5) == 0);
  b.failed_attempt({"in", 0}, 5, 200ms);
  BOOST_TEST(b.discarded());
  BOOST_TEST(b.backoff() == 200ms);
  b.aborted();
  BOOST_TEST(!b.open());
  BOOST_TEST(!b.discarded());
  BOOST_TEST(b.backoff() == 0ms);
  BOOST_TEST(b.attempts({"in", 0}, 5) == 1);  // kept for the record handled again
  BOOST_TEST(b.attempts({"in", 0}, 6) == 0);
  BOOST_TEST(b.attempts({"in", 1}, 5) == 0);
  b.starting({"in", 0}, 5, t0);
  b.failed_attempt({"in", 0}, 5, 400ms);
  b.aborted();
  BOOST_TEST(b.attempts({"in", 0}, 5) == 2);
  b.starting({"in", 0}, 5, t0);
  b.done({"in", 0}, 5);
  b.committed();
  BOOST_TEST(b.attempts({"in", 0}, 5) == 0);
  BOOST_TEST(b.offsets().empty());
}

BOOST_AUTO_TEST_CASE(an_abort_forgets_the_transactions_records) {
  auto b = batch(100);
  b.starting({"in", 0}, 1, t0);
  b.done({"in", 0}, 1);
  b.discard();
  b.aborted();
  BOOST_TEST(b.records() == 0u);
  BOOST_TEST(b.offsets().empty());
  BOOST_TEST(b.restart_points().empty());
  BOOST_TEST(b.starting({"in", 0}, 1, t0 + 1s));  // opens a new one
  BOOST_TEST((b.deadline() == t0 + 1s + 100ms));
}

BOOST_AUTO_TEST_CASE(recovery_follows_librdkafkas_classification) {
  using asiokafka::make_transaction_error_code;
  const auto retriable = make_transaction_error_code(RD_KAFKA_RESP_ERR__TIMED_OUT, transaction_error_class::retriable);
  const auto abortable =
      make_transaction_error_code(RD_KAFKA_RESP_ERR_INVALID_TXN_STATE, transaction_error_class::abortable);
  const auto fatal = make_transaction_error_code(RD_KAFKA_RESP_ERR__FENCED, transaction_error_class::fatal);
  const auto unclassified = asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR__STATE);
  BOOST_TEST((recover_from(retriable, 1, 5) == transaction_recovery::retry));
  BOOST_TEST((recover_from(retriable, 5, 5) == transaction_recovery::abort));  // retries exhausted
  BOOST_TEST((recover_from(abortable, 1, 5) == transaction_recovery::abort));
  BOOST_TEST((recover_from(unclassified, 1, 5) == transaction_recovery::abort));
  BOOST_TEST((recover_from(fatal, 1, 5) == transaction_recovery::stop));
  // A call librdkafka never returned: its producer is replaced, whatever the attempt.
  const auto stalled = asiokafka::make_error_code(asiokafka::error::transaction_stalled);
  BOOST_TEST((recover_from(stalled, 1, 5) == transaction_recovery::replace_producer));
  BOOST_TEST((recover_from(stalled, 5, 5) == transaction_recovery::replace_producer));
}

BOOST_AUTO_TEST_CASE(transaction_errors_carry_their_class_and_librdkafkas_code) {
  using asiokafka::make_transaction_error_code;
  const auto fatal = make_transaction_error_code(RD_KAFKA_RESP_ERR_PRODUCER_FENCED, transaction_error_class::fatal);
  BOOST_TEST(asiokafka::is_fatal(fatal));
  BOOST_TEST(!asiokafka::is_retriable(fatal));
  BOOST_TEST(!asiokafka::requires_abort(fatal));
  BOOST_TEST(fatal.value() == RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
  BOOST_TEST(fatal.message().find("fatal") != std::string::npos);
  const auto abortable = make_transaction_error_code(RD_KAFKA_RESP_ERR__TIMED_OUT, transaction_error_class::abortable);
  BOOST_TEST(asiokafka::requires_abort(abortable));
  BOOST_TEST(!asiokafka::is_fatal(abortable));
  BOOST_TEST(!asiokafka::is_retriable(abortable));  // the class decides, not the code
  const auto retriable = make_transaction_error_code(RD_KAFKA_RESP_ERR__TIMED_OUT, transaction_error_class::retriable);
  BOOST_TEST(asiokafka::is_retriable(retriable));
  BOOST_TEST(std::string(retriable.category().name()) == "kafka.transaction.retriable");
  BOOST_TEST(!asiokafka::requires_abort(asiokafka::make_kafka_error_code(RD_KAFKA_RESP_ERR__TIMED_OUT)));
}

BOOST_AUTO_TEST_SUITE_END()

// Exactly-once configuration mistakes fail at startup (explain() composes what async_run
// composes), naming the key and the scope.
namespace {

struct exactly_once_config {
  boost::asio::io_context io;

  asiokafka::broker_options options() {
    asiokafka::broker_options o;
    o.config.bootstrap_servers = "127.0.0.1:9";  // never contacted
    o.config.group_id = "g";
    o.config.transactional_id = "pod-1";
    return o;
  }
  asiokafka::subscriber_options exactly_once(std::string name = "eos") {
    asiokafka::subscriber_options s;
    s.name = std::move(name);
    s.guarantee = asiokafka::processing_guarantee::exactly_once;
    return s;
  }
  // explain() of a broker with one subscriber; the config_error's what(), or "" if none.
  std::string error_of(const asiokafka::broker_options& o, const asiokafka::subscriber_options& s,
                       std::string* explained = nullptr) {
    asiokafka::broker app(io.get_executor(), o);
    app.subscriber<std::string>({"in"}, s, [](std::string) -> boost::asio::awaitable<void> { co_return; });
    try {
      auto text = app.explain();
      if (explained) *explained = text;
      return "";
    } catch (const asiokafka::config_error& e) {
      return e.what();
    }
  }
};

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_exactly_once_config, exactly_once_config)

BOOST_AUTO_TEST_CASE(valid_config_explains_the_derived_transactional_id_and_read_committed) {
  std::string text;
  BOOST_TEST(error_of(options(), exactly_once("orders"), &text) == "");
  BOOST_TEST_MESSAGE(text);
  BOOST_TEST(has(text, "pod-1-orders"));
  BOOST_TEST(has(text, "read_committed"));
  BOOST_TEST(has(text, "enable.auto.commit"));
}

BOOST_AUTO_TEST_CASE(no_transactional_id_names_the_key) {
  auto o = options();
  o.config.transactional_id.reset();
  const auto e = error_of(o, exactly_once());
  BOOST_TEST_MESSAGE(e);
  BOOST_TEST(has(e, "transactional.id"));
  BOOST_TEST(has(e, "eos"));
}

BOOST_AUTO_TEST_CASE(idempotence_disabled_names_the_key_and_scope) {
  auto s = exactly_once();
  s.config.raw["enable.idempotence"] = "false";
  const auto e = error_of(options(), s);
  BOOST_TEST_MESSAGE(e);
  BOOST_TEST(has(e, "enable.idempotence"));
  BOOST_TEST(has(e, "subscriber"));
}

BOOST_AUTO_TEST_CASE(ack_first_is_refused) {
  auto s = exactly_once();
  s.ack = asiokafka::ack_policy::ack_first;
  const auto e = error_of(options(), s);
  BOOST_TEST_MESSAGE(e);
  BOOST_TEST(has(e, "ack"));
  BOOST_TEST(has(e, "ack_first"));
  BOOST_TEST(has(e, "subscriber"));
}

BOOST_AUTO_TEST_CASE(zero_max_records_is_refused) {
  auto s = exactly_once();
  s.transaction.max_records = 0;
  BOOST_TEST(has(error_of(options(), s), "transaction.max_records"));
}

BOOST_AUTO_TEST_CASE(the_brokers_publisher_cannot_be_transactional) {
  auto o = options();
  o.producer_config.transactional_id = "publisher-1";
  try {
    asiokafka::broker app(io.get_executor(), o);
    BOOST_FAIL("a transactional publisher was accepted");
  } catch (const asiokafka::config_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_TEST(e.key() == "transactional.id");
    BOOST_TEST((e.scope() == asiokafka::config_scope::producer));
  }
}

BOOST_AUTO_TEST_CASE(at_least_once_subscribers_need_no_transactional_id) {
  auto o = options();
  o.config.transactional_id.reset();
  asiokafka::subscriber_options s;
  s.name = "plain";
  std::string text;
  BOOST_TEST(error_of(o, s, &text) == "");
  BOOST_TEST(!has(text, "transactional.id"));
}

BOOST_AUTO_TEST_SUITE_END()
