import Essentials
import ServiceKit

/// The services proxy and health view in the gateway's OpenAPI document.
enum ServiceOperations {
    typealias Doc = OpenAPIDocument

    static let name: JSONValue = ["name": "name", "in": "path", "required": true, "schema": Doc.string]
    static let path: JSONValue = ["name": "path", "in": "path", "required": true, "schema": Doc.string]
    static let answers: [Int: Doc.Operation.Response] = [
        200: .init("The service's answer, passed through", schema: [:], contentType: "*/*"),
        401: .init("The service requires authentication", schema: Doc.errorDetail),
        403: .init("Refused by the access policy", schema: Doc.errorDetail),
        404: .init("No such service", schema: Doc.errorDetail),
        502: .init("The service is unreachable", schema: Doc.errorDetail),
        504: .init("The service did not answer in time", schema: Doc.errorDetail),
    ]

    static let all: [Doc.Operation] =
        ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].flatMap { method in
            [
                Doc.Operation(
                    method, "/services/redirect/{name}",
                    summary: "Forward to the registered service (policy: service read; protected with requires_auth).", tags: ["services"],
                    parameters: [name], responses: answers),
                Doc.Operation(
                    method, "/services/redirect/{name}/{path}", summary: "Forward to a path of the registered service.", tags: ["services"],
                    parameters: [name, path], responses: answers),
            ]
        } + [
            Doc.Operation(
                "GET", "/services/health", summary: "Check every registered service's health_check_url at once (policy: service read, protected).",
                tags: ["services"], security: .bearer,
                responses: [
                    200: .init(
                        "One report per service",
                        schema: Doc.object(["services": ["type": "array"], "up": Doc.integer, "down": Doc.integer, "checked_at": Doc.string])),
                    401: .init("Missing or invalid token", schema: Doc.errorDetail),
                ])
        ]
}
