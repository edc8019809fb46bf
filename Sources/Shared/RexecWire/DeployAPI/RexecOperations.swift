import Essentials
import ServiceKit

/// The rexec routes' OpenAPI operations, for the deploy API (which serves them) and the
/// EP gateway (which authenticates and delegates them): one description of the same wire.
public enum RexecOperations {
    /// Where the routes are mounted and what the mounting service adds to their answers.
    public struct Mount: Sendable {
        /// `""` on the deploy API, `/rexec` on the gateway.
        public var prefix: String
        /// Who may spawn, terminate and ask for status, in words.
        public var forbidden: String
        /// Answers the mounting service adds (the gateway's 504 when the deploy API is slow).
        public var extraResponses: [Int: OpenAPIDocument.Operation.Response]

        public init(prefix: String, forbidden: String, extraResponses: [Int: OpenAPIDocument.Operation.Response] = [:]) {
            self.prefix = prefix
            self.forbidden = forbidden
            self.extraResponses = extraResponses
        }

        public static let deployAPI = Mount(prefix: "", forbidden: "Not in an allowed group")
    }

    public static func all(_ mount: Mount) -> [OpenAPIDocument.Operation] {
        let answer = ServerAnswer.schema
        let errors: [Int: OpenAPIDocument.Operation.Response] = [
            400: .init("Invalid requirements or no user id in the token", schema: OpenAPIDocument.errorDetail),
            401: .init("Missing or invalid token", schema: OpenAPIDocument.errorDetail),
            403: .init(mount.forbidden, schema: OpenAPIDocument.errorDetail),
            422: .init("Missing or malformed field", schema: OpenAPIDocument.errorDetail),
            502: .init("Identity provider or platform failure", schema: OpenAPIDocument.errorDetail),
            503: .init("The platform is not ready (broker missing, namespace still being removed)", schema: OpenAPIDocument.errorDetail),
        ].merging(mount.extraResponses) { $1 }
        let spawnBody = OpenAPIDocument.formBody(SpawnRequest.formSchema)
        func spawn(_ path: String, _ summary: String) -> OpenAPIDocument.Operation {
            .init(
                "POST", path, summary: summary, tags: ["rexec"], security: .bearer, requestBody: spawnBody,
                responses: errors.merging([
                    200: .init("Created, unchanged or replaced", schema: answer),
                    409: .init("A server with other requirements exists", schema: answer),
                    504: .init("wait=true and the server did not become ready in time", schema: answer),
                ]) { $1 }
            )
        }
        let root = mount.prefix.isEmpty ? "/" : mount.prefix
        return [
            spawn(mount.prefix + "/spawn", "Create, keep or (with force) replace the caller's rexec server."),
            spawn(root, "Alias of spawn (where ndp-ep leaves scidx-rexec's API URL)."),
            .init(
                "DELETE", mount.prefix + "/terminate", summary: "Remove the caller's rexec server and everything made for it.", tags: ["rexec"],
                security: .bearer, requestBody: OpenAPIDocument.formBody(OpenAPIDocument.object(["token": OpenAPIDocument.string])),
                responses: errors.merging([200: .init("Terminated, or there was none", schema: answer)]) { $1 }
            ),
            .init(
                "GET", mount.prefix + "/status", summary: "The caller's rexec server: phase, readiness, requirements, activity.", tags: ["rexec"],
                security: .bearer, responses: errors.merging([200: .init("Server state", schema: answer)]) { $1 }
            ),
            .init(
                "GET", mount.prefix + "/broker-config", summary: "Where clients reach the broker.", tags: ["rexec"],
                responses: mount.extraResponses.merging([
                    200: .init("Broker address", schema: BrokerConfig.schema),
                    500: .init("The address could not be read", schema: OpenAPIDocument.errorDetail),
                ]) { $1 }
            ),
        ]
    }
}
