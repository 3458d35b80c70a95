// What the C++ bench programs share: the record type, its payload, clocks, latency samples and
// the one-line JSON result the bench driver (bench/run.py) reads from stdout.
#pragma once

#include <boost/describe.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

// The typed message every decoding contestant decodes into (FastStream: the same pydantic
// model, bench/faststream_sub.py).
struct person {
  std::string name;
  int age = 0;
  std::string pad;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, age, pad))

inline constexpr std::size_t payload_size = 100;

// {"name":"user-0000042","age":60,"pad":"xxxx..."}: exactly payload_size bytes.
inline std::string make_payload(std::uint64_t i) {
  char head[64];
  const int n = std::snprintf(head, sizeof head, R"({"name":"user-%07llu","age":%d,"pad":")",
                              static_cast<unsigned long long>(i % 10000000), static_cast<int>(18 + i % 80));
  std::string out(head, static_cast<std::size_t>(n));
  out.append(payload_size - out.size() - 2, 'x');
  out += "\"}";
  return out;
}

// The bench::person whose JSON is make_payload(i): what the publish contestants encode.
inline person make_person(std::uint64_t i) {
  person p;
  char name[32];
  std::snprintf(name, sizeof name, "user-%07llu", static_cast<unsigned long long>(i % 10000000));
  p.name = name;
  p.age = static_cast<int>(18 + i % 80);
  const std::size_t head = std::string_view(R"({"name":"user-0000000","age":00,"pad":")").size();
  p.pad.assign(payload_size - head - 2, 'x');
  return p;
}

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CLOCK_MONOTONIC in ns: the latency run's producer (bench/raw_poll.c, the same clock) and
// consumers run on one host, where this clock is shared by every process and not stepped by NTP.
inline std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline double cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// Counts what a contestant consumed and checks that it is the whole topic exactly once, in
// partition order (the sum of next offsets equals the count when every partition was read
// from offset 0 to its end without gaps or duplicates).
class tally {
 public:
  void add(std::int32_t partition, std::int64_t offset, std::size_t bytes) {
    if (count_ == 0) first_s_ = now_s();
    ++count_;
    bytes_ += static_cast<std::int64_t>(bytes);
    if (partition >= 0 && static_cast<std::size_t>(partition) < next_.size()) {
      if (offset != next_[static_cast<std::size_t>(partition)]) ++out_of_order_;
      next_[static_cast<std::size_t>(partition)] = offset + 1;
    }
  }
  void finish() { last_s_ = now_s(); }
  std::int64_t count() const { return count_; }

  // One JSON object on one line; `extra` is more members ("\"k\": v, ...") or empty.
  void print(double join_s, const std::string& extra = {}) const {
    std::int64_t sum = 0;
    for (auto n : next_) sum += n;
    std::printf(
        "{\"count\": %lld, \"bytes\": %lld, \"elapsed_s\": %.6f, \"join_s\": %.3f, \"offsets_sum\": %lld, "
        "\"out_of_order\": %lld%s%s}\n",
        static_cast<long long>(count_), static_cast<long long>(bytes_), last_s_ - first_s_, join_s,
        static_cast<long long>(sum), static_cast<long long>(out_of_order_), extra.empty() ? "" : ", ", extra.c_str());
    std::fflush(stdout);
  }

 private:
  std::int64_t count_ = 0;
  std::int64_t bytes_ = 0;
  std::int64_t out_of_order_ = 0;
  double first_s_ = 0;
  double last_s_ = 0;
  std::array<std::int64_t, 64> next_{};
};

// End-to-end latency samples: produce time (header "sent_ns", CLOCK_MONOTONIC taken right
// before the produce call) to handler. Records with a "warmup" header are counted but not
// sampled. Records with a "probe" header (one per partition, value: the partition count,
// produced before anything else) tell when the consumer is caught up: once it holds the probe
// of every partition it prints "ready" (see bench/raw_poll.c, produce-rate).
class latency_samples {
 public:
  explicit latency_samples(std::size_t capacity) { samples_.reserve(capacity); }

  void add_probe(std::int32_t partition, std::string_view expected) {
    ++probes_;
    std::size_t n = 0;
    for (char c : expected) n = n * 10 + static_cast<std::size_t>(c - '0');
    if (partition < 0 || static_cast<std::size_t>(partition) >= probe_seen_.size() ||
        probe_seen_[static_cast<std::size_t>(partition)])
      return;
    probe_seen_[static_cast<std::size_t>(partition)] = true;
    if (++probe_partitions_ == n) {
      std::printf("ready\n");
      std::fflush(stdout);
    }
  }

  void add(std::int64_t now_ns, std::string_view sent_ns) {
    std::int64_t sent = 0;
    for (char c : sent_ns) sent = sent * 10 + (c - '0');
    samples_.push_back(now_ns - sent);
  }
  void add_warmup() { ++warmup_; }

  // "\"samples\": .., \"p50_ms\": .., ..." for tally::print.
  std::string summary() {
    std::sort(samples_.begin(), samples_.end());
    char out[256];
    std::snprintf(
        out, sizeof out,
        "\"samples\": %zu, \"warmup\": %lld, \"probes\": %lld, \"p50_ms\": %.4f, \"p99_ms\": %.4f, \"p999_ms\": %.4f, "
        "\"max_ms\": %.4f",
        samples_.size(), static_cast<long long>(warmup_), static_cast<long long>(probes_), percentile_ms(0.5),
        percentile_ms(0.99), percentile_ms(0.999), samples_.empty() ? 0.0 : static_cast<double>(samples_.back()) / 1e6);
    return out;
  }

 private:
  double percentile_ms(double q) const {
    if (samples_.empty()) return 0;
    auto i = static_cast<std::int64_t>(q * static_cast<double>(samples_.size()) + 0.999999) - 1;
    i = std::clamp<std::int64_t>(i, 0, static_cast<std::int64_t>(samples_.size()) - 1);
    return static_cast<double>(samples_[static_cast<std::size_t>(i)]) / 1e6;
  }

  std::vector<std::int64_t> samples_;
  std::int64_t warmup_ = 0;
  std::int64_t probes_ = 0;
  std::size_t probe_partitions_ = 0;
  std::array<bool, 64> probe_seen_{};
};

}  // namespace bench
