package thebacknd.cli;

/**
 * A CLI command that cannot go on, with the exit code it ends with ({@link Main#FAILED},
 * {@link Main#USAGE}…) and one line saying why; no stack trace.
 */
final class CliException extends RuntimeException {

  private final int exitCode;

  CliException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
