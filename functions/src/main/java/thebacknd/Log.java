package thebacknd;

/**
 * One line per event on stderr (CloudWatch in Lambda, the terminal locally). Stdout stays clean
 * for the CLI's output.
 */
public final class Log {

  private Log() {}

  public static void info(String message) {
    System.err.println("thebacknd: " + message);
  }

  public static void warn(String message) {
    System.err.println("thebacknd: WARNING: " + message);
  }
}
