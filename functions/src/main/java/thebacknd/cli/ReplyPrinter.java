package thebacknd.cli;

import java.io.PrintWriter;
import java.util.function.BiConsumer;

/**
 * Prints an API answer: JSON or human on success; the error's one sentence on stderr otherwise
 * (exit 2 for a 400, the input refused; 1 for any other error).
 */
final class ReplyPrinter {

  private ReplyPrinter() {}

  /** {@code --json}: the answer as the API sent it; otherwise {@code human} renders its body. */
  static int print(Invocation in, ApiOptions api, ApiReply reply, BiConsumer<PrintWriter, JsonValue> human) {
    if (reply.failed()) {
      return error(in, reply);
    }
    PrintWriter out = in.out();
    if (api.json) {
      out.println(reply.text().strip());
    } else {
      human.accept(out, reply.body());
    }
    out.flush();
    return Main.OK;
  }

  static int error(Invocation in, ApiReply reply) {
    in.err().println("thebacknd: " + reply.describe());
    in.err().flush();
    return reply.exitCode();
  }
}
