package thebacknd.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** toplevel-scripts/thebacknd as a developer runs it: one-off commands, and `serve` in the background. */
public final class Launcher {

  private static final Pattern SERVING = Pattern.compile("thebacknd: serving on (http://127\\.0\\.0\\.1:\\d+)");

  private Launcher() {}

  public static String path() {
    return Repo.root().resolve("toplevel-scripts/thebacknd").toString();
  }

  /** Runs {@code thebacknd ARGS…} with the current environment plus {@code env}, within two minutes. */
  public static Command.Result run(Map<String, String> env, String... args) {
    return Command.run(Stream.concat(Stream.of(path()), Stream.of(args)).toList(), env, Repo.root(), Duration.ofMinutes(2));
  }

  /** {@code thebacknd serve --port 0}, started with {@code env}; {@link #close} stops it with SIGTERM. */
  public static Served serve(Map<String, String> env) {
    ProcessBuilder builder = new ProcessBuilder(path(), "serve", "--port", "0");
    builder.environment().putAll(env);
    builder.redirectError(ProcessBuilder.Redirect.DISCARD);
    try {
      Process process = builder.start();
      String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
      Matcher m = SERVING.matcher(String.valueOf(line));
      if (!m.matches()) {
        process.destroyForcibly();
        throw new AssertionError("serve printed: " + line);
      }
      return new Served(process, m.group(1));
    } catch (IOException e) {
      throw new AssertionError("cannot start " + path() + " serve", e);
    }
  }

  /** A running `thebacknd serve` and the URL it prints. */
  public record Served(Process process, String url) implements AutoCloseable {
    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new AssertionError("serve did not stop within 10 s of SIGTERM");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted stopping serve", e);
      }
    }
  }
}
