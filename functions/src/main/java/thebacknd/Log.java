package thebacknd;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;

/**
 * One line per event on stderr: CloudWatch in Lambda, the terminal locally (stdout stays clean for
 * the CLI's output). When Lambda's log format is JSON ({@code AWS_LAMBDA_LOG_FORMAT=JSON}, set by
 * the template's LoggingConfig), each line is a JSON object with a level, which Lambda passes
 * through as a structured log entry instead of wrapping it. A JSON line also carries the request
 * it belongs to ({@code function_request_id}, as Powertools for AWS Lambda names it) and, once the
 * request has said which VM it is about, that VM's {@code vm_id}, so one VM's story can be
 * followed across functions in CloudWatch.
 */
public final class Log {

  private static final boolean JSON = "JSON".equalsIgnoreCase(System.getenv("AWS_LAMBDA_LOG_FORMAT"));

  /** The request and VM the current thread works for; empty outside a request. */
  private static final ThreadLocal<Context> CONTEXT = ThreadLocal.withInitial(() -> Context.NONE);

  private Log() {}

  /** What a log line says it belongs to. */
  record Context(String requestId, String vmId) {
    static final Context NONE = new Context(null, null);
  }

  /** A request's scope, closed when its answer is written. */
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  /** A request's scope: until it is closed, the thread's lines carry {@code requestId}. */
  public static Scope request(String requestId) {
    CONTEXT.set(new Context(requestId, null));
    return CONTEXT::remove;
  }

  static Context context() {
    return CONTEXT.get();
  }

  /** A scope that, when closed, forgets which VM the thread's lines were about (pooled threads). */
  public static Scope keepingContext() {
    Context before = CONTEXT.get();
    return () -> CONTEXT.set(before);
  }

  /** The current request is about the VM {@code vmId}: its later lines say so. */
  public static void aboutVm(String vmId) {
    Context current = CONTEXT.get();
    CONTEXT.set(new Context(current.requestId(), vmId));
  }

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
    System.err.println(line(JSON, level, message, stackTrace, CONTEXT.get()));
  }

  static String line(boolean json, String level, String message, String stackTrace) {
    return line(json, level, message, stackTrace, Context.NONE);
  }

  /** One event as printed: a JSON object on one line, or text for a terminal (which needs no context). */
  static String line(boolean json, String level, String message, String stackTrace, Context context) {
    if (json) {
      var line = Json.object().put("timestamp", Instant.now().toString()).put("level", level).put("message", message);
      if (context.requestId() != null) {
        line.put("function_request_id", context.requestId());
      }
      if (context.vmId() != null) {
        line.put("vm_id", context.vmId());
      }
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
