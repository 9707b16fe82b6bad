package thebacknd;

/**
 * A failure the caller should hear about: a kind (which fixes the HTTP status), a snake_case code
 * and one human sentence. Thrown by domain code, rendered by the edge; never carries a stack trace,
 * because it is an answer, not a bug.
 */
public final class Failure extends RuntimeException {

  /** What went wrong, from the caller's point of view; each kind has one HTTP status. */
  public enum Kind {
    BAD_REQUEST(400),
    FORBIDDEN(403),
    NOT_FOUND(404),
    METHOD_NOT_ALLOWED(405),
    /** The request contradicts what holds now: {@code vm_mismatch}, {@code vm_expired}, {@code output_closed}. */
    CONFLICT(409),
    /** What the request is about is gone for good: {@code vm_gone}. */
    GONE(410),
    TOO_LARGE(413),
    CACHE_CHECK_FAILED(422),
    TOO_MANY(429),
    /** What we depend on refused or failed: AWS, the binary cache, the API seen from the CLI. */
    UPSTREAM_FAILED(502),
    /** AWS kept throttling or failing (5xx, timeouts) after the retries: try again later. */
    UNAVAILABLE(503),
    /** A bug on our side; never used for bad input. */
    INTERNAL(500);

    public final int status;

    Kind(int status) {
      this.status = status;
    }
  }

  private final Kind kind;
  private final String code;

  public Failure(Kind kind, String code, String message) {
    super(message, null, false, false);
    this.kind = kind;
    this.code = code;
  }

  public static Failure badRequest(String code, String message) {
    return new Failure(Kind.BAD_REQUEST, code, message);
  }

  /**
   * Caller-supplied text fit to quote in a one-line message: control characters (newlines
   * included) and unpaired surrogates (which UTF-8 cannot carry) shown as {@code ?}, at most
   * {@code max} code points, never cut inside a pair.
   */
  public static String excerpt(String text, int max) {
    String line = String.valueOf(text).codePoints()
        .map(c -> Character.isISOControl(c) || Character.getType(c) == Character.SURROGATE ? '?' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
        .toString();
    return line.codePointCount(0, line.length()) <= max ? line : line.substring(0, line.offsetByCodePoints(0, max)) + "…";
  }

  public Kind kind() {
    return kind;
  }

  public String code() {
    return code;
  }

  public int status() {
    return kind.status;
  }
}
