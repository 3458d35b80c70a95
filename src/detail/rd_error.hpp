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

/// Takes ownership of `e`.
inline void throw_if(rd_kafka_error_t* e, const std::string& what) {
  if (!e) return;
  const auto ec = make_kafka_error_code(rd_kafka_error_code(e));
  std::string text = what + ": " + rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  throw boost::system::system_error(ec, text);
}

}  // namespace asiokafka::detail
