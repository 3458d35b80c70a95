/* Contestant 1 (the limit): a raw librdkafka rd_kafka_consumer_poll loop, no decoding; plus
 * its end-to-end latency run, its idle run and a topic-creation helper for the bench driver.
 *
 *   raw_poll consume      BROKERS TOPIC GROUP COUNT
 *   raw_poll latency      BROKERS TOPIC GROUP COUNT      (prints "ready" once assigned)
 *   raw_poll idle         BROKERS TOPIC GROUP SECONDS
 *   raw_poll create-topic BROKERS TOPIC PARTITIONS
 *
 * Every mode but create-topic ends by printing one JSON object on stdout. */
#include "raw_loop.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int usage(void) {
  fprintf(stderr,
          "usage: raw_poll consume|latency BROKERS TOPIC GROUP COUNT\n"
          "       raw_poll idle BROKERS TOPIC GROUP SECONDS\n"
          "       raw_poll create-topic BROKERS TOPIC PARTITIONS\n");
  return 2;
}

static int create_topic(const char* brokers, const char* topic, int partitions) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "create-topic: %s\n", errstr);
    return 1;
  }
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic, partitions, 1, errstr, sizeof errstr);
  if (!nt) {
    fprintf(stderr, "create-topic: %s\n", errstr);
    rd_kafka_destroy(rk);
    return 1;
  }
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 60000);
  int status = 0;
  if (!ev) {
    fprintf(stderr, "create-topic %s: timed out\n", topic);
    status = 1;
  } else if (rd_kafka_event_error(ev)) {
    fprintf(stderr, "create-topic %s: %s\n", topic, rd_kafka_event_error_string(ev));
    status = 1;
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      if (rd_kafka_topic_result_error(res[i])) {
        fprintf(stderr, "create-topic %s: %s\n", topic, rd_kafka_topic_result_error_string(res[i]));
        status = 1;
      }
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_destroy(rk);
  return status;
}

/* ---- latency ---------------------------------------------------------------------------- */

struct latency_state {
  int64_t* samples_ns;
  int64_t samples;
  int64_t capacity;
  int64_t warmup;
};

static void print_ready(void* ctx) {
  (void)ctx;
  printf("ready\n");
  fflush(stdout);
}

static void on_latency_record(const rd_kafka_message_t* m, void* ctx) {
  struct latency_state* st = ctx;
  const int64_t now = raw_realtime_ns();
  rd_kafka_headers_t* hdrs = NULL;
  if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  const void* value = NULL;
  size_t size = 0;
  if (rd_kafka_header_get_last(hdrs, "warmup", &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++st->warmup;
    return;
  }
  if (rd_kafka_header_get_last(hdrs, "sent_ns", &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR || size >= 32) return;
  char text[32];
  memcpy(text, value, size);
  text[size] = '\0';
  if (st->samples < st->capacity) st->samples_ns[st->samples++] = now - strtoll(text, NULL, 10);
}

static int compare_i64(const void* a, const void* b) {
  const int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
}

static double percentile_ms(const int64_t* sorted, int64_t n, double q) {
  if (n == 0) return 0;
  int64_t i = (int64_t)(q * (double)n + 0.999999) - 1;
  if (i < 0) i = 0;
  if (i >= n) i = n - 1;
  return (double)sorted[i] / 1e6;
}

/* ---- idle -------------------------------------------------------------------------------- */

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec * 1e-6;
}

static int idle(const char* brokers, const char* topic, const char* group, double seconds) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "client.id", "bench-raw", errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "enable.partition.eof", "false", errstr, sizeof errstr);
  if (raw_set_extra_config(conf)) {
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "idle: %s\n", errstr);
    return 1;
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  /* Settle: assigned, offsets resolved, fetchers in their long-poll rhythm. */
  const double settle_until = raw_now_s() + 2.0;
  int64_t records = 0;
  while (raw_now_s() < settle_until) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m) {
      if (!m->err) ++records;
      rd_kafka_message_destroy(m);
    }
  }
  const double cpu0 = cpu_s(), t0 = raw_now_s();
  while (raw_now_s() - t0 < seconds) {
    /* A typical application loop: block in poll for up to a second at a time. */
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 1000);
    if (m) {
      if (!m->err) ++records;
      rd_kafka_message_destroy(m);
    }
  }
  const double cpu1 = cpu_s(), t1 = raw_now_s();
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  printf("{\"idle_s\": %.3f, \"cpu_s\": %.6f, \"cpu_pct\": %.4f, \"records\": %" PRId64 "}\n", t1 - t0, cpu1 - cpu0,
         100.0 * (cpu1 - cpu0) / (t1 - t0), records);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const char* mode = argv[1];
  if (strcmp(mode, "create-topic") == 0) {
    if (argc != 5) return usage();
    return create_topic(argv[2], argv[3], atoi(argv[4]));
  }
  if (argc != 6) return usage();
  if (strcmp(mode, "idle") == 0) return idle(argv[2], argv[3], argv[4], atof(argv[5]));

  struct raw_config cfg = {argv[2], argv[3], argv[4], strtoll(argv[5], NULL, 10), 1800.0};
  struct raw_result res;
  if (strcmp(mode, "consume") == 0) {
    const int status = raw_consume(&cfg, NULL, NULL, NULL, &res);
    raw_print_result(&res, NULL);
    return status;
  }
  if (strcmp(mode, "latency") == 0) {
    struct latency_state st = {malloc(sizeof(int64_t) * (size_t)cfg.count), 0, cfg.count, 0};
    cfg.deadline_s = 300.0;
    const int status = raw_consume(&cfg, on_latency_record, print_ready, &st, &res);
    qsort(st.samples_ns, (size_t)st.samples, sizeof(int64_t), compare_i64);
    char extra[256];
    snprintf(extra, sizeof extra,
             "\"samples\": %" PRId64 ", \"warmup\": %" PRId64
             ", \"p50_ms\": %.4f, \"p99_ms\": %.4f, \"p999_ms\": %.4f, \"max_ms\": %.4f",
             st.samples, st.warmup, percentile_ms(st.samples_ns, st.samples, 0.5),
             percentile_ms(st.samples_ns, st.samples, 0.99), percentile_ms(st.samples_ns, st.samples, 0.999),
             st.samples ? (double)st.samples_ns[st.samples - 1] / 1e6 : 0.0);
    raw_print_result(&res, extra);
    free(st.samples_ns);
    return status;
  }
  return usage();
}
