#include "admin/alter_configs.hpp"

namespace asiokafka::detail {

bool add_config_setting(rd_kafka_ConfigResource_t* resource, const std::string& key, const std::string& value) {
#if RD_KAFKA_VERSION >= 0x020200ff
  rd_kafka_error_t* error = rd_kafka_ConfigResource_add_incremental_config(
      resource, key.c_str(), RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET, value.c_str());
  if (error == nullptr) return true;
  rd_kafka_error_destroy(error);
  return false;
#else
  return rd_kafka_ConfigResource_set_config(resource, key.c_str(), value.c_str()) == RD_KAFKA_RESP_ERR_NO_ERROR;
#endif
}

void alter_configs(rd_kafka_t* rk, rd_kafka_ConfigResource_t** resources, std::size_t n,
                   const rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
#if RD_KAFKA_VERSION >= 0x020200ff
  rd_kafka_IncrementalAlterConfigs(rk, resources, n, options, queue);
#else
  rd_kafka_AlterConfigs(rk, resources, n, options, queue);
#endif
}

const rd_kafka_ConfigResource_t** altered_resources(rd_kafka_event_t* ev, std::size_t* n) {
#if RD_KAFKA_VERSION >= 0x020200ff
  return rd_kafka_IncrementalAlterConfigs_result_resources(rd_kafka_event_IncrementalAlterConfigs_result(ev), n);
#else
  return rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), n);
#endif
}

}  // namespace asiokafka::detail
