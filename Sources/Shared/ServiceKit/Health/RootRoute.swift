import Essentials
import Hummingbird

/// `GET /`: upstream's JSON string "API is running successfully." (clients probe it).
public enum RootRoute {
    public static let message = "API is running successfully."

    public static func route<Context: ServiceRequestContext>(access: Context.Access) -> Route<Context> {
        Route.get("/", "Liveness string kept from upstream.", access: access).tags("health")
            .answers(200, "The string \"\(message)\"", schema: JSONSchema.string)
            .handle { _ in JSONValue.string(message) }
    }

    /// The route as a feature of a service.
    public static func feature<Context: ServiceRequestContext>(access: Context.Access) -> RouteList<Context> {
        RouteList([route(access: access)])
    }
}
