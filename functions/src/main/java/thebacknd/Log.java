package thebacknd;

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

  private static void write(String level, String message) {
    if (JSON) {
      var line = Json.object().put("timestamp", Instant.now().toString()).put("level", level).put("message", message);
      System.err.println(Json.write(line));
    } else {
      System.err.println("thebacknd: " + ("WARN".equals(level) ? "WARNING: " : "") + message);
    }
  }
}
