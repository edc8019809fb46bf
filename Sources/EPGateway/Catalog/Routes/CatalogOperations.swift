import Essentials
import ServiceKit

/// The catalog routes in the gateway's OpenAPI document.
enum CatalogOperations {
    static let server: JSONValue = [
        "name": "server", "in": "query", "required": false, "schema": ["type": "string", "enum": ["local", "global", "pre_ckan"]],
    ]

    static let errors: [Int: OpenAPIDocument.Operation.Response] = [
        400: .init("Refused (duplicate name, Pre-CKAN disabled)", schema: OpenAPIDocument.errorDetail),
        401: .init("Missing or invalid token", schema: OpenAPIDocument.errorDetail),
        403: .init("Refused by the access policy", schema: OpenAPIDocument.errorDetail),
        422: .init("Invalid request", schema: OpenAPIDocument.errorDetail),
        502: .init("Identity provider failure", schema: OpenAPIDocument.errorDetail),
        503: .init("The catalog database is unavailable", schema: OpenAPIDocument.errorDetail),
    ]

    static let organizations: [OpenAPIDocument.Operation] = [
        .init(
            "GET", "/organization", summary: "Organization names (policy: organization read).", tags: ["catalog"], security: .bearer,
            parameters: [
                server,
                ["name": "name", "in": "query", "required": false, "schema": OpenAPIDocument.string],
                ["name": "mine", "in": "query", "required": false, "schema": OpenAPIDocument.boolean],
            ],
            responses: errors.merging([200: .init("Names", schema: ["type": "array", "items": OpenAPIDocument.string])]) { $1 }),
        .init(
            "POST", "/organization", summary: "Create an organization (policy: organization create).", tags: ["catalog"], security: .bearer,
            parameters: [server],
            requestBody: OpenAPIDocument.jsonBody(
                OpenAPIDocument.object(
                    [
                        "name": ["type": "string", "pattern": "^[a-z0-9_-]{2,100}$"], "title": OpenAPIDocument.string,
                        "description": OpenAPIDocument.string,
                    ],
                    required: ["name", "title"])),
            responses: errors.merging([
                201: .init("Created", schema: OpenAPIDocument.object(["id": OpenAPIDocument.string, "message": OpenAPIDocument.string]))
            ]) { $1 }),
        .init(
            "DELETE", "/organization/{name}",
            summary: "Delete an organization, with its datasets unless cascade=false (policy: organization delete).",
            tags: ["catalog"], security: .bearer,
            parameters: [
                ["name": "name", "in": "path", "required": true, "schema": OpenAPIDocument.string],
                ["name": "server", "in": "query", "required": false, "schema": ["type": "string", "enum": ["local"]]],
                ["name": "cascade", "in": "query", "required": false, "schema": OpenAPIDocument.boolean],
            ],
            responses: errors.merging([
                200: .init("Deleted", schema: OpenAPIDocument.object(["message": OpenAPIDocument.string])),
                404: .init("No such organization", schema: OpenAPIDocument.errorDetail),
                409: .init("The organization has datasets and cascade=false", schema: OpenAPIDocument.errorDetail),
            ]) { $1 }),
    ]
}
