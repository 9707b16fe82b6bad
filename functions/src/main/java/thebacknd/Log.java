package thebacknd;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;

/**
 * One line per event on stderr: CloudWatch in Lambda, the terminal locally (stdout stays clean for
 * the CLI's output). When Lambda's log format is JSON ({@code AWS_LAMBDA_LOG_FORMAT=JSON}, set by
 * the template's LoggingConfig), each line is a JSON object with a level, which Lambda passes
 * through as a structured log entry instead of wrapping it.
 */
public final class Log {

  private static final boolean JSON = "JSON".equalsIgnoreCase(System.getenv("AWS_LAMBDA_LOG_FORMAT"));

  private Log() {}

  public static void info(String message) {
    write("INFO", message);
  }

  public static void warn(String message) {
    write("WARN", message);
  }

  /** A bug: the message, and the stack trace in the same event (a field of the one JSON line). */
  public static void error(String message, Throwable bug) {
    write("ERROR", message, stackTrace(bug));
  }

  static String stackTrace(Throwable bug) {
    StringWriter trace = new StringWriter();
    bug.printStackTrace(new PrintWriter(trace));
    return trace.toString();
  }

  private static void write(String level, String message) {
    write(level, message, null);
  }

  private static void write(String level, String message, String stackTrace) {
    System.err.println(line(JSON, level, message, stackTrace));
  }

  /** One event as printed: a JSON object on one line, or text for a terminal. */
  static String line(boolean json, String level, String message, String stackTrace) {
    if (json) {
      var line = Json.object().put("timestamp", Instant.now().toString()).put("level", level).put("message", message);
      if (stackTrace != null) {
        line.put("stackTrace", stackTrace);
      }
      return Json.write(line);
    }
    String prefix = switch (level) {
      case "WARN" -> "WARNING: ";
      case "ERROR" -> "ERROR: ";
      default -> "";
    };
    return "thebacknd: " + prefix + message + (stackTrace == null ? "" : "\n" + stackTrace);
  }
}
