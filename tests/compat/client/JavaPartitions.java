// Prints the partition the Java client's default partitioner picks for each key given on stdin
// (one key per line) for each partition count given as arguments: "key<TAB>count<TAB>partition".
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

public class JavaPartitions {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String key;
    StringBuilder out = new StringBuilder();
    while ((key = in.readLine()) != null) {
      byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
      for (String count : args) {
        // BuiltInPartitioner.partitionForKey: toPositive(murmur2(key)) % numPartitions
        int partition = Utils.toPositive(Utils.murmur2(bytes)) % Integer.parseInt(count);
        out.append(key).append('\t').append(count).append('\t').append(partition).append('\n');
      }
    }
    System.out.print(out);
  }
}
