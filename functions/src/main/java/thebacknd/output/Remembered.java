package thebacknd.output;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Facts that never change once true, remembered by a warm function so that the next request need
 * not read them again: the name a vm_id was given, what a stored chunk's metadata says (a chunk is
 * written once and never rewritten). At most {@code capacity} of them, the least recently used
 * forgotten first. Safe for the threads of concurrent requests.
 */
final class Remembered<K, V> {

  private final Map<K, V> facts;

  Remembered(int capacity) {
    this.facts = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > capacity;
      }
    };
  }

  synchronized Optional<V> get(K key) {
    return Optional.ofNullable(facts.get(key));
  }

  synchronized void put(K key, V value) {
    facts.put(key, value);
  }
}
