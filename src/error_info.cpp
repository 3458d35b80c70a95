#include <asiokafka/sinks.hpp>

#include <string>

namespace asiokafka {

std::string error_info::describe() const {
  std::string line(operation);
  if (!topic.empty()) {
    line.append(" ").append(topic);
    if (partition >= 0) line.append("[").append(std::to_string(partition)).append("]");
    if (offset != offsets::invalid) line.append("@").append(std::to_string(offset));
  }
  if (!detail.empty()) line.append(": ").append(detail);
  return line;
}

}  // namespace asiokafka
