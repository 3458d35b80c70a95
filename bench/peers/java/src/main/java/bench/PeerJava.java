// Contestant 8 of bench/run.py: a KafkaConsumer poll loop (the Apache Kafka Java client) with
// Jackson decoding each payload into a fresh Person (the C++ contestants' bench::person: name,
// age, pad).
//
//   java -jar bench-peer-java.jar consume BROKERS TOPIC GROUP COUNT
//   java -jar bench-peer-java.jar version
//
// consume prints one JSON object on stdout with the keys of the C/C++ contestants
// (bench/raw_loop.c's raw_print_result) plus decode_failed, checksum, the versions and
// cpu_s_at_first_record (the process's CPU time when the first record arrived: JVM start-up,
// class loading and group join, which the driver's CPU figure includes); it exits
// non-zero unless it decoded exactly COUNT records. BENCH_CONSUMER_CONFIG ("key=value,...",
// librdkafka property names) is mapped to the Java client's nearest settings (mapConfig below,
// docs/benchmarks.md).
package bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.AppInfoParser;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;

public final class PeerJava {
  private static final int MAX_PARTITIONS = 64;
  private static final long DEADLINE_MS = 1_800_000;

  /** The typed message: the same fields as bench::person. */
  public record Person(String name, int age, String pad) {}

  private PeerJava() {}

  /** librdkafka property names with a Java client equivalent of the same meaning. */
  private static final Map<String, String> SAME_MEANING = Map.of(
      "fetch.max.bytes", "fetch.max.bytes",
      "max.partition.fetch.bytes", "max.partition.fetch.bytes",
      "fetch.min.bytes", "fetch.min.bytes",
      "fetch.wait.max.ms", "fetch.max.wait.ms",
      "enable.auto.commit", "enable.auto.commit",
      "auto.commit.interval.ms", "auto.commit.interval.ms",
      "session.timeout.ms", "session.timeout.ms",
      "heartbeat.interval.ms", "heartbeat.interval.ms");

  /**
   * Applies BENCH_CONSUMER_CONFIG. queued.min.messages and queued.max.messages.kbytes bound
   * librdkafka's background prefetch queue; the Java consumer has no such queue (it buffers at
   * most one fetch response per partition, bounded by fetch.max.bytes and
   * max.partition.fetch.bytes, and sends the next fetch for a partition once its buffer is
   * drained), so they have no equivalent and are left out, as is any other property without one.
   */
  static void mapConfig(String spec, Properties props) {
    if (spec == null) return;
    for (String item : spec.split(",")) {
      if (item.isEmpty()) continue;
      int eq = item.indexOf('=');
      if (eq < 0) throw new IllegalArgumentException("BENCH_CONSUMER_CONFIG: no '=' in \"" + item + "\"");
      String key = item.substring(0, eq), value = item.substring(eq + 1);
      String javaKey = SAME_MEANING.get(key);
      if (javaKey != null) {
        props.put(javaKey, value);
      } else {
        System.err.println("bench-peer-java: " + key + "=" + value + " has no Java client equivalent; not applied");
      }
    }
  }

  /** The process's CPU time (all threads, user + system), or 0 where the JVM does not say. */
  static double processCpuS() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime() / 1e9;
    }
    return 0;
  }

  static String versionsJson() {
    return "\"kafka_clients\": \"" + AppInfoParser.getVersion() + "\", \"jackson\": \""
        + com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION.toString() + "\", \"jdk\": \""
        + Runtime.version() + "\", \"jvm\": \"" + System.getProperty("java.vm.name") + "\"";
  }

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("version")) {
      System.out.println("{" + versionsJson() + "}");
      return;
    }
    if (args.length != 5 || !args[0].equals("consume")) {
      System.err.println("usage: bench-peer-java consume BROKERS TOPIC GROUP COUNT\n       bench-peer-java version");
      System.exit(2);
    }
    System.exit(consume(args[1], args[2], args[3], Long.parseLong(args[4])));
  }

  static int consume(String brokers, String topic, String group, long count) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-java");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    mapConfig(System.getenv("BENCH_CONSUMER_CONFIG"), props);

    // The deadline of the C loop (raw_loop.c), off the per-record path.
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(DEADLINE_MS);
      } catch (InterruptedException e) {
        return;
      }
      System.err.println("bench-peer-java: deadline: not done after " + DEADLINE_MS / 1000 + " s");
      Runtime.getRuntime().halt(1);
    });
    watchdog.setDaemon(true);
    watchdog.start();

    ObjectReader reader = new ObjectMapper().readerFor(Person.class);
    final long started = System.nanoTime();
    final long[] assigned = {0};
    long n = 0, bytes = 0, outOfOrder = 0, decodeFailed = 0, checksum = 0;
    long[] nextOffset = new long[MAX_PARTITIONS];
    long first = 0, last;
    double cpuAtFirst = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          if (assigned[0] == 0 && !partitions.isEmpty()) assigned[0] = System.nanoTime();
        }
      });
      outer:
      while (n < count) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        for (ConsumerRecord<byte[], byte[]> r : records) {
          if (n == count) break outer;  // records past the N-th are not handled
          if (n == 0) {
            first = System.nanoTime();
            cpuAtFirst = processCpuS();
          }
          ++n;
          byte[] payload = r.value();
          int len = payload == null ? 0 : payload.length;
          bytes += len;
          int p = r.partition();
          if (p >= 0 && p < MAX_PARTITIONS) {
            if (r.offset() != nextOffset[p]) ++outOfOrder;
            nextOffset[p] = r.offset() + 1;
          }
          try {
            Person person = reader.readValue(payload, 0, len);
            checksum += person.age() + person.name().length() + person.pad().length();
          } catch (Exception e) {
            if (decodeFailed++ == 0) System.err.println("bench-peer-java: decode: " + e);
          }
        }
      }
      last = System.nanoTime();
    }
    long offsetsSum = 0;
    for (long o : nextOffset) offsetsSum += o;
    double joinS = ((assigned[0] != 0 ? assigned[0] : first) - started) / 1e9;
    System.out.printf(java.util.Locale.ROOT,
        "{\"count\": %d, \"bytes\": %d, \"elapsed_s\": %.6f, \"join_s\": %.3f, \"offsets_sum\": %d, "
            + "\"out_of_order\": %d, \"decode_failed\": %d, \"checksum\": %d, \"cpu_s_at_first_record\": %.3f, %s}%n",
        n, bytes, (last - first) / 1e9, joinS, offsetsSum, outOfOrder, decodeFailed, checksum, cpuAtFirst,
        versionsJson());
    System.out.flush();
    if (n != count || decodeFailed != 0) {
      System.err.println("bench-peer-java: decoded " + (n - decodeFailed) + " of " + count + " records");
      return 1;
    }
    return 0;
  }
}
