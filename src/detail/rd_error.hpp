// librdkafka's synchronous failures as exceptions, for the client calls documented to throw
// (subscribe, assign, pause, seek, ...): the error code with what was attempted.
#pragma once

#include <asiokafka/error.hpp>

#include <boost/system/system_error.hpp>

#include <librdkafka/rdkafka.h>

#include <string>

namespace asiokafka::detail {

inline void throw_if(rd_kafka_resp_err_t err, const std::string& what) {
  if (err) throw boost::system::system_error(make_kafka_error_code(err), what);
}

/// A transaction call's error with librdkafka's classification (transaction_error_class);
/// unclassified errors stay in kafka_category(). Does not take ownership of `e`.
inline error_code transaction_error(const rd_kafka_error_t* e) noexcept {
  if (!e) return {};
  const int code = rd_kafka_error_code(e);
  if (rd_kafka_error_is_fatal(e)) return make_transaction_error_code(code, transaction_error_class::fatal);
  if (rd_kafka_error_txn_requires_abort(e))
    return make_transaction_error_code(code, transaction_error_class::abortable);
  if (rd_kafka_error_is_retriable(e)) return make_transaction_error_code(code, transaction_error_class::retriable);
  return make_kafka_error_code(code);
}

/// Takes ownership of `e`.
inline void throw_if(rd_kafka_error_t* e, const std::string& what) {
  if (!e) return;
  const auto ec = transaction_error(e);
  std::string text = what + ": " + rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  throw boost::system::system_error(ec, text);
}

}  // namespace asiokafka::detail
