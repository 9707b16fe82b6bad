package thebacknd.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import thebacknd.testing.TestEnv;

/**
 * SnapStart priming runs each function's route to success against canned AWS, and reaches
 * nothing: the AWS endpoint here is a closed loopback port and the regional endpoints are out of
 * reach, so any request that left the process would fail the route (5xx).
 */
class SnapStartPrimingTest {

  @Test
  void everyRouteSucceedsAgainstCannedAwsAndNothingLeavesTheProcess() {
    Map<String, String> env = new HashMap<>(TestEnv.base());
    env.put("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    env.put("THEBACKND_OUTPUT_BUCKET", "thebacknd-output");
    for (Route route : Route.values()) {
      List<Integer> statuses = SnapStartPriming.primeNow(route, env);
      assertEquals(2, statuses.size(), route + " primed twice");
      statuses.forEach(status -> assertTrue(status >= 200 && status < 300, route + " answered " + statuses));
    }
  }
}
