// The record of the fault and failover tests' streams: a sequence number, so the tests can
// count what was lost and what was handled twice, and a body to give it a realistic size.
#pragma once

#include <boost/describe/class.hpp>

#include <cstdint>
#include <string>

namespace asiokafka::test {

struct sequenced_event {
  std::int64_t seq = 0;
  std::string body;
};
BOOST_DESCRIBE_STRUCT(sequenced_event, (), (seq, body))

}  // namespace asiokafka::test
