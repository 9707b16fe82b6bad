package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import thebacknd.edge.Api;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Endpoint;
import thebacknd.testing.MotoTest;

/**
 * Creates racing each other, each with its own service and clients as separate Lambda containers
 * would be: names stay unique and the cap holds, with no lock shared between them.
 */
class ConcurrentCreateTest extends MotoTest {

  @Test
  void twentyConcurrentCreatesGetTwentyDistinctNames() throws Exception {
    env.put("THEBACKND_MAX_VMS", "20");
    List<ApiResponse> responses = race(20);
    assertEquals(List.of(201), responses.stream().map(ApiResponse::status).distinct().toList(), statuses(responses));

    Set<String> names = responses.stream().map(r -> r.body().path("vm").path("name").asText()).collect(Collectors.toSet());
    assertEquals(20, names.size(), "distinct names: " + names);
    Set<String> listedNames = new HashSet<>();
    listed().forEach(vm -> listedNames.add(vm.path("name").asText()));
    assertEquals(names, listedNames, "the names answered are the names live");
    Set<String> expected = new HashSet<>();
    for (int n = 1; n <= 20; n++) {
      expected.add("thebacknd-" + n);
    }
    assertEquals(expected, listedNames, "no gaps: thebacknd-1 … thebacknd-20");
    assertEquals(20, ec2.liveIds().size());
  }

  @Test
  void theCapHoldsUnderConcurrentCreates() throws Exception {
    env.put("THEBACKND_MAX_VMS", "7");
    List<ApiResponse> responses = race(20);
    Map<Integer, Long> byStatus = responses.stream().collect(Collectors.groupingBy(ApiResponse::status, Collectors.counting()));
    assertEquals(Map.of(201, 7L, 429, 13L), byStatus, statuses(responses));
    assertEquals(7, ec2.liveIds().size(), "exactly the cap is live");
    assertEquals(7, listed().size());
    Set<String> names = new HashSet<>();
    listed().forEach(vm -> names.add(vm.path("name").asText()));
    assertEquals(7, names.size());
  }

  private List<ApiResponse> race(int creates) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(creates);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<ApiResponse>> futures = new ArrayList<>();
      for (int i = 0; i < creates; i++) {
        Api ownContainer = api();
        Callable<ApiResponse> create = () -> {
          start.await();
          return ownContainer.handle(Endpoint.CREATE, "{}");
        };
        futures.add(pool.submit(create));
      }
      start.countDown();
      List<ApiResponse> responses = new ArrayList<>();
      for (Future<ApiResponse> f : futures) {
        responses.add(f.get());
      }
      return responses;
    } finally {
      pool.shutdownNow();
    }
  }

  private static String statuses(List<ApiResponse> responses) {
    return responses.stream().map(r -> r.status() + " " + r.bodyText()).collect(Collectors.joining("\n"));
  }
}
