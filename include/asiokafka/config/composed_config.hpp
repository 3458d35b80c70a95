// The result of composition: the effective librdkafka configuration with its provenance.
#pragma once

#include <asiokafka/config/config_scope.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asiokafka {

class config_composer;

/// The effective configuration of one consumer or producer (shared or transactional),
/// validated by librdkafka, each key with the scope that set it and why. Produced by `config_composer`; immutable.
///
/// Values of secret keys (`is_secret_key`) are held as is, since librdkafka needs them;
/// `explain()` redacts them. Do not log `entry::value` without `redact`.
class composed_config {
 public:
  struct entry {
    /// Canonical librdkafka property name (aliases are resolved, see docs/config.md).
    std::string key;
    std::string value;
    /// The scope whose value this is. A derived group.instance.id or transactional.id has the
    /// scope of its base (broker for a broker-scope base or from_environment). A feature's
    /// default (`consumer_scope::defaults`) is `library_default`.
    config_scope scope;
    /// Why this value: the policy and the scopes it beat, the derivation, the owning
    /// feature's reason, or why the key was dropped. Contains no secret.
    std::string note;
  };

  /// Every effective key, sorted by key. These, and only these, are passed to librdkafka.
  const std::vector<entry>& entries() const noexcept { return entries_; }

  /// Keys a user set that do not apply to this client, sorted by key: broker-scope keys of the
  /// other kind of client (consumer-only keys for a producer, producer-only keys for a
  /// consumer), a transactional.id for a consumer or the shared producer, and the subscriber
  /// scope's consumer-only keys for a subscriber's transactional producer. Kept for
  /// `explain()`; never passed to librdkafka.
  const std::vector<entry>& dropped() const noexcept { return dropped_; }

  /// The effective entry for `key` (an alias finds its canonical key), or nullptr.
  const entry* find(std::string_view key) const;

  /// The effective value for `key`, or nullopt.
  std::optional<std::string> get(std::string_view key) const;

  /// A human-readable table, one line per key in `entries()` order — key, value, scope,
  /// why — followed by the dropped keys, if any. Secret values are "[redacted]".
  std::string explain() const;

  /// The subscriber's name (also for a subscriber's transactional producer); "" for the shared
  /// producer.
  const std::string& name() const noexcept { return name_; }

 private:
  friend class config_composer;
  composed_config(std::string name, std::string title, std::vector<entry> entries, std::vector<entry> dropped);

  std::string name_;
  std::string title_;
  std::vector<entry> entries_;
  std::vector<entry> dropped_;
};

}  // namespace asiokafka
