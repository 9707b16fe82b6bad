package thebacknd.edge;

/** Lambda entry point of the {@code logs} function: {@code thebacknd.edge.LogsHandler::handleRequest}. */
public final class LogsHandler extends LambdaHandler {
  public LogsHandler() {
    super(Route.LOGS);
  }
}
