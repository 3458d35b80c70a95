// librdkafka LOG events (log.queue=true) forwarded to the user's log sink.
#pragma once

#include <asiokafka/log.hpp>

#include <librdkafka/rdkafka.h>

#include <algorithm>

namespace asiokafka::detail {

inline void forward_log_event(rd_kafka_event_t* ev, const log_sink& sink) {
  const char* facility = "";
  const char* line = "";
  int level = static_cast<int>(log_level::info);
  if (sink && rd_kafka_event_log(ev, &facility, &line, &level) == 0)
    sink(static_cast<log_level>(std::clamp(level, 0, 7)), facility, line);
}

}  // namespace asiokafka::detail
