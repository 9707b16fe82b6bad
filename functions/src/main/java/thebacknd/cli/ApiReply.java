package thebacknd.cli;

/**
 * An API answer as the CLI reads it: the HTTP status, the body as sent (what {@code --json}
 * prints) and parsed. API Gateway's own errors ({@code {"message": "Forbidden"}}) and bodies that
 * are not JSON come here already in the API's error shape.
 */
record ApiReply(int status, String text, JsonValue body) {

  static ApiReply of(int status, String text) {
    return new ApiReply(status, text, JsonValue.parse(text));
  }

  boolean failed() {
    return status >= 400;
  }

  /** An error answer in one line: "message [code, HTTP status]", control characters escaped. */
  String describe() {
    JsonValue error = body.path("error");
    return Render.safe(error.path("message").asText("HTTP " + status) + " [" + error.path("code").asText("http_" + status) + ", HTTP " + status + "]");
  }

  /**
   * The exit code an error answer ends a command with: a 400 is the caller's input refused (a
   * usage error, 2, as if the CLI had caught it); anything else a failed operation (1).
   */
  int exitCode() {
    return status == 400 ? Main.USAGE : Main.FAILED;
  }

  /** An answer worth asking again for: throttled, or AWS failing for a moment. */
  boolean worthRetrying() {
    return status == 429 || (status >= 502 && status <= 504);
  }
}
