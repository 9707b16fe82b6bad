package thebacknd.cli;

/**
 * An API answer as the CLI reads it: the HTTP status, the body as sent (what {@code --json}
 * prints) and parsed. API Gateway's own errors ({@code {"message": "Forbidden"}}) and bodies that
 * are not JSON come here already in the API's error shape.
 */
record Reply(int status, String text, JsonValue body) {

  static Reply of(int status, String text) {
    return new Reply(status, text, JsonValue.parse(text));
  }

  boolean failed() {
    return status >= 400;
  }

  /** An error answer in one line: "message [code, HTTP status]". */
  String describe() {
    JsonValue error = body.path("error");
    return error.path("message").asText("HTTP " + status) + " [" + error.path("code").asText("http_" + status) + ", HTTP " + status + "]";
  }

  /** An answer worth asking again for: throttled, or AWS failing for a moment. */
  boolean worthRetrying() {
    return status == 429 || (status >= 502 && status <= 504);
  }
}
