package thebacknd.edge;

/** Lambda entry point of the {@code console} function: {@code thebacknd.edge.ConsoleHandler::handleRequest}. */
public final class ConsoleHandler extends LambdaHandler {
  public ConsoleHandler() {
    super(Route.CONSOLE);
  }
}
