package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import thebacknd.aws.AwsClients;
import thebacknd.config.Config;
import thebacknd.edge.Api;
import thebacknd.edge.ApiResponse;
import thebacknd.edge.Route;
import thebacknd.testing.FaultProxy;
import thebacknd.testing.Moto;
import thebacknd.testing.MotoTest;

/**
 * Rotating the kill-code key in Secrets Manager ({@code put-secret-value}) takes effect in warm
 * containers: a code by the new key is accepted at once, and a leaked key stops working two
 * rotations later, once the keys read before are {@link Secrets#MAX_AGE} old.
 */
class KillCodeRotationTest extends MotoTest {

  private static final String VM_ID = "0f8fad5b-d9cb-469f-a165-70867728950e";

  private final SecretsManagerClient secrets = Moto.clients().secretsManager();
  private String arn;

  @BeforeEach
  void secret() {
    arn = secrets.createSecret(r -> r.name("thebacknd-kill-code-key").secretString(key(1))).arn();
    env.remove("THEBACKND_SECRET");
    env.put("THEBACKND_SECRET_ARN", arn);
  }

  @Test
  void aCodeByAKeyPutAfterTheContainerReadItsKeysIsAcceptedWithoutANewContainer() {
    Api container = api();
    JsonNode vm = container.handle(Route.CREATE, "{}").body().path("vm");
    String vmId = vm.path("vm_id").asText();
    rotate(2);
    // Another container, started after the rotation, created this VM: its code is by key 2.
    ApiResponse report = container.handle(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(2, vmId), "phase", "booting")));
    assertEquals(200, report.status(), report.bodyText());
    // ... and the code this container gave it, by key 1, is still good: key 1 is AWSPREVIOUS now.
    report = container.handle(Route.REPORT, json(Map.of("vm_id", vmId, "vm_killcode", code(1, vmId), "phase", "running")));
    assertEquals(200, report.status(), report.bodyText());
  }

  @Test
  void aLeakedKeyStopsWorkingTwoRotationsLaterInAWarmContainer() {
    MutableClock clock = new MutableClock();
    KillCodes codes = new KillCodes(Secrets.from(Config.fromEnvironment(env), Moto.clients(), clock));
    assertTrue(codes.verify(VM_ID, code(1, VM_ID)));

    rotate(2);
    clock.advance(Secrets.MAX_AGE);
    assertTrue(codes.verify(VM_ID, code(1, VM_ID)), "one rotation: key 1 is AWSPREVIOUS, running VMs keep working");
    assertEquals(code(2, VM_ID), codes.codeFor(VM_ID), "new VMs get codes by the new key");

    rotate(3);
    assertTrue(codes.verify(VM_ID, code(1, VM_ID)), "until the keys read are MAX_AGE old, the container still knows key 1");
    clock.advance(Secrets.MAX_AGE);
    assertFalse(codes.verify(VM_ID, code(1, VM_ID)), "two rotations: key 1 is gone");
    assertTrue(codes.verify(VM_ID, code(2, VM_ID)));
    assertTrue(codes.verify(VM_ID, code(3, VM_ID)));
  }

  @Test
  void badCodesReReadTheKeysAtMostOnceEveryThirtySeconds() {
    try (FaultProxy counter = FaultProxy.forMoto(1)) {
      MutableClock clock = new MutableClock();
      AwsClients throughProxy = new AwsClients(Optional.of(Region.US_EAST_1), Optional.of(counter.endpoint()));
      KillCodes codes = new KillCodes(Secrets.from(Config.fromEnvironment(env), throughProxy, clock));
      String bad = code(9, VM_ID);
      assertFalse(codes.verify(VM_ID, bad)); // first read (2 versions), then one re-read on the mismatch
      assertEquals(4, reads(counter));
      for (int i = 0; i < 5; i++) {
        assertFalse(codes.verify(VM_ID, bad));
      }
      assertEquals(4, reads(counter), "no re-read within 30 s");
      clock.advance(Secrets.MISMATCH_INTERVAL);
      assertFalse(codes.verify(VM_ID, bad));
      assertEquals(6, reads(counter));
    }
  }

  @Test
  void aFailingReReadKeepsTheKeysReadBeforeAndDoesNotRetryAtOnce() {
    try (FaultProxy proxy = FaultProxy.forMoto(1)) {
      MutableClock clock = new MutableClock();
      AwsClients throughProxy = new AwsClients(Optional.of(Region.US_EAST_1), Optional.of(proxy.endpoint()));
      Secrets keys = Secrets.from(Config.fromEnvironment(env), throughProxy, clock);
      assertEquals(List.of(key(1)), keys.get());
      proxy.rule((request, random) -> request.service() == FaultProxy.Service.SECRETS_MANAGER
          ? Optional.of(new FaultProxy.Fault(new FaultProxy.AwsError("InternalServiceError", 500, "down"), FaultProxy.Delivery.INSTEAD))
          : Optional.empty());
      clock.advance(Secrets.MAX_AGE);
      assertEquals(List.of(key(1)), keys.get());
      int tried = reads(proxy);
      assertEquals(List.of(key(1)), keys.get());
      assertEquals(tried, reads(proxy), "the next try waits");
    }
  }

  private void rotate(int n) {
    secrets.putSecretValue(r -> r.secretId(arn).secretString(key(n)));
  }

  private static int reads(FaultProxy proxy) {
    return proxy.requests().getOrDefault("SECRETS_MANAGER GetSecretValue", 0);
  }

  private static String key(int n) {
    return "kill-code-key-" + n + "-0123456789abcdef";
  }

  private static String code(int n, String vmId) {
    return new KillCodes(() -> List.of(key(n))).codeFor(vmId);
  }

  private static final class MutableClock extends Clock {
    private Instant now = Instant.now();

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
