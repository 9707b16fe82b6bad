package thebacknd.edge;

/** Lambda entry point of the {@code list} function: {@code thebacknd.edge.ListHandler::handleRequest}. */
public final class ListHandler extends LambdaHandler {
  public ListHandler() {
    super(Route.LIST);
  }
}
