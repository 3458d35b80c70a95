#include "raw_loop.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double raw_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int64_t raw_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int set(rd_kafka_conf_t* conf, const char* key, const char* value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "raw: %s=%s: %s\n", key, value, errstr);
    return -1;
  }
  return 0;
}

/* BENCH_CONSUMER_CONFIG="key=value,key=value": properties the driver gives every contestant
 * alike (see bench/run.py). */
int raw_set_extra_config(rd_kafka_conf_t* conf) { return raw_set_config_from(conf, "BENCH_CONSUMER_CONFIG"); }

int raw_set_config_from(rd_kafka_conf_t* conf, const char* variable) {
  const char* spec = getenv(variable);
  if (!spec || !*spec) return 0;
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", spec);
  char* save = NULL;
  for (char* item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
    char* eq = strchr(item, '=');
    if (!eq) {
      fprintf(stderr, "raw: %s: no '=' in \"%s\"\n", variable, item);
      return -1;
    }
    *eq = '\0';
    if (set(conf, item, eq + 1)) return -1;
  }
  return 0;
}

static int assigned(rd_kafka_t* rk) {
  rd_kafka_topic_partition_list_t* list = NULL;
  int n = 0;
  if (rd_kafka_assignment(rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR && list) {
    n = list->cnt;
    rd_kafka_topic_partition_list_destroy(list);
  }
  return n > 0;
}

int raw_consume(const struct raw_config* cfg, raw_on_record on_record, raw_on_assigned on_assigned, void* ctx,
                struct raw_result* out) {
  char errstr[512];
  memset(out, 0, sizeof *out);
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (set(conf, "bootstrap.servers", cfg->brokers) || set(conf, "group.id", cfg->group) ||
      set(conf, "client.id", "bench-raw") || set(conf, "auto.offset.reset", "earliest") ||
      set(conf, "enable.partition.eof", "false")) {
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  if (raw_set_extra_config(conf)) {
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "raw: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, cfg->topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err) {
    fprintf(stderr, "raw: subscribe: %s\n", rd_kafka_err2str(err));
    rd_kafka_destroy(rk);
    return 1;
  }

  const double start = raw_now_s();
  const double deadline = start + cfg->deadline_s;
  int is_assigned = 0;
  int status = 0;
  while (out->count < cfg->count) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) {
      if (!is_assigned && assigned(rk)) {
        is_assigned = 1;
        out->assigned_s = raw_now_s();
        if (on_assigned) on_assigned(ctx);
      }
      if (raw_now_s() > deadline) {
        fprintf(stderr, "raw: deadline: %" PRId64 " of %" PRId64 " records after %.0f s\n", out->count, cfg->count,
                cfg->deadline_s);
        status = 1;
        break;
      }
      continue;
    }
    if (m->err) {
      fprintf(stderr, "raw: %s\n", rd_kafka_message_errstr(m));
      rd_kafka_message_destroy(m);
      continue;
    }
    if (out->count == 0) {
      out->first_s = raw_now_s();
      if (!is_assigned) {
        is_assigned = 1;
        out->assigned_s = out->first_s;
        if (on_assigned) on_assigned(ctx);
      }
    }
    ++out->count;
    out->bytes += (int64_t)m->len;
    if (m->partition >= 0 && m->partition < RAW_MAX_PARTITIONS) {
      if (m->offset != out->next_offset[m->partition]) ++out->out_of_order;
      out->next_offset[m->partition] = m->offset + 1;
    }
    if (on_record) on_record(m, ctx);
    rd_kafka_message_destroy(m);
  }
  out->last_s = raw_now_s();
  out->assigned_s -= start;
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return status;
}

void raw_print_result(const struct raw_result* r, const char* extra_json) {
  int64_t sum = 0;
  for (int p = 0; p < RAW_MAX_PARTITIONS; ++p) sum += r->next_offset[p];
  printf("{\"count\": %" PRId64 ", \"bytes\": %" PRId64
         ", \"elapsed_s\": %.6f, \"join_s\": %.3f, "
         "\"offsets_sum\": %" PRId64 ", \"out_of_order\": %" PRId64 "%s%s}\n",
         r->count, r->bytes, r->last_s - r->first_s, r->assigned_s, sum, r->out_of_order,
         extra_json && *extra_json ? ", " : "", extra_json ? extra_json : "");
  fflush(stdout);
}
