// asiokafka's error codes: its own category, the one mapping librdkafka's codes, and the
// fatal / retriable helpers applications branch on.
#define BOOST_TEST_MODULE test_error
#include <boost/test/unit_test.hpp>

#include <asiokafka/error.hpp>

#include <boost/asio/error.hpp>
#include <librdkafka/rdkafka.h>

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
  for (rd_kafka_resp_err_t code : {RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID,
                                   RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART}) {
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

BOOST_AUTO_TEST_SUITE_END()
