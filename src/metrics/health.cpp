#include <asiokafka/health.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace asiokafka {

namespace {
std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
}  // namespace

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
      o["last_receive_ms"] = epoch_ms(*s.last_receive);
    else
      o["last_receive_ms"] = nullptr;
    if (s.fatal_error.empty())
      o["fatal_error"] = nullptr;
    else
      o["fatal_error"] = s.fatal_error;
    o["rebalances"] = s.rebalances;
    if (const auto& r = s.last_rebalance)
      o["last_rebalance"] = {{"at_ms", epoch_ms(r->at)},
                             {"kind", r->kind},
                             {"partitions", r->partitions},
                             {"assigned_after", r->assigned_after}};
    else
      o["last_rebalance"] = nullptr;
    if (s.last_rebalance_reason.empty())
      o["last_rebalance_reason"] = nullptr;
    else
      o["last_rebalance_reason"] = s.last_rebalance_reason;
    if (s.last_rebalance_age)
      o["last_rebalance_age_ms"] = s.last_rebalance_age->count();
    else
      o["last_rebalance_age_ms"] = nullptr;
    subscribers.push_back(std::move(o));
  }
  boost::json::object root;
  root["healthy"] = health.healthy();
  root["subscribers"] = std::move(subscribers);
  return boost::json::serialize(root);
}

}  // namespace asiokafka
