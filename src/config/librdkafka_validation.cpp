#include "config/librdkafka_validation.hpp"

#include <asiokafka/config/config_error.hpp>
#include <asiokafka/config/redaction.hpp>

#include <librdkafka/rdkafka.h>

#include <cctype>
#include <memory>
#include <string>

namespace asiokafka::detail {
namespace {

struct conf_deleter {
  void operator()(rd_kafka_conf_t* conf) const noexcept { rd_kafka_conf_destroy(conf); }
};

// librdkafka quotes values in some messages; a secret must not survive in them.
std::string without_secret(std::string message, const composed_config::entry& e) {
  if (!is_secret_key(e.key) || e.value.empty()) return message;
  static constexpr std::string_view mask = "[redacted]";
  for (auto pos = message.find(e.value); pos != std::string::npos; pos = message.find(e.value, pos + mask.size()))
    message.replace(pos, e.value.size(), mask);
  return message;
}

}  // namespace

void validate_with_librdkafka(std::span<const composed_config::entry> entries, std::string_view subscriber) {
  const std::unique_ptr<rd_kafka_conf_t, conf_deleter> conf(rd_kafka_conf_new());
  for (const auto& e : entries) {
    char errstr[512] = "";
    const rd_kafka_conf_res_t res =
        rd_kafka_conf_set(conf.get(), e.key.c_str(), e.value.c_str(), errstr, sizeof errstr);
    if (res == RD_KAFKA_CONF_OK) continue;
    std::string message = without_secret(errstr, e);
    while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) message.pop_back();
    const std::string detail = res == RD_KAFKA_CONF_UNKNOWN
                                   ? "librdkafka does not know this property: " + message
                                   : "librdkafka rejects the value \"" + redact(e.key, e.value) + "\": " + message;
    throw config_error(e.key, e.scope, std::string(subscriber), detail);
  }
}

std::optional<bool> librdkafka_bool(const std::string& key, const std::string& value) {
  const std::unique_ptr<rd_kafka_conf_t, conf_deleter> conf(rd_kafka_conf_new());
  char errstr[512] = "";
  if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
    return std::nullopt;
  char read_back[16] = "";
  std::size_t size = sizeof read_back;
  if (rd_kafka_conf_get(conf.get(), key.c_str(), read_back, &size) != RD_KAFKA_CONF_OK) return std::nullopt;
  return std::string_view(read_back) == "true";
}

}  // namespace asiokafka::detail
