// Publish contestant P1: a raw librdkafka produce loop (rd_kafka_producev, the C API) plus the
// JSON encoding the broker's publish does: asiokafka::json::encode of a bench::person per record
// into one reused buffer, copied by librdkafka. The producer properties are the ones the
// broker's publisher gets from the config composer (the same defaults), set one by one; delivery
// reports are served by rd_kafka_poll between records and counted. A full librdkafka queue is
// waited out, as the broker's producer waits, never dropped. With `headers`, each record also
// carries the three headers a broker publish writes (content-type, correlation_id, traceparent),
// with fixed values: librdkafka's cost of the wire format, without generating the ids.
//
//   raw_encode BROKERS TOPIC COUNT PARTITIONS [headers]
#include "bench_common.hpp"

#include <asiokafka/config.hpp>
#include <asiokafka/json.hpp>

#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

struct tally {
  long long delivered = 0;
  long long failed = 0;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto& t = *static_cast<tally*>(opaque);
  if (m->err) {
    if (t.failed++ == 0) std::fprintf(stderr, "raw_encode: delivery failed: %s\n", rd_kafka_err2str(m->err));
  } else {
    ++t.delivered;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && !(argc == 6 && std::string(argv[5]) == "headers")) {
    std::fprintf(stderr, "usage: raw_encode BROKERS TOPIC COUNT PARTITIONS [headers]\n");
    return 2;
  }
  const bool with_headers = argc == 6;
  static constexpr std::string_view header_values[][2] = {
      {"content-type", "application/json"},
      {"correlation_id", "0d1f2e3c-4b5a-4968-8776-a5b4c3d2e1f0"},
      {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  const std::string topic = argv[2];
  const long long count = std::strtoll(argv[3], nullptr, 10);
  const int partitions = std::atoi(argv[4]);
  asiokafka::client_options broker_scope;
  broker_scope.bootstrap_servers = argv[1];
  const auto composed = asiokafka::config_composer(broker_scope).compose_producer({});
  tally t;
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& e : composed.entries())
    if (rd_kafka_conf_set(conf, e.key.c_str(), e.value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "raw_encode: %s\n", err);
      return 1;
    }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &t);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    std::fprintf(stderr, "raw_encode: %s\n", err);
    return 1;
  }
  std::string buffer;
  const double start = bench::now_s();
  for (long long i = 0; i < count; ++i) {
    const bench::person p = bench::make_person(static_cast<std::uint64_t>(i));
    asiokafka::json::encode(p, buffer);
    for (;;) {
      rd_kafka_headers_t* hdrs = nullptr;
      if (with_headers) {
        hdrs = rd_kafka_headers_new(3);
        for (const auto& [name, value] : header_values)
          rd_kafka_header_add(hdrs, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                              static_cast<ssize_t>(value.size()));
      }
      const rd_kafka_resp_err_t e =
          rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(static_cast<int>(i % partitions)),
                            RD_KAFKA_V_VALUE(buffer.data(), buffer.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) rd_kafka_headers_destroy(hdrs);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        std::fprintf(stderr, "raw_encode: produce: %s\n", rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return 1;
      }
      rd_kafka_poll(rk, 1);
    }
    rd_kafka_poll(rk, 0);
  }
  while (rd_kafka_outq_len(rk) > 0 && t.delivered + t.failed < count) rd_kafka_poll(rk, 50);
  const double elapsed = bench::now_s() - start;
  rd_kafka_destroy(rk);
  std::printf("{\"count\": %lld, \"elapsed_s\": %.3f, \"delivered\": %lld, \"failed\": %lld, \"cpu_s\": %.3f}\n", count,
              elapsed, t.delivered, t.failed, bench::cpu_s());
  return t.failed != 0 || t.delivered != count;
}
