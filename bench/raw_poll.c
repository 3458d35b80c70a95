/* Contestant 1 (the limit): a raw librdkafka rd_kafka_consumer_poll loop, no decoding; plus
 * its end-to-end latency run, its idle run and a topic-creation helper for the bench driver.
 *
 *   raw_poll consume      BROKERS TOPIC GROUP COUNT
 *   raw_poll latency      BROKERS TOPIC GROUP COUNT      (prints "assigned", then "ready" once
 *                                                        caught up: it holds a probe record of
 *                                                        every partition, see below)
 *   raw_poll produce-rate BROKERS TOPIC RATE SECONDS WARMUP_SECONDS PARTITIONS
 *                         the latency run's producer (and the broker's own round trip)
 *   raw_poll idle         BROKERS TOPIC GROUP SECONDS
 *   raw_poll create-topic BROKERS TOPIC PARTITIONS
 *
 * Every mode but create-topic ends by printing one JSON object on stdout. */
#include "raw_loop.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static int usage(void) {
  fprintf(stderr,
          "usage: raw_poll consume|latency BROKERS TOPIC GROUP COUNT\n"
          "       raw_poll produce-rate BROKERS TOPIC RATE SECONDS WARMUP_SECONDS PARTITIONS\n"
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
    const rd_kafka_topic_result_t** res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
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

/* ---- latency ----------------------------------------------------------------------------
 *
 * The producer (produce-rate) first writes one "probe" record to each partition (header
 * probe=<partitions>) and waits. A consumer is caught up once it holds the probe of every
 * partition: it is assigned all of them, positioned on each (offset reset done, fetcher
 * running) and has consumed each up to its end (nothing else was produced yet). Only then does
 * it print "ready", and only then does the driver let the producer start (SIGUSR1). Then
 * WARMUP_SECONDS of records with a "warmup" header (counted, not sampled), then records whose
 * "sent_ns" header is CLOCK_MONOTONIC taken right before rd_kafka_producev; the consumer takes
 * the same clock on entry to its handler. */

struct latency_state {
  int64_t* samples_ns;
  int64_t samples;
  int64_t capacity;
  int64_t warmup;
  int64_t probes;
  int probe_partitions;
  unsigned char probe_seen[RAW_MAX_PARTITIONS];
};

static void print_assigned(void* ctx) {
  (void)ctx;
  printf("assigned\n");
  fflush(stdout);
}

static int header_text(rd_kafka_headers_t* hdrs, const char* name, char* text, size_t cap) {
  const void* value = NULL;
  size_t size = 0;
  if (rd_kafka_header_get_last(hdrs, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR || size >= cap) return 0;
  memcpy(text, value, size);
  text[size] = '\0';
  return 1;
}

static void on_latency_record(const rd_kafka_message_t* m, void* ctx) {
  struct latency_state* st = ctx;
  const int64_t now = raw_mono_ns();
  rd_kafka_headers_t* hdrs = NULL;
  if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  char text[32];
  if (header_text(hdrs, "sent_ns", text, sizeof text)) {
    if (st->samples < st->capacity) st->samples_ns[st->samples++] = now - strtoll(text, NULL, 10);
  } else if (header_text(hdrs, "warmup", text, sizeof text)) {
    ++st->warmup;
  } else if (header_text(hdrs, "probe", text, sizeof text)) {
    ++st->probes;
    const int expected = atoi(text);
    if (m->partition >= 0 && m->partition < RAW_MAX_PARTITIONS && !st->probe_seen[m->partition]) {
      st->probe_seen[m->partition] = 1;
      if (++st->probe_partitions == expected) {
        printf("ready\n");
        fflush(stdout);
      }
    }
  }
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

/* ---- the latency run's producer ----------------------------------------------------------
 *
 * A constant RATE: each record is produced when due (a 200 us pacing tick), round-robin over
 * the partitions, 100-byte person JSON (what subscriber<person> decodes). Producer properties
 * come from BENCH_PRODUCER_CONFIG (the driver sets linger.ms=0 and acks=all). It also measures
 * the broker's own round trip: produce -> delivery report of every measured record, timed by a
 * thread that blocks in rd_kafka_poll (so the report is timed when librdkafka has it, not at
 * the next pacing tick). */

struct producer_state {
  int64_t* acks_ns;
  int64_t acks;
  int64_t capacity;
  int64_t failed;
  volatile int stop;
};

static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque) {
  (void)rk;
  struct producer_state* st = opaque;
  if (m->err) {
    ++st->failed;
    return;
  }
  const int64_t sent = (int64_t)(intptr_t)m->_private;
  if (sent > 0 && st->acks < st->capacity) st->acks_ns[st->acks++] = raw_mono_ns() - sent;
}

static void* delivery_poller(void* arg) {
  rd_kafka_t* rk = arg;
  struct producer_state* st = rd_kafka_opaque(rk);
  while (!st->stop) rd_kafka_poll(rk, 50);
  return NULL;
}

static int person_payload(char* out, int64_t i) {
  int n = snprintf(out, 101, "{\"name\":\"user-%07lld\",\"age\":%d,\"pad\":\"", (long long)(i % 10000000),
                   (int)(18 + i % 80));
  while (n < 98) out[n++] = 'x';
  out[n++] = '"';
  out[n++] = '}';
  out[n] = '\0';
  return n;
}

static int produce_one(rd_kafka_t* rk, const char* topic, int32_t partition, int64_t i, const char* header,
                       const char* header_value, int64_t sent_ns) {
  char payload[128];
  const int len = person_payload(payload, i);
  for (;;) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE(payload, (size_t)len), RD_KAFKA_V_HEADER(header, header_value, (ssize_t)strlen(header_value)),
        RD_KAFKA_V_OPAQUE((void*)(intptr_t)sent_ns), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      fprintf(stderr, "produce-rate: %s\n", rd_kafka_err2str(err));
      return -1;
    }
    struct timespec pause = {0, 100000};
    nanosleep(&pause, NULL);
  }
}

