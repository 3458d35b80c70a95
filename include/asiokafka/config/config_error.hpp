// The exception thrown when a configuration cannot be composed.
#pragma once

#include <asiokafka/config/config_scope.hpp>
#include <asiokafka/error.hpp>

#include <boost/system/system_error.hpp>

#include <string>

namespace asiokafka {

/// A configuration that asiokafka refuses: conflicting values within a scope, a user value
/// for a key the library owns, an invalid or duplicate `group.instance.id`, a key or value
/// librdkafka rejects, ...
///
/// `what()` is one sentence naming the key, the scope and (when known) the subscriber:
///
///     config error: key "group.instance.id" at subscriber scope (subscriber "orders"): ...
///
/// Secrets never appear in it: every value of a secret key (see `is_secret_key`) is shown
/// as "[redacted]".
///
/// It is a boost::system::system_error with code() `error::invalid_config`, as the clients'
/// own errors are, so one `catch (const boost::system::system_error&)` takes both; what() is
/// the sentence above, without system_error's appended message.
class config_error : public boost::system::system_error {
 public:
  /// `key` may be empty when the problem is not about one key (e.g. a duplicate subscriber
  /// name); `subscriber` is empty for broker-wide problems and for producers. `detail`
  /// explains the problem and must already be redacted (callers pass values through
  /// `redact`).
  config_error(std::string key, config_scope scope, std::string subscriber, const std::string& detail);

  /// The librdkafka property concerned (canonical name, see docs/config.md), or "".
  const std::string& key() const noexcept { return key_; }
  /// The scope whose value is at fault.
  config_scope scope() const noexcept { return scope_; }
  /// The subscriber whose configuration was being composed, or "".
  const std::string& subscriber() const noexcept { return subscriber_; }
  const char* what() const noexcept override { return sentence_.c_str(); }

 private:
  std::string sentence_;
  std::string key_;
  config_scope scope_;
  std::string subscriber_;
};

}  // namespace asiokafka
