#include <asiokafka/version.hpp>

#include <librdkafka/rdkafka.h>

namespace asiokafka {

std::string_view librdkafka_version() noexcept { return rd_kafka_version_str(); }

}  // namespace asiokafka