static int produce_rate(const char* brokers, const char* topic, int64_t rate, double seconds, double warmup_s,
                        int partitions) {
  /* SIGUSR1 (the driver's go) blocked before any thread exists, so that every thread inherits
   * the mask and sigtimedwait below takes it. */
  sigset_t go;
  sigemptyset(&go);
  sigaddset(&go, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &go, NULL);

  const int64_t warmup = (int64_t)((double)rate * warmup_s);
  const int64_t total = warmup + (int64_t)((double)rate * seconds);
  struct producer_state st = {malloc(sizeof(int64_t) * (size_t)(total + 1)), 0, total, 0, 0};
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof errstr) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "client.id", "bench-latency-producer", errstr, sizeof errstr) != RD_KAFKA_CONF_OK ||
      raw_set_config_from(conf, "BENCH_PRODUCER_CONFIG")) {
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &st);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "produce-rate: %s\n", errstr);
    return 1;
  }
  /* The probes: one per partition, delivered before "ready". */
  char expected[16];
  snprintf(expected, sizeof expected, "%d", partitions);
  for (int p = 0; p < partitions; ++p)
    if (produce_one(rk, topic, p, p, "probe", expected, 0)) return 1;
  if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR || st.failed) {
    fprintf(stderr, "produce-rate: probes not delivered\n");
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  struct timespec wait_go = {120, 0};
  if (sigtimedwait(&go, NULL, &wait_go) != SIGUSR1) {
    fprintf(stderr, "produce-rate: no go (SIGUSR1) within 120 s\n");
    return 1;
  }

  pthread_t poller;
  pthread_create(&poller, NULL, delivery_poller, rk);
  int status = 0;
  int64_t sent = 0;
  const int64_t start = raw_mono_ns();
  while (sent < total && status == 0) {
    int64_t due = (int64_t)((double)(raw_mono_ns() - start) * 1e-9 * (double)rate);
    if (due > total) due = total;
    for (; sent < due; ++sent) {
      const int32_t partition = (int32_t)(sent % partitions);
      if (sent < warmup) {
        if (produce_one(rk, topic, partition, sent, "warmup", "1", 0)) status = 1;
      } else {
        char text[32];
        const int64_t now = raw_mono_ns();
        snprintf(text, sizeof text, "%" PRId64, now);
        if (produce_one(rk, topic, partition, sent, "sent_ns", text, now)) status = 1;
      }
      if (status) break;
    }
    struct timespec tick = {0, 200000};
    nanosleep(&tick, NULL);
  }
  const double elapsed = (double)(raw_mono_ns() - start) * 1e-9;
  st.stop = 1;
  pthread_join(poller, NULL);
  if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) status = 1;
  rd_kafka_destroy(rk);
  qsort(st.acks_ns, (size_t)st.acks, sizeof(int64_t), compare_i64);
  printf("{\"sent\": %" PRId64 ", \"warmup\": %" PRId64 ", \"probes\": %d, \"elapsed_s\": %.3f, \"failed\": %" PRId64
         ", \"ack_samples\": %" PRId64
         ", \"ack_p50_ms\": %.4f, \"ack_p99_ms\": %.4f, \"ack_p999_ms\": %.4f, "
         "\"ack_max_ms\": %.4f}\n",
         sent, warmup, partitions, elapsed, st.failed, st.acks, percentile_ms(st.acks_ns, st.acks, 0.5),
         percentile_ms(st.acks_ns, st.acks, 0.99), percentile_ms(st.acks_ns, st.acks, 0.999),
         st.acks ? (double)st.acks_ns[st.acks - 1] / 1e6 : 0.0);
  fflush(stdout);
  free(st.acks_ns);
  return status != 0 || st.failed != 0;
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
  if (strcmp(mode, "produce-rate") == 0) {
    if (argc != 8) return usage();
    return produce_rate(argv[2], argv[3], strtoll(argv[4], NULL, 10), atof(argv[5]), atof(argv[6]), atoi(argv[7]));
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
    struct latency_state st = {malloc(sizeof(int64_t) * (size_t)cfg.count), 0, cfg.count, 0, 0, 0, {0}};
    cfg.deadline_s = 300.0;
    const int status = raw_consume(&cfg, on_latency_record, print_assigned, &st, &res);
    qsort(st.samples_ns, (size_t)st.samples, sizeof(int64_t), compare_i64);
    char extra[320];
    snprintf(extra, sizeof extra,
             "\"samples\": %" PRId64 ", \"warmup\": %" PRId64 ", \"probes\": %" PRId64
             ", \"p50_ms\": %.4f, \"p99_ms\": %.4f, \"p999_ms\": %.4f, \"max_ms\": %.4f",
             st.samples, st.warmup, st.probes, percentile_ms(st.samples_ns, st.samples, 0.5),
             percentile_ms(st.samples_ns, st.samples, 0.99), percentile_ms(st.samples_ns, st.samples, 0.999),
             st.samples ? (double)st.samples_ns[st.samples - 1] / 1e6 : 0.0);
    raw_print_result(&res, extra);
    free(st.samples_ns);
    return status;
  }
  return usage();
}
