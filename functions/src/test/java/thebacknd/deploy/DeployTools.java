package thebacknd.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import thebacknd.testing.Repo;

/**
 * Runs the repository's deployment scripts and tools (infra/*, .venv/bin/*) from the tests, from
 * the repository root, with the safety settings of dev/lib/common.sh and a time limit.
 */
final class DeployTools {

  record Result(int exit, String out, String err) {}

  private DeployTools() {}

  static Path repo() {
    return Repo.root();
  }

  static String python() {
    return venvBin("python");
  }

  static String venvBin(String name) {
    Path bin = repo().resolve(".venv/bin").resolve(name);
    if (!Files.isExecutable(bin)) {
      throw new IllegalStateException(bin + " is missing: run dev/setup (dev/test does)");
    }
    return bin.toString();
  }

  static Path targetDir() throws IOException {
    return Files.createDirectories(repo().resolve("functions/target"));
  }

  /** The environment every script gets: dummy credentials, a region, no metadata probes. */
  static Map<String, String> safeEnvironment(Map<String, String> env) {
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_ACCESS_KEY_ID", "testing");
    env.put("AWS_SECRET_ACCESS_KEY", "testing");
    env.put("AWS_REGION", "us-east-1");
    env.put("AWS_DEFAULT_REGION", "us-east-1");
    env.remove("AWS_PROFILE");
    env.remove("AWS_SESSION_TOKEN");
    env.put("PATH", repo().resolve(".venv/bin") + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
    return env;
  }

  /** Runs a command and fails the test unless it exits 0. */
  static Result run(String... command) {
    Result r = runAllowingFailure(Map.of(), command);
    if (r.exit() != 0) {
      throw new AssertionError(String.join(" ", command) + " exited " + r.exit() + "\n" + r.out() + r.err());
    }
    return r;
  }

  static Result runAllowingFailure(String... command) {
    return runAllowingFailure(Map.of(), command);
  }

  /** Runs a command with extra environment; at most 5 minutes. */
  static Result runAllowingFailure(Map<String, String> extraEnv, String... command) {
    ProcessBuilder builder = new ProcessBuilder(List.of(command)).directory(repo().toFile());
    safeEnvironment(builder.environment()).putAll(extraEnv);
    try {
      Process process = builder.start();
      process.getOutputStream().close();
      CompletableFuture<String> out = read(process.getInputStream());
      CompletableFuture<String> err = read(process.getErrorStream());
      if (!process.waitFor(5, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish within 5 minutes");
      }
      return new Result(process.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static CompletableFuture<String> read(InputStream stream) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }
}
