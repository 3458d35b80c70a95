// Contestant 2: the raw librdkafka loop of contestant 1 (bench/raw_loop.c, C API only) plus
// the JSON decoding the broker subscriber does: asiokafka::json::decoder (one long-lived
// decoder, as the broker keeps one per subscriber) into a fresh bench::person per record.
//
//   raw_decode BROKERS TOPIC GROUP COUNT
#include "bench_common.hpp"
#include "raw_loop.h"

#include <asiokafka/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct decode_state {
  asiokafka::json::decoder decoder;
  long long failed = 0;
  long long age_sum = 0;  // keeps the decoded values observable
};

void on_record(const rd_kafka_message_t* m, void* ctx) {
  auto& st = *static_cast<decode_state*>(ctx);
  bench::person p{};
  asiokafka::json::decode_error err;
  if (!st.decoder.decode(std::string_view(static_cast<const char*>(m->payload), m->len), p, err)) {
    if (st.failed++ == 0) std::fprintf(stderr, "raw_decode: %s\n", err.what().c_str());
    return;
  }
  st.age_sum += p.age + static_cast<long long>(p.name.size() + p.pad.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: raw_decode BROKERS TOPIC GROUP COUNT\n");
    return 2;
  }
  raw_config cfg{argv[1], argv[2], argv[3], std::strtoll(argv[4], nullptr, 10), 1800.0};
  raw_result res{};
  decode_state st;
  const int status = raw_consume(&cfg, on_record, nullptr, &st, &res);
  const std::string extra =
      "\"decode_failed\": " + std::to_string(st.failed) + ", \"checksum\": " + std::to_string(st.age_sum);
  raw_print_result(&res, extra.c_str());
  return status != 0 || st.failed != 0;
}
