package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LaunchRaceTest {

  private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

  private static Vm vm(String instanceId, String vmId, String name, Instant launchedAt) {
    return new Vm(name, vmId, instanceId, "pending", "t3.micro", null, null, launchedAt,
        launchedAt.plusSeconds(3600), false, List.of(), null, null, null, null);
  }

  @Test
  void aLoneVmKeepsItsName() {
    Map<String, LaunchRace.Verdict> verdicts = LaunchRace.settle(List.of(vm("i-1", "a", "thebacknd-1", T0)), 10);
    assertInstanceOf(LaunchRace.Keep.class, verdicts.get("i-1"));
  }

  @Test
  void theEarlierLaunchKeepsADuplicatedNameAndTheLaterIsRenumbered() {
    Map<String, LaunchRace.Verdict> verdicts =
        LaunchRace.settle(
            List.of(vm("i-late", "a", "thebacknd-1", T0.plusSeconds(1)), vm("i-early", "b", "thebacknd-1", T0)), 10);
    assertInstanceOf(LaunchRace.Keep.class, verdicts.get("i-early"));
    assertEquals(new LaunchRace.Renumber("thebacknd-2"), verdicts.get("i-late"));
  }

  @Test
  void sameSecondTiesAreBrokenByVmIdTheSameWayForEveryObserver() {
    List<Vm> view = List.of(vm("i-x", "bbb", "thebacknd-1", T0), vm("i-y", "aaa", "thebacknd-1", T0));
    List<Vm> reversed = List.of(view.get(1), view.get(0));
    assertEquals(LaunchRace.settle(view, 10), LaunchRace.settle(reversed, 10));
    assertInstanceOf(LaunchRace.Keep.class, LaunchRace.settle(view, 10).get("i-y"));
  }

  @Test
  void everyLoserOfOneRoundGetsADistinctFreeName() {
    List<Vm> view = new ArrayList<>();
    view.add(vm("i-old", "0", "thebacknd-2", T0.minusSeconds(600)));
    for (int i = 0; i < 20; i++) {
      view.add(vm("i-" + i, String.format("%02d", i), "thebacknd-1", T0));
    }
    Map<String, LaunchRace.Verdict> verdicts = LaunchRace.settle(view, 100);
    Set<String> names = new HashSet<>();
    for (Vm vm : view) {
      LaunchRace.Verdict v = verdicts.get(vm.instanceId());
      String name = v instanceof LaunchRace.Renumber r ? r.newName() : vm.name();
      assertEquals(true, names.add(name), "duplicate " + name);
    }
    assertEquals(21, names.size());
    // thebacknd-2 was taken by the old VM, so the first loser gets 3.
    assertEquals(new LaunchRace.Renumber("thebacknd-3"), verdicts.get("i-1"));
  }

  @Test
  void launchesBeyondTheCapInLaunchOrderAreOverCap() {
    List<Vm> view = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      view.add(vm("i-" + i, "v" + i, "thebacknd-" + (i + 1), T0.plusSeconds(i)));
    }
    Map<String, LaunchRace.Verdict> verdicts = LaunchRace.settle(view, 3);
    assertInstanceOf(LaunchRace.Keep.class, verdicts.get("i-2"));
    assertInstanceOf(LaunchRace.OverCap.class, verdicts.get("i-3"));
    assertInstanceOf(LaunchRace.OverCap.class, verdicts.get("i-4"));
  }

  @Test
  void smallestFreeNameFillsGaps() {
    assertEquals("thebacknd-1", LaunchRace.smallestFreeName(Set.of()));
    assertEquals("thebacknd-2", LaunchRace.smallestFreeName(Set.of("thebacknd-1", "thebacknd-3")));
    assertEquals("thebacknd-1", LaunchRace.smallestFreeName(Set.of("web", "thebacknd-2")));
  }

  @Test
  void aViewIsSettledHalfASecondAfterTheLaunchSecondEnds() {
    assertEquals(
        Instant.parse("2026-11-23T10:00:01.500Z"),
        LaunchRace.settledAfter(Instant.parse("2026-11-23T10:00:00.250Z"), Duration.ofMillis(500)));
  }
}
