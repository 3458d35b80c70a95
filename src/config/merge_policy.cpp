#include <asiokafka/config/merge_policy.hpp>

#include "config/property_catalog.hpp"

#include <stdexcept>

namespace asiokafka {

std::size_t more_specific_wins::choose(std::string_view, std::span<const config_candidate> candidates) const {
  return candidates.size() - 1;
}

std::size_t broker_scope_wins::choose(std::string_view, std::span<const config_candidate> candidates) const {
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i].scope == config_scope::broker) return i;
  return candidates.size() - 1;
}

std::size_t merge_policy::choose(std::string_view key, std::span<const config_candidate> candidates) const {
  const std::size_t winner = impl_->choose(key, candidates);
  if (winner >= candidates.size())
    throw std::logic_error("merge policy \"" + std::string(name_for(key)) + "\" chose candidate " +
                           std::to_string(winner) + " of " + std::to_string(candidates.size()) + " for key \"" +
                           std::string(key) + "\"");
  return winner;
}

per_key_policy::per_key_policy(merge_policy fallback) : fallback_(std::move(fallback)) {}

per_key_policy& per_key_policy::set(std::string_view key, merge_policy rule) & {
  const std::string canonical(detail::canonical_key(key));
  if (canonical == "group.instance.id" || canonical == "transactional.id")
    throw std::invalid_argument("per_key_policy: " + canonical +
                                " cannot have a merge policy; it follows the static_id_policy");
  rules_.insert_or_assign(canonical, std::move(rule));
  return *this;
}

per_key_policy per_key_policy::set(std::string_view key, merge_policy rule) && {
  set(key, std::move(rule));
  return std::move(*this);
}

const merge_policy& per_key_policy::rule_for(std::string_view key) const {
  const auto it = rules_.find(detail::canonical_key(key));
  return it == rules_.end() ? fallback_ : it->second;
}

std::size_t per_key_policy::choose(std::string_view key, std::span<const config_candidate> candidates) const {
  return rule_for(key).choose(key, candidates);
}

std::string_view per_key_policy::name_for(std::string_view key) const { return rule_for(key).name_for(key); }

}  // namespace asiokafka
