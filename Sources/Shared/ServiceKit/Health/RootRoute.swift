import Essentials
import Hummingbird

/// `GET /`: upstream's JSON string "API is running successfully." (clients probe it).
public enum RootRoute {
    public static let message = "API is running successfully."

    public static func register<Context: RequestContext>(on router: some RouterMethods<Context>) {
        router.get("/") { _, _ in JSONValue.string(message) }
    }

    public static let operation = OpenAPIDocument.Operation(
        "GET", "/", summary: "Liveness string kept from upstream.", tags: ["health"],
        responses: [200: .init("The string \"\(message)\"", schema: OpenAPIDocument.string)]
    )
}
