// Log routing: librdkafka's log lines and asiokafka's own events go to a user sink.
#pragma once

#include <functional>
#include <string_view>

namespace asiokafka {

/// syslog levels, as librdkafka uses them.
enum class log_level { emergency = 0, alert, critical, error, warning, notice, info, debug };

/// A log sink: called on the client's executor with the level, a facility ("REBALANCE",
/// "COMMIT", librdkafka's facility names) and the line. Secrets are never passed here.
using log_sink = std::function<void(log_level level, std::string_view facility, std::string_view line)>;

/// Writes lines at `threshold` or more severe to stderr, prefixed with "asiokafka".
log_sink log_to_stderr(log_level threshold = log_level::warning);

}  // namespace asiokafka
