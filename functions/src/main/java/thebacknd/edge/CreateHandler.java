package thebacknd.edge;

/** Lambda entry point of the {@code create} function: {@code thebacknd.edge.CreateHandler::handleRequest}. */
public final class CreateHandler extends LambdaHandler {
  public CreateHandler() {
    super(Route.CREATE);
  }
}
