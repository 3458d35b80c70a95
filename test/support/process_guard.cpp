// Linked into every test program and every helper process the fault tests spawn (not through
// the static support library: a static initializer there would be dropped by the linker).
//
// - A crash (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) on a thread of the program writes which
//   signal hit which thread and a backtrace to stderr, then ends the process with that signal,
//   so ctest reports the crash with the evidence. Boost.Test's own catching of system errors
//   is turned off: it jumps back into the main thread's test, undefined for a signal raised on
//   another thread. librdkafka's threads block every signal, so a crash there ends the process
//   without any handler: scripts/test shows the backtraces of the core file it leaves.
// - A helper started by test::spawn (which passes its pid in ASIOKAFKA_TEST_PARENT_PID) dies
//   with the test that started it (PR_SET_PDEATHSIG): a test that crashes or is killed by
//   ctest's timeout leaves no process behind that would hold ctest's output pipe open.
#include <execinfo.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

constexpr int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

void write_text(const char* text) {
  const std::size_t size = std::strlen(text);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(STDERR_FILENO, text + done, size - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// `value` in decimal, in `out`; std::to_chars neither allocates nor locks.
const char* decimal(long long value, char (&out)[24]) {
  *std::to_chars(out, out + sizeof out - 1, value).ptr = '\0';
  return out;
}

void on_crash(int sig) {
  char number[24];
  write_text("\n*** fatal signal ");
  write_text(decimal(sig, number));
  write_text(" (");
  write_text(sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
  write_text(") in process ");
  write_text(decimal(::getpid(), number));
  write_text(", thread ");
  write_text(decimal(static_cast<long long>(::syscall(SYS_gettid)), number));
  write_text("; backtrace:\n");
  void* frames[64];
  const int count = ::backtrace(frames, 64);
  ::backtrace_symbols_fd(frames, count, STDERR_FILENO);
  write_text("*** (addresses resolve with: addr2line -Cfpe <program> <offset>)\n");
  // SA_RESETHAND restored the default action: the process ends with this signal.
  ::raise(sig);
}

void install_crash_report() {
  // Loads what backtrace() needs now, not inside the handler.
  void* warm[1];
  ::backtrace(warm, 1);
  static char alternate_stack[64 * 1024];
  stack_t ss{};
  ss.ss_sp = alternate_stack;
  ss.ss_size = sizeof alternate_stack;
  ::sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_handler = on_crash;
  sa.sa_flags = SA_ONSTACK | SA_RESETHAND | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int sig : crash_signals) ::sigaction(sig, &sa, nullptr);
  // Read by Boost.Test when its main() starts, after this initializer; a value given by the
  // caller (environment or --catch_system_errors) wins.
  ::setenv("BOOST_TEST_CATCH_SYSTEM_ERRORS", "no", 0);
}

void die_with_parent() {
  const char* parent = std::getenv("ASIOKAFKA_TEST_PARENT_PID");
  if (!parent || !*parent) return;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died before prctl: then this process was already re-parented.
  if (std::to_string(::getppid()) != parent) {
    write_text("test helper: the test that started it is gone; exiting\n");
    std::_Exit(3);
  }
  ::unsetenv("ASIOKAFKA_TEST_PARENT_PID");  // not inherited by what this process starts
}

const bool guarded = [] {
  install_crash_report();
  die_with_parent();
  return true;
}();

}  // namespace
