package thebacknd.edge;

/** Lambda entry point of the {@code claim} function: {@code thebacknd.edge.ClaimHandler::handleRequest}. */
public final class ClaimHandler extends LambdaHandler {
  public ClaimHandler() {
    super(Route.CLAIM);
  }
}
