// The compat lab's Java client run (kafka-clients 3.9.x or 4.x, compiled by install.sh against
// each). Usage: java CompatClient <bootstrap> <prefix> <classic|consumer>
// Admin (create/describe/configs/delete), produce per codec and idempotently, consume in a group
// with commits, a two-member rebalance; the last stdout line is the JSON report.
import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.AppInfoParser;

public final class CompatClient {
  private static final long STEP_TIMEOUT_MS = 60_000;
  private static final String[] CODECS = {"none", "gzip", "snappy", "lz4", "zstd"};
  private final Map<String, String> features = new LinkedHashMap<>();
  private final String bootstrap;
  private final String prefix;
  private final String groupProtocol;

  private CompatClient(String bootstrap, String prefix, String groupProtocol) {
    this.bootstrap = bootstrap;
    this.prefix = prefix;
    this.groupProtocol = groupProtocol;
  }

  interface Step { Object run() throws Exception; }

  private static String json(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    return out.append('"').toString();
  }

  private boolean attempt(String name, Step step) {
    try {
      Object detail = step.run();
      features.put(name, "{\"ok\":true" + (detail == null ? "" : ",\"detail\":" + json(detail.toString())) + "}");
      System.err.println("[java] " + name + " ok");
      return true;
    } catch (Throwable error) {
      error.printStackTrace();
      fail(name, error.toString());
      return false;
    }
  }

  private void fail(String name, String error) {
    features.put(name, "{\"ok\":false,\"error\":" + json(error) + "}");
    System.err.println("[java] " + name + " FAILED " + error);
  }

