// Starting a test's helper process (posix_spawn, the test's environment), for the fault tests
// that SIGKILL and restart a consumer process.
#pragma once

#include <boost/test/unit_test.hpp>

#include <spawn.h>
#include <sys/types.h>

#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace asiokafka::test {

/// Starts `args[0]` with `args`, in the test's environment plus `extra_env` ("NAME=value"
/// entries); fails the test when it cannot.
inline pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {}) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  for (const auto& e : extra_env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data());
  BOOST_REQUIRE_MESSAGE(rc == 0, "posix_spawn " << args[0] << ": " << std::strerror(rc));
  return pid;
}

}  // namespace asiokafka::test
