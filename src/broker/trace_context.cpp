#include <asiokafka/trace_context.hpp>

#include <algorithm>
#include <random>

namespace asiokafka {

namespace {

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is invalid in traceparent
}

template <std::size_t N>
bool parse_hex(std::string_view text, std::array<std::uint8_t, N>& out) noexcept {
  if (text.size() != 2 * N) return false;
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = hex_digit(text[2 * i]);
    const int lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& id) noexcept {
  return std::all_of(id.begin(), id.end(), [](std::uint8_t b) { return b == 0; });
}

// Writes the bytes as lowercase hex at `out` (2 characters per byte); returns the end.
template <std::size_t N>
char* write_hex(char* out, const std::array<std::uint8_t, N>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  for (const auto b : bytes) {
    *out++ = digits[b >> 4];
    *out++ = digits[b & 0xf];
  }
  return out;
}

template <std::size_t N>
void append_hex(std::string& out, const std::array<std::uint8_t, N>& bytes) {
  const std::size_t at = out.size();
  out.resize(at + 2 * N);
  write_hex(out.data() + at, bytes);
}

// Ids must be unpredictable enough not to collide across processes; a per-thread engine
// seeded by the operating system keeps the hot path free of locks and system calls.
template <std::size_t N>
void fill_random_nonzero(std::array<std::uint8_t, N>& id) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  do {
    for (std::size_t i = 0; i < N; i += 8) {
      const std::uint64_t r = engine();
      for (std::size_t j = 0; j < 8 && i + j < N; ++j) id[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
    }
  } while (all_zero(id));
}

}  // namespace

std::optional<trace_context> trace_context::parse(std::string_view traceparent, std::string_view tracestate) {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters.
  constexpr std::size_t length = 55;
  if (traceparent.size() < length) return std::nullopt;
  if (traceparent[2] != '-' || traceparent[35] != '-' || traceparent[52] != '-') return std::nullopt;
  std::array<std::uint8_t, 1> version{};
  std::array<std::uint8_t, 1> flags{};
  trace_context out;
  if (!parse_hex(traceparent.substr(0, 2), version) || version[0] == 0xff) return std::nullopt;
  // Version 00 has exactly four fields; a later version may append fields after a '-'.
  if (version[0] == 0 ? traceparent.size() != length : traceparent.size() > length && traceparent[length] != '-')
    return std::nullopt;
  if (!parse_hex(traceparent.substr(3, 32), out.trace_id_) || !parse_hex(traceparent.substr(36, 16), out.span_id_) ||
      !parse_hex(traceparent.substr(53, 2), flags))
    return std::nullopt;
  if (all_zero(out.trace_id_) || all_zero(out.span_id_)) return std::nullopt;
  out.flags_ = flags[0];
  out.state_ = std::string(tracestate);
  return out;
}

trace_context trace_context::new_root() {
  trace_context out;
  fill_random_nonzero(out.trace_id_);
  fill_random_nonzero(out.span_id_);
  out.flags_ = 1;
  return out;
}

trace_context trace_context::child() const {
  trace_context out = *this;
  fill_random_nonzero(out.span_id_);
  return out;
}

// "00-<32 hex>-<16 hex>-<2 hex>": 55 characters, written in place (a publish writes one).
std::string trace_context::traceparent() const {
  std::string out(55, '-');
  char* p = out.data();
  *p++ = '0';
  *p++ = '0';
  p = write_hex(p + 1, trace_id_);
  p = write_hex(p + 1, span_id_);
  write_hex(p + 1, std::array<std::uint8_t, 1>{flags_});
  return out;
}

std::string trace_context::trace_id_hex() const {
  std::string out;
  append_hex(out, trace_id_);
  return out;
}

std::string trace_context::span_id_hex() const { return hex(span_id_); }

std::string trace_context::hex(const span_id_type& id) {
  std::string out;
  append_hex(out, id);
  return out;
}

}  // namespace asiokafka
