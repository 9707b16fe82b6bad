package thebacknd.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The warm pool as {@code THEBACKND_POOL} configures it: how many idle VMs of each instance type
 * and market to keep ready ({@code t3.micro=2,t4g.small:spot=1}). Empty: no pool.
 */
public record PoolConfig(List<Entry> entries) {

  /** {@code count} pooled VMs of {@code instanceType}, on spot capacity when {@code spot}. */
  public record Entry(String instanceType, boolean spot, int count) {

    /** The value of a pooled VM's {@code thebacknd:pool} tag and lease: {@code TYPE} or {@code TYPE:spot}. */
    public String key() {
      return keyOf(instanceType, spot);
    }
  }

  private static final Pattern ENTRY = Pattern.compile("([a-z0-9][a-z0-9-]*\\.[a-z0-9]+)(:spot)?=([0-9]{1,4})");

  public PoolConfig {
    entries = List.copyOf(entries);
  }

  public static PoolConfig none() {
    return new PoolConfig(List.of());
  }

  public static String keyOf(String instanceType, boolean spot) {
    return spot ? instanceType + ":spot" : instanceType;
  }

  public boolean isEmpty() {
    return entries.stream().allMatch(e -> e.count() == 0);
  }

  public int total() {
    return entries.stream().mapToInt(Entry::count).sum();
  }

  /** Pooled VMs wanted per key, in the configured order. */
  public Map<String, Integer> byKey() {
    Map<String, Integer> wanted = new LinkedHashMap<>();
    entries.forEach(e -> wanted.put(e.key(), e.count()));
    return wanted;
  }

  /**
   * Parses {@code THEBACKND_POOL}; every mistake is one line naming the variable: a malformed
   * entry, a type not allowed, a type and market given twice, more pooled VMs than the cap.
   */
  static PoolConfig parse(String variable, String text, Set<String> allowedTypes, int maxVms) {
    List<Entry> entries = new ArrayList<>();
    if (text == null || text.isBlank()) {
      return none();
    }
    for (String part : text.split(",", -1)) {
      String item = part.trim();
      Matcher m = ENTRY.matcher(item);
      if (!m.matches()) {
        throw new ConfigException(
            variable + " takes TYPE=N or TYPE:spot=N entries, comma separated (e.g. t3.micro=2,t4g.small:spot=1), got \""
                + item + "\"");
      }
      Entry entry = new Entry(m.group(1), m.group(2) != null, Integer.parseInt(m.group(3)));
      if (!allowedTypes.contains(entry.instanceType())) {
        throw new ConfigException(
            variable + " names " + entry.instanceType() + ", which is not an allowed instance type (THEBACKND_INSTANCE_TYPE,"
                + " THEBACKND_ALLOWED_INSTANCE_TYPES)");
      }
      if (entries.stream().anyMatch(e -> e.key().equals(entry.key()))) {
        throw new ConfigException(variable + " names " + entry.key() + " twice");
      }
      entries.add(entry);
    }
    PoolConfig pool = new PoolConfig(entries);
    if (pool.total() > maxVms) {
      throw new ConfigException(
          variable + " asks for " + pool.total() + " pooled VMs, more than THEBACKND_MAX_VMS (" + maxVms + ")");
    }
    return pool;
  }
}
