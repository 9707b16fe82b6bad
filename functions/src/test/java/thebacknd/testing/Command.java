package thebacknd.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a program to completion with a deadline, capturing its output; for Nix and scripts in tests. */
public final class Command {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(3);

  private Command() {}

  /** What a finished program did. */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {

    /** The last non-empty line of stdout, as scripts that print a store path end with. */
    public String lastLine() {
      return stdout.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("").trim();
    }

    /** This result, or an AssertionError showing the command and its stderr. */
    public Result requireSuccess() {
      if (exitCode != 0) {
        throw new AssertionError(String.join(" ", command) + " exited with " + exitCode + ":\n" + stderr + stdout);
      }
      return this;
    }
  }

  /** Runs {@code command} in {@code dir} with the current environment plus {@code env}. */
  public static Result run(List<String> command, Map<String, String> env, Path dir, Duration timeout) {
    try {
      Path out = Files.createTempFile("command", ".out");
      Path err = Files.createTempFile("command", ".err");
      try {
        ProcessBuilder builder =
            new ProcessBuilder(command).directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
          throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + "s");
        }
        return new Result(
            List.copyOf(command),
            process.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted running " + String.join(" ", command), e);
    }
  }
}
