// Which librdkafka version a property needs: asiokafka builds on librdkafka 2.0.2 and newer
// (docs/platform.md), and some properties exist, or are safe, only from a later version.
#pragma once

#include <asiokafka/config/composed_config.hpp>

#include <span>
#include <string>
#include <string_view>

namespace asiokafka::detail {

/// A version as rd_kafka_version() gives it: 0xMMmmrrpp (pp = 0xff for a release).
using librdkafka_version_number = int;

/// "2.14.2" for 0x020e02ff; a pre-release keeps its number ("2.4.0-pre3" for 0x02040003).
std::string librdkafka_version_name(librdkafka_version_number version);

/// The version of the librdkafka this process runs (rd_kafka_version()).
librdkafka_version_number running_librdkafka_version() noexcept;

/// Throws config_error for the first entry whose property needs a newer librdkafka than
/// `running`, naming the key, the entry's scope, `subscriber`, the version needed and the
/// version running (for example group.protocol, KIP-848's consumer group protocol: librdkafka
/// has it from 2.4 and calls it production-ready from 2.12, which asiokafka requires).
void check_required_versions(std::span<const composed_config::entry> entries, librdkafka_version_number running,
                             std::string_view subscriber);

}  // namespace asiokafka::detail
