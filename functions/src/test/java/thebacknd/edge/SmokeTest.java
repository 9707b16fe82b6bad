package thebacknd.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import thebacknd.testing.Moto;
import thebacknd.testing.TestEnv;

class SmokeTest {

  @BeforeEach
  void reset() {
    Moto.reset();
  }

  @Test
  void createListDestroy() {
    Api api = Api.fromEnvironment(TestEnv.base());
    ApiResponse created = api.handle(Endpoint.CREATE, "{}");
    assertEquals(201, created.status(), created.bodyText());
    ApiResponse listed = api.handle(Endpoint.LIST, null);
    assertEquals(1, listed.body().path("vms").size(), listed.bodyText());
    assertEquals("thebacknd-1", listed.body().path("vms").get(0).path("name").asText());
    ApiResponse destroyed = api.handle(Endpoint.DESTROY_ALL, "{}");
    assertEquals(1, destroyed.body().path("destroyed").size(), destroyed.bodyText());
    assertEquals(0, api.handle(Endpoint.LIST, null).body().path("vms").size());
  }
}
