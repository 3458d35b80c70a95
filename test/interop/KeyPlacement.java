// Kafka's own Java producer, for test_producer_real's partitioner case: produces COUNT records
// keyed "key-0" .. "key-<COUNT-1>" to TOPIC with the producer's default partitioner (murmur2
// of the key, as every Java, Kafka Streams and Spring Kafka producer places keys), waits for
// every acknowledgement and exits 0; any failure throws (exit 1). Run as a single source file:
//
//   java -cp "$(scripts/kafka classpath)" test/interop/KeyPlacement.java BROKERS TOPIC COUNT
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

public class KeyPlacement {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: KeyPlacement BROKERS TOPIC COUNT");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    int count = Integer.parseInt(args[2]);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < count; ++i) sent.add(producer.send(new ProducerRecord<>(args[1], "key-" + i, "java")));
      for (Future<RecordMetadata> f : sent) f.get();
    }
  }
}
