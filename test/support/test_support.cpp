#include "test_support.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace asiokafka::test {

std::string real_brokers() {
  if (const char* brokers = std::getenv("ASIOKAFKA_TEST_BROKERS"); brokers && *brokers) return brokers;
  if (const char* file = std::getenv("ASIOKAFKA_TEST_BROKERS_FILE"); file && *file) {
    std::ifstream in(file);
    std::string line;
    if (std::getline(in, line) && !line.empty()) return line;
  }
  throw std::runtime_error(
      "real_broker test needs a Kafka broker: run it through scripts/test, or start one with "
      "`scripts/kafka start` and export ASIOKAFKA_TEST_BROKERS=<host:port>");
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  const auto ts =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(ts % 100000000);
}

}  // namespace asiokafka::test
