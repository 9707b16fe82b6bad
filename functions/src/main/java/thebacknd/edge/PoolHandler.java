package thebacknd.edge;

/** Lambda entry point of the {@code pool} function: {@code thebacknd.edge.PoolHandler::handleRequest}. */
public final class PoolHandler extends LambdaHandler {
  public PoolHandler() {
    super(Route.POOL);
  }
}
