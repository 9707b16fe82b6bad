package thebacknd.edge;

/** Lambda entry point of the {@code extend} function: {@code thebacknd.edge.ExtendHandler::handleRequest}. */
public final class ExtendHandler extends LambdaHandler {
  public ExtendHandler() {
    super(Route.EXTEND);
  }
}
