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

/// Prints every thread's stack of this process to stderr (gdb -batch attached to it), headed
/// by `why`: what a test that waited in vain shows of where the process is stuck (a librdkafka
/// call that does not return, a coroutine waiting on nothing). Prints why it could not, when
/// gdb is missing or cannot attach.
void print_thread_stacks(const std::string& why);

}  // namespace asiokafka::test