  private static void waitFor(BooleanSupplier condition, String what, long timeoutMs) throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) throw new IllegalStateException("timed out: " + what);
      Thread.sleep(100);
    }
  }

  private Properties common() {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("client.id", "kafkaesque-compat-java");
    return p;
  }

  private static String configValue(Admin admin, String topic, String key) {
    try {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      ConfigEntry entry = admin.describeConfigs(List.of(resource)).all().get(STEP_TIMEOUT_MS, TimeUnit.MILLISECONDS)
          .get(resource).get(key);
      return entry == null ? null : entry.value();
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  private void admin(Admin admin) {
    String topic = prefix + "-admin";
    if (!attempt("admin.createTopics", () -> admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1)
        .configs(Map.of("retention.ms", "123456789")))).all().get(STEP_TIMEOUT_MS, TimeUnit.MILLISECONDS))) return;
    attempt("admin.describeTopics", () -> {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(STEP_TIMEOUT_MS, TimeUnit.MILLISECONDS).get(topic);
      if (d.partitions().size() != 3) throw new IllegalStateException(d.partitions().size() + " partitions");
      return null;
    });
    attempt("admin.describeConfigs", () -> {
      String value = configValue(admin, topic, "retention.ms");
      if (!"123456789".equals(value)) throw new IllegalStateException("retention.ms=" + value);
      return null;
    });
    attempt("admin.alterConfigs", () -> {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "987654321"),
          AlterConfigOp.OpType.SET)))).all().get(STEP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      // KRaft applies the change when the broker replays it: poll briefly.
      waitFor(() -> "987654321".equals(configValue(admin, topic, "retention.ms")), "config change", 10_000);
      return null;
    });
    attempt("admin.deleteTopics", () -> {
      admin.deleteTopics(List.of(topic)).all().get(STEP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      waitFor(() -> {
        try { return !admin.listTopics().names().get().contains(topic); } catch (Exception e) { return false; }
      }, "topic still listed", STEP_TIMEOUT_MS);
      return null;
    });
  }

  private List<String> produce(String topic, String label, Map<String, String> config) throws Exception {
    Properties p = common();
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    p.put("acks", "all");
    p.putAll(config);
    List<String> values = new ArrayList<>();
    try (Producer<String, String> producer = new KafkaProducer<>(p)) {
      List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String value = label + "-" + i + "-" + "x".repeat(200);
        values.add(value);
        sent.add(producer.send(new ProducerRecord<>(topic, Integer.toString(i), value)));
      }
      for (var future : sent) future.get(STEP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
    return values;
  }

  private KafkaConsumer<String, String> consumer(String group, boolean fromStart) {
    Properties p = common();
    p.put("group.id", group);
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", StringDeserializer.class.getName());
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", fromStart ? "earliest" : "latest");
    p.put("group.protocol", groupProtocol);
    if (groupProtocol.equals("classic")) p.put("partition.assignment.strategy", RangeAssignor.class.getName());
    return new KafkaConsumer<>(p);
  }

  private void consumeGroup(String topic, String group, Map<String, String> expected) {
    Set<String> seen = new HashSet<>();
    int[] count = {0};
    try (KafkaConsumer<String, String> consumer = consumer(group, true)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + STEP_TIMEOUT_MS;
      while (seen.size() < expected.size() && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          seen.add(r.value());
          count[0]++;
        }
      }
      Map<String, Integer> missing = new TreeMap<>();
      expected.forEach((value, feature) -> { if (!seen.contains(value)) missing.merge(feature, 1, Integer::sum); });
      missing.forEach((feature, n) -> fail(feature, n + " produced records not consumed back"));
      if (missing.isEmpty()) features.put("consume.group", "{\"ok\":true,\"detail\":{\"records\":" + count[0] + "}}");
      else fail("consume.group", "missing records: " + missing);
      attempt("commit", () -> {
        consumer.commitSync();
        TopicPartition tp = new TopicPartition(topic, 0);
        OffsetAndMetadata committed = consumer.committed(Set.of(tp)).get(tp);
        if (committed == null || committed.offset() != count[0]) throw new IllegalStateException("committed " + committed + ", want " + count[0]);
        return null;
      });
    }
  }

  private Object rebalance(Admin admin) throws Exception {
    String topic = prefix + "-rebalance", group = prefix + "-g2";
    admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get(STEP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    try (KafkaConsumer<String, String> a = consumer(group, false)) {
      a.subscribe(List.of(topic));
      waitFor(() -> { a.poll(Duration.ofMillis(100)); return a.assignment().size() == 2; }, "first member never owned both partitions", STEP_TIMEOUT_MS);
      try (KafkaConsumer<String, String> b = consumer(group, false)) {
        b.subscribe(List.of(topic));
        waitFor(() -> {
          a.poll(Duration.ofMillis(100));
          b.poll(Duration.ofMillis(100));
          return a.assignment().size() == 1 && b.assignment().size() == 1;
        }, "partitions not split between the two members", 2 * STEP_TIMEOUT_MS);
        return "a=" + a.assignment() + " b=" + b.assignment();
      }
    }
  }

  private void run() {
    Properties p = common();
    try (Admin admin = Admin.create(p)) {
      admin(admin);
      String topic = prefix + "-codecs";
      if (!attempt("produce.setup", () -> admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get())) return;
      features.remove("produce.setup");
      Map<String, String> expected = new HashMap<>();
      for (String codec : CODECS) {
        attempt("produce." + codec, () -> {
          for (String v : produce(topic, codec, Map.of("compression.type", codec, "enable.idempotence", "false"))) expected.put(v, "produce." + codec);
          return null;
        });
      }
      attempt("produce.idempotent", () -> {
        for (String v : produce(topic, "idempotent", Map.of("enable.idempotence", "true"))) expected.put(v, "produce.idempotent");
        return null;
      });
      consumeGroup(topic, prefix + "-g1", expected);
      attempt("rebalance", () -> rebalance(admin));
    }
  }

  public static void main(String[] args) {
    if (args.length != 3) {
      System.err.println("usage: CompatClient <bootstrap> <prefix> <classic|consumer>");
      System.exit(2);
    }
    CompatClient client = new CompatClient(args[0], args[1], args[2]);
    try {
      client.run();
    } catch (Throwable error) {
      error.printStackTrace();
      client.fail("run", error.toString());
    }
    StringBuilder out = new StringBuilder("{\"client\":\"kafka-clients\",\"version\":" + json(AppInfoParser.getVersion() + " group.protocol=" + args[2]) + ",\"features\":{");
    String sep = "";
    for (var e : client.features.entrySet()) {
      out.append(sep).append(json(e.getKey())).append(':').append(e.getValue());
      sep = ",";
    }
    System.out.println(out.append("}}"));
    System.exit(0);
  }
}
