package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;
import thebacknd.aws.AwsClients;
import thebacknd.testing.FaultProxy;
import thebacknd.testing.LeasesTable;
import thebacknd.testing.Moto;

/** The leases table's conditional writes, against moto's DynamoDB, read back from it. */
class LeasesTest {

  private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");

  private Leases leases;

  @BeforeEach
  void emptyTable() {
    Moto.reset();
    LeasesTable.ensure();
    leases = new Leases(Moto.clients().dynamoDb(), LeasesTable.NAME);
  }

  @Test
  void aFreeSlotIsClaimedOnceAndTheSecondClaimerLoses() {
    Slots.Free free = new Slots.Free("thebacknd-1");
    assertEquals(Optional.of(new Lease("thebacknd-1", "a", NOW, Optional.empty())), leases.claim(free, "a", NOW));
    assertEquals(Optional.empty(), leases.claim(free, "b", NOW));
    assertEquals(List.of(Map.of("name", "thebacknd-1", "vm_id", "a", "claimed_at", NOW.toString())), LeasesTable.items());
    assertEquals(List.of(new Lease("thebacknd-1", "a", NOW, Optional.empty())), leases.all());
  }

  @Test
  void aReclaimWinsOnlyWhileTheLeaseIsExactlyTheOneSeen() {
    Lease stale = leases.claim(new Slots.Free("thebacknd-1"), "a", NOW).orElseThrow();
    Slots.Reclaimable seenUnrecorded = new Slots.Reclaimable("thebacknd-1", stale, "test");
    assertTrue(leases.recordInstance(stale, "i-1"));
    // Someone recorded an instance after our read: what we judged is no longer there.
    assertEquals(Optional.empty(), leases.claim(seenUnrecorded, "b", NOW));

    Lease recorded = new Lease("thebacknd-1", "a", NOW, Optional.of("i-1"));
    Slots.Reclaimable seen = new Slots.Reclaimable("thebacknd-1", recorded, "test");
    assertTrue(leases.claim(seen, "b", NOW.plusSeconds(1)).isPresent());
    // Two reclaimers of the same stale lease: only the first wins.
    assertEquals(Optional.empty(), leases.claim(seen, "c", NOW.plusSeconds(2)));
    assertEquals("b", LeasesTable.byName().get("thebacknd-1").get("vm_id"));
    assertFalse(LeasesTable.byName().get("thebacknd-1").containsKey("instance_id"));
  }

  @Test
  void onlyTheLeasesOwnVmRecordsAnInstanceOrReleasesIt() {
    Lease lease = leases.claim(new Slots.Free("thebacknd-1"), "a", NOW).orElseThrow();
    assertFalse(leases.recordInstance(new Lease("thebacknd-1", "other", NOW, Optional.empty()), "i-9"));
    assertTrue(leases.recordInstance(lease, "i-1"));
    assertEquals("i-1", LeasesTable.byName().get("thebacknd-1").get("instance_id"));

    leases.release("thebacknd-1", "other");
    assertEquals(Set.of("thebacknd-1"), LeasesTable.byName().keySet());
    leases.release("thebacknd-1", "a");
    assertEquals(List.of(), LeasesTable.items());
    leases.release("thebacknd-1", "a"); // already free: nothing to do, no error
  }

  @Test
  void aClaimWhoseAnswerWasLostIsRecognisedAsOursOnTheRetry() {
    try (FaultProxy proxy = FaultProxy.forMoto(3)) {
      // The first PutItem happens but its answer is lost; the SDK's retry then finds our item.
      boolean[] first = {true};
      proxy.rule((request, random) -> {
        if (request.service() == FaultProxy.Service.DYNAMODB && request.operation().equals("PutItem") && first[0]) {
          first[0] = false;
          return Optional.of(new FaultProxy.Fault(FaultProxy.DYNAMODB_INTERNAL_ERROR, FaultProxy.Delivery.AFTER));
        }
        return Optional.empty();
      });
      Leases throughProxy = new Leases(new AwsClients(Optional.of(Region.US_EAST_1), Optional.of(proxy.endpoint())).dynamoDb(), LeasesTable.NAME);
      assertTrue(throughProxy.claim(new Slots.Free("thebacknd-1"), "a", NOW).isPresent());
      assertEquals(2, proxy.requests().get("DYNAMODB PutItem"));
      assertEquals("a", LeasesTable.byName().get("thebacknd-1").get("vm_id"));
    }
  }
}
