package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import thebacknd.vm.Slots.Free;
import thebacknd.vm.Slots.Held;
import thebacknd.vm.Slots.Reclaimable;
import thebacknd.vm.Slots.Seen;
import thebacknd.vm.Slots.Slot;

/** Which slots a create may claim, from one read of the leases and one of EC2. */
class SlotsTest {

  private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
  private static final Instant JUST_NOW = NOW.minusSeconds(20);
  private static final Instant LONG_AGO = NOW.minus(Slots.LAUNCH_GRACE).minusSeconds(1);

  private static Lease lease(int n, String vmId, Instant claimedAt, String instanceId) {
    return new Lease("thebacknd-" + n, vmId, claimedAt, Optional.ofNullable(instanceId));
  }

  private static Seen seen(String instanceId, String vmId, int n, String state) {
    return new Seen(instanceId, vmId, "thebacknd-" + n, state);
  }

  private static Slot slot(int n, List<Lease> leases, List<Seen> seen) {
    return Slots.assess(leases, seen, 10, NOW).get(n - 1);
  }

  @Test
  void everySlotUpToTheCapInOrderAndOnlyThose() {
    List<Slot> slots = Slots.assess(List.of(lease(12, "x", JUST_NOW, null)), List.of(), 3, NOW);
    assertEquals(List.of(new Free("thebacknd-1"), new Free("thebacknd-2"), new Free("thebacknd-3")), slots);
  }

  @Test
  void aLeaseWhoseVmIsLiveHoldsItsSlotHoweverOld() {
    Lease lease = lease(1, "a", LONG_AGO, "i-1");
    assertInstanceOf(Held.class, slot(1, List.of(lease), List.of(seen("i-1", "a", 1, "running"))));
    assertInstanceOf(Held.class, slot(1, List.of(lease), List.of(seen("i-1", "a", 1, "stopped"))));
  }

  @Test
  void aVmNotYetVisibleKeepsItsSlotForTheGrace() {
    // EC2 has not shown the instance yet: it may well exist.
    assertInstanceOf(Held.class, slot(1, List.of(lease(1, "a", JUST_NOW, "i-1")), List.of()));
    assertInstanceOf(Held.class, slot(1, List.of(lease(1, "a", JUST_NOW, null)), List.of()));
  }

  @Test
  void aVmSeenGoneFreesItsSlotAtOnce() {
    Lease lease = lease(1, "a", JUST_NOW, "i-1");
    Slot slot = slot(1, List.of(lease), List.of(seen("i-1", "a", 1, "shutting-down")));
    assertEquals(new Reclaimable("thebacknd-1", lease, "its instance i-1 is shutting-down"), slot);
    assertInstanceOf(Reclaimable.class, slot(1, List.of(lease), List.of(seen("i-1", "a", 1, "terminated"))));
  }

  @Test
  void anUnrecordedLaunchSeenGoneByItsVmIdFreesItsSlot() {
    Lease lease = lease(1, "a", JUST_NOW, null);
    assertInstanceOf(Reclaimable.class, slot(1, List.of(lease), List.of(seen("i-9", "a", 1, "terminated"))));
    assertInstanceOf(Held.class, slot(1, List.of(lease), List.of(seen("i-9", "a", 1, "pending"))));
  }

  @Test
  void pastTheGraceAVmNeverSeenFreesItsSlot() {
    Lease neverLaunched = lease(1, "a", LONG_AGO, null);
    assertEquals(
        new Reclaimable("thebacknd-1", neverLaunched, "nothing was launched for it within 5 minutes"),
        slot(1, List.of(neverLaunched), List.of()));
    Lease vanished = lease(2, "b", LONG_AGO, "i-2");
    assertEquals(new Reclaimable("thebacknd-2", vanished, "its instance i-2 is not found"), slot(2, List.of(vanished), List.of()));
  }

  @Test
  void aLiveVmWithASlotsNameHoldsItEvenWithoutALease() {
    // Launched before leases existed, or its lease was lost: its name is still taken.
    assertInstanceOf(Held.class, slot(1, List.of(), List.of(seen("i-1", "old", 1, "running"))));
    Lease stale = lease(1, "a", LONG_AGO, null);
    assertInstanceOf(Held.class, slot(1, List.of(stale), List.of(seen("i-1", "other", 1, "running"))));
    assertInstanceOf(Free.class, slot(1, List.of(), List.of(seen("i-1", "old", 1, "terminated"))));
  }

  @Test
  void claimableSlotsAreTheFreeAndReclaimableOnesSmallestFirst() {
    List<Slot> slots =
        Slots.assess(
            List.of(lease(1, "a", JUST_NOW, "i-1"), lease(2, "b", JUST_NOW, "i-2")),
            List.of(seen("i-1", "a", 1, "running"), seen("i-2", "b", 2, "terminated")),
            4,
            NOW);
    assertEquals(List.of("thebacknd-2", "thebacknd-3", "thebacknd-4"), Slots.claimable(slots).stream().map(Slot::name).toList());
    assertEquals(List.of(), Slots.claimable(Slots.assess(List.of(lease(1, "a", JUST_NOW, null)), List.of(), 1, NOW)));
  }

  @Test
  void aLeaseClaimedByAClockAheadOfOursIsNotOld() {
    assertInstanceOf(Held.class, slot(1, List.of(lease(1, "a", NOW.plusSeconds(90), null)), List.of()));
  }
}
