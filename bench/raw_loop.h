/* The raw librdkafka consumer loop shared by the "raw" contestants: rd_kafka_consumer_poll
 * one message at a time, nothing else (no Asio, no asiokafka). Written against the C API only
 * so that it is the limit the other contestants are measured against. */
#ifndef ASIOKAFKA_BENCH_RAW_LOOP_H
#define ASIOKAFKA_BENCH_RAW_LOOP_H

#include <librdkafka/rdkafka.h>

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Partitions tracked for the end-of-run check (the bench topic has 8). */
#define RAW_MAX_PARTITIONS 64

struct raw_config {
  const char* brokers;
  const char* topic;
  const char* group;
  /* Stop after this many records. */
  int64_t count;
  /* Give up (non-zero return) when not done after this many seconds. */
  double deadline_s;
};

struct raw_result {
  int64_t count;
  int64_t bytes;                           /* payload bytes */
  double first_s;                          /* monotonic time of the first record */
  double last_s;                           /* monotonic time of the last record */
  double assigned_s;                       /* monotonic time the assignment arrived */
  int64_t next_offset[RAW_MAX_PARTITIONS]; /* per partition: last offset seen + 1 */
  int64_t out_of_order;                    /* records whose offset was not the partition's next one */
};

/* Called for every record (may be NULL). */
typedef void (*raw_on_record)(const rd_kafka_message_t* m, void* ctx);
/* Called once when the first assignment arrives (may be NULL). */
typedef void (*raw_on_assigned)(void* ctx);

/* Applies BENCH_CONSUMER_CONFIG ("key=value,key=value", the driver's consumer settings shared
 * by every contestant) to conf. Returns 0 on success. */
int raw_set_extra_config(rd_kafka_conf_t* conf);
/* The same from the environment variable `variable` (e.g. BENCH_PRODUCER_CONFIG). */
int raw_set_config_from(rd_kafka_conf_t* conf, const char* variable);

double raw_now_s(void);
/* CLOCK_MONOTONIC in ns: one clock for every process of the machine (the latency run's
 * producer and consumers run on the same host), unlike CLOCK_REALTIME not stepped by NTP. */
int64_t raw_mono_ns(void);

/* Subscribes to cfg->topic with a consumer of group cfg->group (auto.offset.reset=earliest,
 * enable.partition.eof=false, everything else librdkafka's defaults), polls until cfg->count
 * records arrived, then closes. Returns 0 on success. */
int raw_consume(const struct raw_config* cfg, raw_on_record on_record, raw_on_assigned on_assigned, void* ctx,
                struct raw_result* out);

/* Prints the result as the one-line JSON object the bench driver reads (stdout). */
void raw_print_result(const struct raw_result* r, const char* extra_json);

#ifdef __cplusplus
}
#endif

#endif
