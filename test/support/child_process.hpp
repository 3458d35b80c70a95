// A test's helper process (posix_spawn, the test's environment), for the fault tests that
// SIGKILL and restart consumer processes. The helper dies with the test (process_guard.cpp in
// the helper reads ASIOKAFKA_TEST_PARENT_PID and sets PR_SET_PDEATHSIG), and a child object
// going out of scope (a failed BOOST_REQUIRE included) kills and reaps it.
#pragma once

#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace asiokafka::test {

/// Starts `args[0]` with `args`, in the test's environment plus `extra_env` ("NAME=value"
/// entries); fails the test when it cannot. PR_SET_PDEATHSIG follows the thread that spawned:
/// call it from a thread that lives as long as the helper (the test's main thread).
inline pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {}) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::string parent = "ASIOKAFKA_TEST_PARENT_PID=" + std::to_string(::getpid());
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "ASIOKAFKA_TEST_PARENT_PID=", 26) != 0) envp.push_back(*e);
  for (const auto& e : extra_env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(parent.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data());
  BOOST_REQUIRE_MESSAGE(rc == 0, "posix_spawn " << args[0] << ": " << std::strerror(rc));
  return pid;
}

/// One running helper process; SIGKILLed and reaped when destroyed while still running.
class child {
 public:
  child() = default;
  explicit child(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {})
      : pid_(spawn(args, extra_env)) {}
  child(child&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}
  child& operator=(child&& other) noexcept {
    if (this != &other) {
      reap(SIGKILL);
      pid_ = std::exchange(other.pid_, -1);
    }
    return *this;
  }
  ~child() { reap(SIGKILL); }

  pid_t pid() const noexcept { return pid_; }
  bool running() const noexcept { return pid_ > 0; }

  /// The wait status if the process has ended (it is then reaped), nothing while it runs.
  std::optional<int> exited() {
    int status = 0;
    if (pid_ <= 0 || ::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
    pid_ = -1;
    return status;
  }

  /// Sends `sig` and waits for the process to end; returns its wait status (-1: not running).
  int stop(int sig) { return reap(sig); }

 private:
  int reap(int sig) {
    if (pid_ <= 0) return -1;
    int status = 0;
    ::kill(pid_, sig);
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

  pid_t pid_ = -1;
};

}  // namespace asiokafka::test
