package thebacknd.edge;

/** Lambda entry point of the {@code output} function: {@code thebacknd.edge.OutputHandler::handleRequest}. */
public final class OutputHandler extends LambdaHandler {
  public OutputHandler() {
    super(Route.OUTPUT);
  }
}
