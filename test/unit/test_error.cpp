// asiokafka's error codes: its own category, the one mapping librdkafka's codes, and the
// fatal / retriable helpers applications branch on.
#define BOOST_TEST_MODULE test_error
#include <boost/test/unit_test.hpp>

#include <asiokafka/config/config_error.hpp>
#include <asiokafka/error.hpp>
#include <asiokafka/sinks.hpp>

#include <librdkafka/rdkafka.h>
#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <set>
#include <string>

using asiokafka::error;
using asiokafka::error_code;
using asiokafka::make_kafka_error_code;

BOOST_AUTO_TEST_SUITE(test_error)

BOOST_AUTO_TEST_CASE(own_codes_have_distinct_messages_in_the_asiokafka_category) {
  const error all[] = {error::closed,          error::fatal,        error::invalid_config, error::decode_failed,
                       error::already_pending, error::not_assigned, error::hook_failed,    error::encode_failed};
  std::set<std::string> messages;
  for (error e : all) {
    const error_code ec = e;  // implicit: error is an error code enum
    BOOST_TEST(std::string(ec.category().name()) == "asiokafka");
    BOOST_TEST(ec.message().find("unknown") == std::string::npos, ec.message());
    messages.insert(ec.message());
  }
  BOOST_TEST(messages.size() == std::size(all));
  BOOST_TEST((error_code(error::closed) == error::closed));
  BOOST_TEST((error_code(error::closed) != error::fatal));
}

BOOST_AUTO_TEST_CASE(librdkafka_codes_keep_their_value_and_text) {
  BOOST_TEST(!make_kafka_error_code(RD_KAFKA_RESP_ERR_NO_ERROR));
  for (rd_kafka_resp_err_t code :
       {RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART}) {
    const error_code ec = make_kafka_error_code(code);
    BOOST_TEST(std::string(ec.category().name()) == "kafka");
    BOOST_TEST(ec.value() == static_cast<int>(code));
    BOOST_TEST(ec.message() == rd_kafka_err2str(code));
  }
}

