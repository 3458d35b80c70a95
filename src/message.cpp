#include <asiokafka/message.hpp>

#include "detail/rd_handle.hpp"

#include <librdkafka/rdkafka.h>

namespace asiokafka {
namespace {
const rd_kafka_message_t* rdm(void* p) noexcept { return static_cast<const rd_kafka_message_t*>(p); }
}  // namespace

void message::release() noexcept {
  rd_kafka_event_destroy(static_cast<rd_kafka_event_t*>(event_));
  event_ = nullptr;
  msg_ = nullptr;
  handle_.reset();
}

message message::adopt_event(std::shared_ptr<detail::rd_handle> handle, void* event, const void* msg) noexcept {
  message m;
  m.handle_ = std::move(handle);
  m.event_ = event;
  m.msg_ = const_cast<void*>(msg);
  return m;
}

std::string_view message::topic() const noexcept {
  return msg_ && rdm(msg_)->rkt ? std::string_view(rd_kafka_topic_name(rdm(msg_)->rkt)) : std::string_view();
}
std::int32_t message::partition() const noexcept { return msg_ ? rdm(msg_)->partition : -1; }
std::int64_t message::offset() const noexcept { return msg_ ? rdm(msg_)->offset : RD_KAFKA_OFFSET_INVALID; }

std::optional<std::string_view> message::key() const noexcept {
  if (!msg_ || !rdm(msg_)->key) return std::nullopt;
  return std::string_view(static_cast<const char*>(rdm(msg_)->key), rdm(msg_)->key_len);
}

std::string_view message::payload() const noexcept {
  if (!msg_ || !rdm(msg_)->payload) return {};
  return {static_cast<const char*>(rdm(msg_)->payload), rdm(msg_)->len};
}

bool message::has_payload() const noexcept { return msg_ && rdm(msg_)->payload; }

message_timestamp message::timestamp() const noexcept {
  if (!msg_) return {};
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const std::int64_t ms = rd_kafka_message_timestamp(rdm(msg_), &type);
  message_timestamp ts;
  switch (type) {
    case RD_KAFKA_TIMESTAMP_CREATE_TIME:
      ts.type = timestamp_type::create_time;
      break;
    case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME:
      ts.type = timestamp_type::log_append_time;
      break;
    default:
      return ts;
  }
  ts.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
  return ts;
}

std::vector<header_view> message::headers() const {
  std::vector<header_view> out;
  rd_kafka_headers_t* hdrs = nullptr;
  if (!msg_ || rd_kafka_message_headers(rdm(msg_), &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    header_view h{name, std::nullopt};
    if (value) h.value = std::string_view(static_cast<const char*>(value), size);
    out.push_back(h);
  }
  return out;
}

std::optional<std::optional<std::string_view>> message::header(std::string_view name) const noexcept {
  rd_kafka_headers_t* hdrs = nullptr;
  if (!msg_ || rd_kafka_message_headers(rdm(msg_), &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  std::optional<std::optional<std::string_view>> found;
  const char* hname = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &hname, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    if (name != hname) continue;
    if (value)
      found.emplace(std::string_view(static_cast<const char*>(value), size));
    else
      found.emplace(std::nullopt);
  }
  return found;
}

error_code message::error() const noexcept { return msg_ ? make_kafka_error_code(rdm(msg_)->err) : error_code{}; }

std::string message::describe() const {
  return std::string(topic()) + "[" + std::to_string(partition()) + "]@" + std::to_string(offset());
}

}  // namespace asiokafka
