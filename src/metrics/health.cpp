#include <asiokafka/health.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace asiokafka {

bool broker_health::healthy() const noexcept {
  for (const auto& s : subscribers)
    if (!s.running || !s.fatal_error.empty()) return false;
  return true;
}

std::string to_json(const broker_health& health) {
  boost::json::array subscribers;
  for (const auto& s : health.subscribers) {
    boost::json::object o;
    o["name"] = s.name;
    o["running"] = s.running;
    o["assigned_partitions"] = s.assigned_partitions;
    if (s.last_receive)
      o["last_receive_ms"] =
          std::chrono::duration_cast<std::chrono::milliseconds>(s.last_receive->time_since_epoch()).count();
    else
      o["last_receive_ms"] = nullptr;
    if (s.fatal_error.empty())
      o["fatal_error"] = nullptr;
    else
      o["fatal_error"] = s.fatal_error;
    subscribers.push_back(std::move(o));
  }
  boost::json::object root;
  root["healthy"] = health.healthy();
  root["subscribers"] = std::move(subscribers);
  return boost::json::serialize(root);
}

}  // namespace asiokafka
