package thebacknd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import thebacknd.Json;
import thebacknd.edge.Api;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.edge.App;

/**
 * Base for tests against a fresh moto account: an {@link Api} built like Lambda builds it, once
 * for each configuration a test sets in {@link #env} (a changed env is a new process: a new one).
 */
public abstract class MotoTest {

  protected Map<String, String> env;
  protected Ec2Fixture ec2;
  private App app;
  private Map<String, String> appEnv;

  @BeforeEach
  void freshAccount() {
    Moto.reset();
    env = TestEnv.base();
    ec2 = new Ec2Fixture();
  }

  @AfterEach
  void closeApp() {
    closeCurrentApp();
  }

  protected Api api() {
    if (app == null || !env.equals(appEnv)) {
      closeCurrentApp();
      Map<String, String> snapshot = Map.copyOf(env);
      app = App.fromEnvironment(snapshot);
      appEnv = snapshot;
    }
    return app.api();
  }

  private void closeCurrentApp() {
    if (app != null) {
      app.close();
      app = null;
      appEnv = null;
    }
  }

  protected ApiResponse call(Route route, String body) {
    return api().handle(route, body);
  }

  protected JsonNode createdVm(String body) {
    ApiResponse response = call(Route.CREATE, body);
    if (response.status() != 201) {
      throw new AssertionError("create answered " + response.status() + ": " + response.bodyText());
    }
    return response.body().path("vm");
  }

  protected JsonNode listed() {
    return call(Route.LIST, null).body().path("vms");
  }

  protected static String json(Object value) {
    return Json.write(value);
  }
}
