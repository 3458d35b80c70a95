#include <asiokafka/config/composed_config.hpp>

#include "config/property_catalog.hpp"

#include <asiokafka/config/redaction.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace asiokafka {
namespace {

using row = std::array<std::string, 4>;

row make_row(const composed_config::entry& e) {
  return {e.key, redact(e.key, e.value), std::string(to_string(e.scope)), e.note};
}

void append_table(std::string& out, const std::vector<row>& rows) {
  std::array<std::size_t, 3> width{};
  for (const auto& r : rows)
    for (std::size_t i = 0; i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  for (const auto& r : rows) {
    out += "  ";
    for (std::size_t i = 0; i < width.size(); ++i) {
      out += r[i];
      out.append(width[i] - r[i].size() + 2, ' ');
    }
    out += r[3];
    out += '\n';
  }
}

}  // namespace

composed_config::composed_config(std::string name, std::string title, std::vector<entry> entries,
                                 std::vector<entry> dropped)
    : name_(std::move(name)), title_(std::move(title)), entries_(std::move(entries)), dropped_(std::move(dropped)) {}

const composed_config::entry* composed_config::find(std::string_view key) const {
  const std::string_view canonical = detail::canonical_key(key);
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), canonical,
                                   [](const entry& e, std::string_view k) { return e.key < k; });
  return it != entries_.end() && it->key == canonical ? &*it : nullptr;
}

std::optional<std::string> composed_config::get(std::string_view key) const {
  if (const entry* e = find(key)) return e->value;
  return std::nullopt;
}

std::string composed_config::explain() const {
  std::string out = title_ + '\n';
  std::vector<row> rows{{"key", "value", "scope", "why"}};
  for (const auto& e : entries_) rows.push_back(make_row(e));
  append_table(out, rows);
  if (!dropped_.empty()) {
    out += "dropped (not passed to librdkafka):\n";
    std::vector<row> dropped_rows;
    for (const auto& e : dropped_) dropped_rows.push_back(make_row(e));
    append_table(out, dropped_rows);
  }
  return out;
}

}  // namespace asiokafka