BOOST_AUTO_TEST_CASE(fatal_and_retriable_are_told_apart) {
  const error_code fenced = make_kafka_error_code(RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID);
  const error_code transport = make_kafka_error_code(RD_KAFKA_RESP_ERR__TRANSPORT);
  const error_code leader_moved = make_kafka_error_code(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  const error_code bad_message = make_kafka_error_code(RD_KAFKA_RESP_ERR_INVALID_MSG);
  const error_code aborted = boost::asio::error::operation_aborted;

  BOOST_TEST(asiokafka::is_fatal(fenced));
  BOOST_TEST(asiokafka::is_fatal(make_kafka_error_code(RD_KAFKA_RESP_ERR__FATAL)));
  BOOST_TEST(asiokafka::is_fatal(error_code(error::fatal)));
  BOOST_TEST(!asiokafka::is_fatal(transport));
  BOOST_TEST(!asiokafka::is_fatal(error_code(error::closed)));
  BOOST_TEST(!asiokafka::is_fatal(aborted));
  BOOST_TEST(!asiokafka::is_fatal(error_code{}));

  BOOST_TEST(asiokafka::is_retriable(transport));
  BOOST_TEST(asiokafka::is_retriable(leader_moved));
  BOOST_TEST(asiokafka::is_retriable(make_kafka_error_code(RD_KAFKA_RESP_ERR__TIMED_OUT)));
  BOOST_TEST(!asiokafka::is_retriable(fenced));
  BOOST_TEST(!asiokafka::is_retriable(bad_message));
  BOOST_TEST(!asiokafka::is_retriable(error_code(error::closed)));
  BOOST_TEST(!asiokafka::is_retriable(aborted));
  BOOST_TEST(!asiokafka::is_retriable(error_code{}));
}

// One test for a timeout, whatever carried it: the kafka category, a transaction category,
// asiokafka's own request timeout. Other generic meanings likewise; codes without one compare
// equal to no generic condition.
BOOST_AUTO_TEST_CASE(codes_compare_equal_to_their_generic_conditions_in_every_category) {
  namespace errc = boost::system::errc;
  using asiokafka::make_transaction_error_code;
  using asiokafka::transaction_error_class;
  BOOST_TEST((make_kafka_error_code(RD_KAFKA_RESP_ERR__TIMED_OUT) == errc::timed_out));
  BOOST_TEST((make_kafka_error_code(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT) == errc::timed_out));
  BOOST_TEST((make_kafka_error_code(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT) == errc::timed_out));
  for (const auto c :
       {transaction_error_class::retriable, transaction_error_class::abortable, transaction_error_class::fatal}) {
    BOOST_TEST((make_transaction_error_code(RD_KAFKA_RESP_ERR__TIMED_OUT, c) == errc::timed_out));
    BOOST_TEST((make_transaction_error_code(RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, c) ==
                errc::permission_denied));
  }
  BOOST_TEST((error_code(error::timeout) == errc::timed_out));
  BOOST_TEST((error_code(error::invalid_config) == errc::invalid_argument));
  BOOST_TEST((make_kafka_error_code(RD_KAFKA_RESP_ERR__AUTHENTICATION) == errc::permission_denied));
  BOOST_TEST((make_kafka_error_code(RD_KAFKA_RESP_ERR__QUEUE_FULL) == errc::no_buffer_space));
  BOOST_TEST((make_kafka_error_code(RD_KAFKA_RESP_ERR__TRANSPORT) == errc::connection_reset));
  BOOST_TEST((make_kafka_error_code(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) == errc::not_connected));
  BOOST_TEST((make_kafka_error_code(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) == errc::message_size));
  BOOST_TEST((make_kafka_error_code(RD_KAFKA_RESP_ERR__PURGE_QUEUE) == errc::operation_canceled));
  // No generic meaning: equal to none of them, and still to itself.
  const error_code fenced = make_kafka_error_code(RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID);
  BOOST_TEST((fenced != errc::timed_out));
  BOOST_TEST((fenced != errc::permission_denied));
  BOOST_TEST((fenced == make_kafka_error_code(RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID)));
  BOOST_TEST((error_code(error::closed) != errc::timed_out));
}

// One exception hierarchy: a config_error is a system_error with code invalid_config, and its
// what() stays the one sentence naming key and scope.
BOOST_AUTO_TEST_CASE(a_config_error_is_a_system_error_with_its_sentence) {
  try {
    throw asiokafka::config_error("linger.ms", asiokafka::config_scope::subscriber, "orders", "producer-only key");
  } catch (const boost::system::system_error& e) {
    BOOST_TEST((e.code() == error::invalid_config));
    BOOST_TEST(std::string(e.what()) ==
               R"(config error: key "linger.ms" at subscriber scope (subscriber "orders"): producer-only key)");
    const auto* config = dynamic_cast<const asiokafka::config_error*>(&e);
    BOOST_REQUIRE(config != nullptr);
    BOOST_TEST(config->key() == "linger.ms");
  }
}

// An error sink's error_info: the context is fields (operation, topic, partition, offset,
// detail), and describe() is the line the clients log without a sink.
BOOST_AUTO_TEST_CASE(error_info_describes_what_is_set) {
  using asiokafka::error_info;
  const auto code = make_kafka_error_code(RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE);
  BOOST_TEST(
      (error_info{.code = code, .operation = "fetch", .topic = "orders", .partition = 3, .offset = 42}.describe() ==
       "fetch orders[3]@42"));
  BOOST_TEST((error_info{.code = code, .operation = "delivery", .topic = "orders"}.describe() == "delivery orders"));
  BOOST_TEST((error_info{.code = code, .operation = "delivery", .topic = "orders", .partition = 0}.describe() ==
              "delivery orders[0]"));
  BOOST_TEST((error_info{.code = code, .operation = "commit", .detail = "before revoking orders[0,1]"}.describe() ==
              "commit: before revoking orders[0,1]"));
  BOOST_TEST((error_info{.code = code, .operation = "client"}.describe() == "client"));
  const error_info defaults{};
  BOOST_TEST(defaults.partition == -1);
  BOOST_TEST(defaults.offset == asiokafka::offsets::invalid);
  BOOST_TEST(!defaults.code);
}

BOOST_AUTO_TEST_SUITE_END()
