package thebacknd.testing;

import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.util.Arrays;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs one {@code @FuzzTest}, {@code CLASS#METHOD}, in this JVM: what {@code dev/fuzz} starts
 * once per target with {@code JAZZER_FUZZ=1} (Jazzer fuzzes one test per JVM). Exit 0 when it
 * passed, 1 when it failed (a finding) or did not run.
 */
public final class FuzzMain {

  private FuzzMain() {}

  public static void main(String[] args) throws ClassNotFoundException {
    String[] target = args[0].split("#", 2);
    Class<?> testClass = Class.forName(target[0]);
    Method method = Arrays.stream(testClass.getDeclaredMethods())
        .filter(m -> m.getName().equals(target[1]))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no method " + args[0]));
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create().execute(
        LauncherDiscoveryRequestBuilder.request().selectors(DiscoverySelectors.selectMethod(testClass, method)).build(), listener);
    TestExecutionSummary summary = listener.getSummary();
    summary.printFailuresTo(new PrintWriter(System.out, true), 30);
    boolean passed = summary.getTestsSucceededCount() > 0 && summary.getTotalFailureCount() == 0;
    System.out.println("fuzz target " + args[0] + ": " + (passed ? "passed" : "FAILED"));
    System.exit(passed ? 0 : 1);
  }
}
