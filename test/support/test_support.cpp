#include "test_support.hpp"

#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

void print_thread_stacks(const std::string& why) {
  std::fprintf(stderr, "==> %s: the stacks of every thread of process %d\n", why.c_str(), static_cast<int>(::getpid()));
  std::fflush(stderr);
  // Where Yama restricts ptrace to ancestors, the process allows its own debugger.
  ::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
  const std::string pid = std::to_string(::getpid());
  const char* argv[] = {"gdb", "-batch", "-nx", "-p", pid.c_str(), "-ex", "thread apply all bt 40", nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);  // gdb's output with the test's
  pid_t child = 0;
  const int rc = ::posix_spawnp(&child, "gdb", &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    std::fprintf(stderr, "no stacks: cannot start gdb: %s\n", std::strerror(rc));
    return;
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::fprintf(stderr, "gdb ended with status %d\n", status);
}

}  // namespace asiokafka::test
