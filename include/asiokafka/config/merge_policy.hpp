// Merge policies: for one key set at several scopes, which scope's value wins.
#pragma once

#include <asiokafka/config/config_scope.hpp>

#include <concepts>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asiokafka {

/// One scope's value for a key, as offered to a merge policy.
struct config_candidate {
  /// library_default, broker, producer or subscriber (never library_owned: owned keys are not
  /// merged).
  config_scope scope;
  std::string_view value;
};

/// What a merge policy type provides. A policy is consulted for every key that at least two
/// scopes set (except `group.instance.id` and `transactional.id`, which follow the
/// `static_id_policy`, and owned keys, which are fixed):
///
///  * `choose(key, candidates)` gets the canonical key and the candidates ordered lowest
///    scope first (library_default, broker, then the client's own scope: subscriber for a
///    consumer, producer for the shared producer, producer then subscriber for a subscriber's
///    transactional producer; only the scopes that set the key, at least two) and returns the
///    index of the winning candidate. It must be a pure
///    function of its arguments (compositions must be deterministic). An index out of range
///    makes composition throw `std::logic_error`.
///  * `name()` names the policy in `explain()`.
///  * optionally `name_for(key)`: the name of the rule applied to `key`, for policies that
///    delegate by key (as `per_key_policy` does).
///
/// Writing your own, e.g. "library defaults beat broker scope for client.id-like keys":
///
///     struct prefer_defaults {
///       std::size_t choose(std::string_view, std::span<const asiokafka::config_candidate> c) const {
///         return c.front().scope == asiokafka::config_scope::library_default ? 0 : c.size() - 1;
///       }
///       std::string_view name() const { return "prefer_defaults"; }
///     };
///     asiokafka::config_composer composer{broker_opts, prefer_defaults{}};
///
/// The returned string_views must stay valid as long as the policy object. A policy is moved
/// into the `merge_policy` that holds it and never copied or mutated afterwards.
template <class P>
concept merge_rule = requires(const P& p, std::string_view key, std::span<const config_candidate> candidates) {
  { p.choose(key, candidates) } -> std::convertible_to<std::size_t>;
  { p.name() } -> std::convertible_to<std::string_view>;
};

/// Default policy: the more specific scope wins (subscriber > producer > broker > library
/// default).
struct more_specific_wins {
  std::size_t choose(std::string_view key, std::span<const config_candidate> candidates) const;
  std::string_view name() const noexcept { return "more_specific_wins"; }
};

/// FastStream-compatible policy: a broker-scope value beats the subscriber's; a key the
/// broker scope does not set goes to the more specific remaining scope (subscriber >
/// library default). Does not apply to `group.instance.id` or `transactional.id`.
struct broker_scope_wins {
  std::size_t choose(std::string_view key, std::span<const config_candidate> candidates) const;
  std::string_view name() const noexcept { return "broker_scope_wins"; }
};

/// A merge policy held by value, type-erased, so a broker can store whichever policy the
/// user picked. Constructible (implicitly) from any `merge_rule` type; cheap to copy (the
/// policy object is shared and immutable).
class merge_policy {
 public:
  /// `more_specific_wins`.
  merge_policy() : merge_policy(more_specific_wins{}) {}

  // The self-exclusion comes first: checking merge_rule<merge_policy> would recurse.
  template <class P>
  requires(!std::same_as<std::remove_cvref_t<P>, merge_policy>) &&
      merge_rule<P> merge_policy(P rule)  // NOLINT(google-explicit-constructor): policies convert implicitly
      : impl_(std::make_shared<const model<P>>(std::move(rule))) {}

  /// Index of the winning candidate (see `merge_rule`). Throws std::logic_error if the
  /// policy returns an index out of range.
  std::size_t choose(std::string_view key, std::span<const config_candidate> candidates) const;
  /// The policy's name.
  std::string_view name() const noexcept { return impl_->name(); }
  /// The name of the rule applied to `key` (differs from `name()` for per-key policies).
  std::string_view name_for(std::string_view key) const { return impl_->name_for(key); }

 private:
  struct interface {
    virtual ~interface() = default;
    virtual std::size_t choose(std::string_view key, std::span<const config_candidate> candidates) const = 0;
    virtual std::string_view name() const noexcept = 0;
    virtual std::string_view name_for(std::string_view key) const = 0;
  };
  template <class P>
  struct model final : interface {
    explicit model(P r) : rule_(std::move(r)) {}
    std::size_t choose(std::string_view key, std::span<const config_candidate> candidates) const override {
      return rule_.choose(key, candidates);
    }
    std::string_view name() const noexcept override { return rule_.name(); }
    std::string_view name_for(std::string_view key) const override {
      if constexpr (requires {
                      { rule_.name_for(key) } -> std::convertible_to<std::string_view>;
                    })
        return rule_.name_for(key);
      else
        return rule_.name();
    }
    P rule_;
  };
  std::shared_ptr<const interface> impl_;
};

/// A policy per key, with a fallback for the others:
///
///     asiokafka::per_key_policy{asiokafka::more_specific_wins{}}
///         .set("client.id", asiokafka::broker_scope_wins{})
///
/// Keys are librdkafka property names; aliases are accepted (`metadata.broker.list` is
/// `bootstrap.servers`).
class per_key_policy {
 public:
  explicit per_key_policy(merge_policy fallback = more_specific_wins{});

  /// Uses `rule` for `key` (replacing an earlier rule for it). Throws std::invalid_argument
  /// for `group.instance.id` and `transactional.id`, which always follow the
  /// `static_id_policy`.
  per_key_policy& set(std::string_view key, merge_policy rule) &;
  per_key_policy set(std::string_view key, merge_policy rule) &&;

  std::size_t choose(std::string_view key, std::span<const config_candidate> candidates) const;
  std::string_view name() const noexcept { return "per_key_policy"; }
  /// The name of the rule for `key`, or of the fallback.
  std::string_view name_for(std::string_view key) const;

 private:
  const merge_policy& rule_for(std::string_view key) const;

  merge_policy fallback_;
  std::map<std::string, merge_policy, std::less<>> rules_;
};

}  // namespace asiokafka
