// Helpers shared by asiokafka's own tests.
#pragma once

#include <string>

namespace asiokafka::test {

/// Bootstrap address of the real Apache Kafka broker started by scripts/kafka, read from
/// ASIOKAFKA_TEST_BROKERS (or the file named by ASIOKAFKA_TEST_BROKERS_FILE). Throws
/// std::runtime_error with instructions when neither is set.
std::string real_brokers();

/// A name unique to this process and call, for topics and groups: "<prefix>-<pid>-<n>-<ts>".
std::string unique_name(const std::string& prefix);

}  // namespace asiokafka::test
