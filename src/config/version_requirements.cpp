#include "config/version_requirements.hpp"

#include <asiokafka/config/config_error.hpp>

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>

namespace asiokafka::detail {
namespace {

using namespace std::string_view_literals;

struct requirement {
  std::string_view key;
  librdkafka_version_number minimum;
  std::string_view what;
};

// Properties of the consumer group protocol of KIP-848 (Kafka 4.0): in librdkafka from 2.4,
// production-ready (and the only versions asiokafka tests it with) from 2.12.
constexpr std::array requirements{
    requirement{"group.protocol"sv, 0x020c00ff, "KIP-848's consumer group protocol"sv},
    requirement{"group.remote.assignor"sv, 0x020c00ff,
                "the broker-side assignor of KIP-848's consumer group protocol"sv},
};

}  // namespace

std::string librdkafka_version_name(librdkafka_version_number version) {
  std::string name = std::to_string((version >> 24) & 0xff) + "." + std::to_string((version >> 16) & 0xff) + "." +
                     std::to_string((version >> 8) & 0xff);
  if (const int pre = version & 0xff; pre != 0xff) name += "-pre" + std::to_string(pre);
  return name;
}

librdkafka_version_number running_librdkafka_version() noexcept { return rd_kafka_version(); }

void check_required_versions(std::span<const composed_config::entry> entries, librdkafka_version_number running,
                             std::string_view subscriber) {
  for (const auto& e : entries) {
    const auto r =
        std::find_if(requirements.begin(), requirements.end(), [&e](const requirement& q) { return q.key == e.key; });
    if (r == requirements.end() || running >= r->minimum) continue;
    throw config_error(e.key, e.scope, std::string(subscriber),
                       std::string(r->what) + " needs librdkafka " + librdkafka_version_name(r->minimum) +
                           " or newer; this process runs " + librdkafka_version_name(running) +
                           " (remove the key, or build asiokafka with a newer librdkafka: "
                           "docs/platform.md)");
  }
}

}  // namespace asiokafka::detail
