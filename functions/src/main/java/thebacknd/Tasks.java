package thebacknd;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** What the thread pools share: a task's own exception, not the pool's wrapper around it. */
public final class Tasks {

  private Tasks() {}

  /**
   * The task's result; what it threw, as it threw it (a {@link Failure} stays a Failure), or an
   * IllegalStateException naming {@code what} for a checked one.
   */
  public static <T> T await(Future<T> task, String what) throws InterruptedException {
    try {
      return task.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(what + " failed", e.getCause());
    }
  }
}
