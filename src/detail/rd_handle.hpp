// Shared ownership of one rd_kafka_t. The last owner (the client object or a message still held
// by the user) destroys it, so librdkafka never outlives nor is outlived by what refers into it.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>

namespace asiokafka::detail {

struct rd_handle {
  explicit rd_handle(rd_kafka_t* rk) noexcept : rk(rk) {}
  rd_handle(const rd_handle&) = delete;
  rd_handle& operator=(const rd_handle&) = delete;
  // A consumer that was not closed is destroyed without the blocking close (no commit, no
  // LeaveGroup): the abrupt path. Graceful close goes through async_close first.
  ~rd_handle() { rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE); }

  rd_kafka_t* const rk;
};

}  // namespace asiokafka::detail
