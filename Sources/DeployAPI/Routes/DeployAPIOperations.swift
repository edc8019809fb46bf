import Shared

/// The deploy API's operations for /openapi.json and /docs.
enum DeployAPIOperations {
    static let outcome = OpenAPIDocument.object(
        ["Status": OpenAPIDocument.string, "Username": OpenAPIDocument.string, "NDP_Endpoint_membership": ["type": ["string", "null"]]],
        required: ["Status", "Username", "NDP_Endpoint_membership"]
    )

    static let spawnForm = OpenAPIDocument.formBody(
        OpenAPIDocument.object(
            [
                "requirments": ["type": "array", "items": OpenAPIDocument.string, "description": "PEP 508 lines; one must be python==X.Y (upstream's spelling)."],
                "requirements": ["type": "array", "items": OpenAPIDocument.string, "description": "Accepted as well."],
                "token": OpenAPIDocument.string,
                "force": OpenAPIDocument.string,
                "force_reinstall": OpenAPIDocument.string,
                "wait": OpenAPIDocument.string,
            ],
            required: ["requirments"]
        )
    )

    static let authErrors: [Int: OpenAPIDocument.Operation.Response] = [
        400: .init("Invalid requirements or no user id in the token", schema: OpenAPIDocument.errorDetail),
        401: .init("Missing or invalid token", schema: OpenAPIDocument.errorDetail),
        403: .init("Not in an allowed group", schema: OpenAPIDocument.errorDetail),
        422: .init("Missing or malformed field", schema: OpenAPIDocument.errorDetail),
        502: .init("Identity provider or platform failure", schema: OpenAPIDocument.errorDetail),
        503: .init("The platform is not ready (broker missing, namespace still being removed)", schema: OpenAPIDocument.errorDetail),
    ]

    static func spawn(_ path: String) -> OpenAPIDocument.Operation {
        .init(
            "POST", path, summary: "Create, keep or (with force) replace the caller's rexec server.", tags: ["rexec"],
            security: .bearer, requestBody: spawnForm,
            responses: authErrors.merging([
                200: .init("Created, unchanged or replaced", schema: outcome),
                409: .init("A server with other requirements exists", schema: outcome),
                504: .init("wait=true and the server did not become ready in time", schema: outcome),
            ]) { $1 }
        )
    }

    static let all: [OpenAPIDocument.Operation] = [
        RootRoute.operation,
        spawn("/spawn"),
        spawn("/"),
        .init(
            "DELETE", "/terminate", summary: "Remove the caller's rexec server and everything made for it.", tags: ["rexec"],
            security: .bearer,
            requestBody: OpenAPIDocument.formBody(OpenAPIDocument.object(["token": OpenAPIDocument.string])),
            responses: authErrors.merging([200: .init("Terminated, or there was none", schema: outcome)]) { $1 }
        ),
        .init(
            "GET", "/status", summary: "The caller's rexec server: phase, readiness, requirements, activity.", tags: ["rexec"],
            security: .bearer, responses: authErrors.merging([200: .init("Server state", schema: outcome)]) { $1 }
        ),
        .init(
            "GET", "/broker-config", summary: "Where clients reach the broker.", tags: ["rexec"],
            responses: [
                200: .init(
                    "Broker address",
                    schema: OpenAPIDocument.object([
                        "broker_external_host": ["type": ["string", "null"]], "broker_external_port": ["type": ["integer", "null"]],
                        "broker_external_url": ["type": ["string", "null"]], "api_url": ["type": ["string", "null"]],
                    ])
                ),
                500: .init("The address could not be read", schema: OpenAPIDocument.errorDetail),
            ]
        ),
    ]
}
