// asiokafka::message - a consumed Kafka record.
#pragma once

#include <asiokafka/error.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asiokafka {

namespace detail {
struct rd_handle;
class consumer_impl;
}  // namespace detail

/// One record header. `value` is empty (std::nullopt) for a header with a null value.
struct header_view {
  std::string_view name;
  std::optional<std::string_view> value;
};

enum class timestamp_type { not_available, create_time, log_append_time };

struct message_timestamp {
  timestamp_type type = timestamp_type::not_available;
  std::chrono::system_clock::time_point time{};
};

/// A consumed Kafka record: a move-only owner of librdkafka's message.
///
/// All views (topic, key, payload, headers) point into librdkafka's buffer and stay valid as
/// long as the message object lives, without copies. A message keeps the underlying client
/// handle alive, so it may outlive the consumer that produced it.
///
/// Thread safety: distinct objects may be used concurrently; one object is not synchronized.
class message {
 public:
  message() noexcept = default;
  // Moves and destruction are inline: a record is moved several times between librdkafka's
  // queue and its handler, and most of those leave an empty message behind.
  message(message&& other) noexcept
      : handle_(std::move(other.handle_)),
        event_(std::exchange(other.event_, nullptr)),
        msg_(std::exchange(other.msg_, nullptr)) {}
  message& operator=(message&& other) noexcept {
    if (this != &other) {
      if (event_) release();
      handle_ = std::move(other.handle_);
      event_ = std::exchange(other.event_, nullptr);
      msg_ = std::exchange(other.msg_, nullptr);
    }
    return *this;
  }
  message(const message&) = delete;
  message& operator=(const message&) = delete;
  ~message() {
    if (event_) release();
  }

  /// True when the object holds a record (a default-constructed or moved-from one does not).
  explicit operator bool() const noexcept { return msg_ != nullptr; }

  std::string_view topic() const noexcept;
  std::int32_t partition() const noexcept;
  std::int64_t offset() const noexcept;

  /// The key, or nullopt for a null key.
  std::optional<std::string_view> key() const noexcept;
  /// The value; an empty view for a null or empty value (see has_payload()).
  std::string_view payload() const noexcept;
  /// False for a null value (a tombstone).
  bool has_payload() const noexcept;

  message_timestamp timestamp() const noexcept;

  /// All headers, in record order. Allocates the returned vector; prefer header() for lookups.
  std::vector<header_view> headers() const;
  /// The last header with this name, or nullopt. A header with a null value yields an empty
  /// optional inside: `header("x")` engaged with `!header("x")->has_value()`.
  std::optional<std::optional<std::string_view>> header(std::string_view name) const noexcept;

  /// The per-message error librdkafka attached (e.g. partition EOF); success for a record.
  error_code error() const noexcept;

  /// "topic[partition]@offset": context for logs and errors.
  std::string describe() const;

  /// The underlying `rd_kafka_message_t*` (as void*), for interop with librdkafka's C API.
  /// Owned by this object.
  void* native_handle() const noexcept { return msg_; }

 private:
  // Made only by the consumer, from a librdkafka FETCH event holding exactly one message.
  friend class detail::consumer_impl;
  static message adopt_event(std::shared_ptr<detail::rd_handle> handle, void* event, const void* msg) noexcept;

  // Destroys the event (which owns the record) before the handle it points into.
  void release() noexcept;

  std::shared_ptr<detail::rd_handle> handle_;
  void* event_ = nullptr;
  void* msg_ = nullptr;
};

}  // namespace asiokafka
