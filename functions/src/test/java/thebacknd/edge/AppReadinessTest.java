package thebacknd.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import thebacknd.config.ConfigException;
import thebacknd.testing.MotoTest;

/** A function that claims, releases or reads leases refuses to start without the table; the others start. */
class AppReadinessTest extends MotoTest {

  private static final Set<Route> USE_LEASES =
      EnumSet.of(Route.CREATE, Route.DESTROY, Route.DESTROY_ALL, Route.DESTROY_OLD, Route.DESTROY_SELF,
          Route.EXTEND, Route.OUTPUT, Route.LOGS, Route.CONSOLE);

  @Test
  void withoutTheLeasesTableOnlyTheFunctionsThatNeedItFailAtStartUp() {
    env.remove("THEBACKND_LEASES_TABLE");
    App app = App.fromEnvironment(env);
    for (Route route : USE_LEASES) {
      ConfigException e = assertThrows(ConfigException.class, () -> app.requireReadyFor(route), route.toString());
      assertEquals("THEBACKND_LEASES_TABLE is required to create, find and destroy VMs (the DynamoDB table of name leases)", e.getMessage());
    }
    app.requireReadyFor(Route.LIST);
    app.requireReadyFor(Route.REPORT);
    assertEquals(200, app.api().handle(Route.LIST, null).status());
  }

  @Test
  void aTableThatDoesNotExistIsA502NamingDynamoDbsErrorAndNothingIsLaunched() {
    env.put("THEBACKND_LEASES_TABLE", "no-such-table");
    ApiResponse response = App.fromEnvironment(env).api().handle(Route.CREATE, "{}");
    assertEquals(502, response.status(), response.bodyText());
    assertEquals("aws_error", response.body().path("error").path("code").asText());
    assertEquals(true, response.body().path("error").path("message").asText().contains("ResourceNotFoundException"), response.bodyText());
    assertEquals(0, ec2.all().size());
  }

  @Test
  void listWithoutReadableLeasesStillListsWhatEc2Shows() {
    String id = ec2.launchOurs(1, java.time.Instant.now().plusSeconds(3600));
    env.put("THEBACKND_LEASES_TABLE", "no-such-table");
    ApiResponse response = App.fromEnvironment(env).api().handle(Route.LIST, null);
    assertEquals(200, response.status(), response.bodyText());
    assertEquals(id, response.body().path("vms").get(0).path("instance_id").asText());
  }
}
