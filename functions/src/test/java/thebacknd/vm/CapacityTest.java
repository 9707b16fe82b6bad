package thebacknd.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import thebacknd.Failure;
import thebacknd.aws.AwsErrors;
import thebacknd.config.SpotFallback;
import thebacknd.vm.Capacity.Option;

/** The capacity walk as a pure decision (DESIGN §9 "Capacity"). */
class CapacityTest {

  private static final Failure NO_ROOM = new Failure(Failure.Kind.UNAVAILABLE, AwsErrors.INSUFFICIENT_CAPACITY,
      "EC2 RunInstances failed with InsufficientInstanceCapacity: We currently do not have sufficient capacity.");

  @Test
  void spotFirstThenTheSameTypesOnDemandUnlessTheFallbackIsNone() {
    List<String> types = List.of("t3.micro", "t3.small");
    assertEquals(List.of(new Option("t3.micro", true), new Option("t3.small", true), new Option("t3.micro", false), new Option("t3.small", false)),
        Capacity.plan(types, true, SpotFallback.ON_DEMAND));
    assertEquals(List.of(new Option("t3.micro", true), new Option("t3.small", true)), Capacity.plan(types, true, SpotFallback.NONE));
    assertEquals(List.of(new Option("t3.micro", false), new Option("t3.small", false)), Capacity.plan(types, false, SpotFallback.NONE));
  }

  @Test
  void eachRefusalForCapacityMovesToTheNextOptionUntilNoneIsLeft() {
    List<Option> plan = Capacity.plan(List.of("t3.micro", "t3.small"), true, SpotFallback.ON_DEMAND);
    assertEquals(new Capacity.Try(plan.get(0)), Capacity.next(plan, List.of(), Optional.empty(), true));
    assertEquals(new Capacity.Try(plan.get(2)), Capacity.next(plan, plan.subList(0, 2), Optional.of(NO_ROOM), true));
    Capacity.Next none = Capacity.next(plan, plan, Optional.of(NO_ROOM), true);
    Failure failure = assertInstanceOf(Capacity.NoneLaunched.class, none).failure();
    assertEquals(503, failure.status());
    assertEquals("insufficient_capacity", failure.code());
    assertTrue(failure.getMessage().startsWith("No capacity for t3.micro, t3.small (spot), then t3.micro, t3.small (on demand); nothing was launched"),
        failure.getMessage());
    assertTrue(failure.getMessage().contains("InsufficientInstanceCapacity"), failure.getMessage());
  }

  @Test
  void anyOtherFailureEndsTheWalkAsItIs() {
    List<Option> plan = Capacity.plan(List.of("t3.micro", "t3.small"), false, SpotFallback.ON_DEMAND);
    Failure refused = new Failure(Failure.Kind.UPSTREAM_FAILED, "aws_error", "EC2 RunInstances failed with InvalidParameterValue: no.");
    assertSame(refused, assertInstanceOf(Capacity.Failed.class, Capacity.next(plan, plan.subList(0, 1), Optional.of(refused), true)).failure());
    Failure throttled = new Failure(Failure.Kind.UNAVAILABLE, "aws_throttled", "EC2 RunInstances failed with RequestLimitExceeded.");
    assertSame(throttled, assertInstanceOf(Capacity.Failed.class, Capacity.next(plan, plan.subList(0, 1), Optional.of(throttled), true)).failure());
  }

  @Test
  void noTryStartsPastTheLaunchDeadlineAndTheAnswerSaysWhatWasNotTried() {
    List<Option> plan = Capacity.plan(List.of("t3.micro", "t3.small", "t3.medium"), false, SpotFallback.ON_DEMAND);
    Failure slow = assertInstanceOf(Capacity.NoneLaunched.class, Capacity.next(plan, List.of(), Optional.empty(), false)).failure();
    assertEquals("aws_slow", slow.code());
    Failure late = assertInstanceOf(Capacity.NoneLaunched.class, Capacity.next(plan, plan.subList(0, 1), Optional.of(NO_ROOM), false)).failure();
    assertEquals(503, late.status());
    assertTrue(late.getMessage().startsWith("No capacity for t3.micro (on demand), and no time left in this create for t3.small, t3.medium (on demand)"),
        late.getMessage());
  }

  @Test
  void theRequestedTypesAreAtMostFiveDistinctAllowedOnes() {
    Set<String> allowed = Set.of("t3.micro", "t3.small", "t3.medium", "t3.large", "t3.xlarge", "t3.2xlarge");
    assertEquals(List.of("t3.micro"), Capacity.instanceTypes(List.of(), "t3.micro", allowed));
    assertEquals(List.of("t3.large", "t3.micro"), Capacity.instanceTypes(List.of("t3.large", "t3.micro"), "t3.micro", allowed));
    assertEquals("too_many_instance_types", assertThrows(Failure.class,
        () -> Capacity.instanceTypes(List.copyOf(allowed), "t3.micro", allowed)).code());
    assertEquals("repeated_instance_type", assertThrows(Failure.class,
        () -> Capacity.instanceTypes(List.of("t3.small", "t3.small"), "t3.micro", allowed)).code());
    Failure notAllowed = assertThrows(Failure.class, () -> Capacity.instanceTypes(List.of("t3.small", "p5.48xlarge"), "t3.micro", allowed));
    assertEquals("instance_type_not_allowed", notAllowed.code());
    assertEquals(400, notAllowed.status());
  }
}
