package thebacknd;

import java.util.Optional;
import java.util.function.Supplier;

/** A value computed on first use, then remembered; safe to share between threads. */
public final class Lazy<T> implements Supplier<T> {

  private final Supplier<T> compute;
  private volatile T value;

  private Lazy(Supplier<T> compute) {
    this.compute = compute;
  }

  public static <T> Lazy<T> of(Supplier<T> compute) {
    return new Lazy<>(compute);
  }

  /** The value when it was computed; nothing is computed. */
  public Optional<T> ifComputed() {
    return Optional.ofNullable(value);
  }

  @Override
  public T get() {
    T result = value;
    if (result == null) {
      synchronized (this) {
        result = value;
        if (result == null) {
          result = compute.get();
          value = result;
        }
      }
    }
    return result;
  }
}
