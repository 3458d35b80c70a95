// A partition as a map key: owned (topic string, partition) for storage, a view for lookups
// that allocate nothing, and one ordering for both.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace asiokafka::detail {

using partition_key = std::pair<std::string, std::int32_t>;
using partition_view = std::pair<std::string_view, std::int32_t>;

/// Orders keys and views alike (is_transparent), so a map keyed by partition_key finds a view.
struct partition_less {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    const std::string_view at(a.first), bt(b.first);
    return at < bt || (at == bt && a.second < b.second);
  }
};

}  // namespace asiokafka::detail
