#include "detail/rd_conf.hpp"

#include <asiokafka/config.hpp>

#include "config/property_catalog.hpp"

#include <cstdlib>
#include <string>

namespace asiokafka::detail {

rd_conf_ptr make_rd_conf(const composed_config& config, std::optional<client_kind> only_for) {
  rd_conf_ptr conf(rd_kafka_conf_new());
  char errstr[512];
  for (const auto& e : config.entries()) {
    if (only_for && !applies_to(*only_for, e.key)) continue;
    if (rd_kafka_conf_set(conf.get(), e.key.c_str(), e.value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      throw config_error(e.key, e.scope, config.name(), "librdkafka rejected the key: " + redact(e.key, errstr));
    }
  }
  return conf;
}

long long conf_int(const rd_kafka_conf_t* conf, const char* key, long long fallback) {
  char buf[64];
  size_t size = sizeof buf;
  if (rd_kafka_conf_get(conf, key, buf, &size) != RD_KAFKA_CONF_OK) return fallback;
  char* end = nullptr;
  const long long v = std::strtoll(buf, &end, 10);
  return end == buf ? fallback : v;
}

bool conf_bool(const rd_kafka_conf_t* conf, const char* key, bool fallback) {
  char buf[16];
  size_t size = sizeof buf;
  if (rd_kafka_conf_get(conf, key, buf, &size) != RD_KAFKA_CONF_OK) return fallback;
  return std::string(buf) == "true";
}

}  // namespace asiokafka::detail
