package thebacknd.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/** Races of calls, such as creates sent by separate Lambda containers at once. */
public final class Parallel {

  private Parallel() {}

  /**
   * Makes {@code count} tasks on this thread (task {@code i} is {@code task.apply(i)}: build the
   * container there), then runs them at most {@code threads} at a time, the first ones released
   * together; their results in order.
   */
  public static <T> List<T> run(int count, int threads, IntFunction<Callable<T>> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        Callable<T> call = task.apply(i);
        futures.add(pool.submit(() -> {
          start.await();
          return call.call();
        }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get());
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
