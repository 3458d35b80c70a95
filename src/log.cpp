#include <asiokafka/log.hpp>

#include <cstdio>
#include <string>

namespace asiokafka {

log_sink log_to_stderr(log_level threshold) {
  return [threshold](log_level level, std::string_view facility, std::string_view line) {
    if (level > threshold) return;
    std::fprintf(stderr, "asiokafka %d %.*s: %.*s\n", static_cast<int>(level), static_cast<int>(facility.size()),
                 facility.data(), static_cast<int>(line.size()), line.data());
  };
}

}  // namespace asiokafka
