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
        507: .init("The catalog's disk is full; nothing was written", schema: OpenAPIDocument.errorDetail),
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

    static let resourceSchema = OpenAPIDocument.object(
        [
            "url": OpenAPIDocument.string, "name": OpenAPIDocument.string, "format": OpenAPIDocument.string,
            "description": OpenAPIDocument.string, "mimetype": OpenAPIDocument.string, "size": OpenAPIDocument.integer,
        ], required: ["url", "name"])

    static func datasetSchema(required: [String]) -> JSONValue {
        OpenAPIDocument.object(
            [
                "name": ["type": "string", "pattern": "^[a-z0-9_-]{2,100}$"], "title": OpenAPIDocument.string, "owner_org": OpenAPIDocument.string,
                "notes": OpenAPIDocument.string, "tags": ["type": "array", "items": OpenAPIDocument.string],
                "groups": ["type": "array", "items": OpenAPIDocument.string], "extras": OpenAPIDocument.anyObject,
                "resources": ["type": "array", "items": resourceSchema], "private": OpenAPIDocument.boolean,
                "license_id": OpenAPIDocument.string, "version": OpenAPIDocument.string,
            ], required: required)
    }

    static let localServer: JSONValue = [
        "name": "server", "in": "query", "required": false, "schema": ["type": "string", "enum": ["local", "pre_ckan"]],
    ]
    static let idPath: JSONValue = ["name": "id", "in": "path", "required": true, "schema": OpenAPIDocument.string]
    static let message = OpenAPIDocument.object(["message": OpenAPIDocument.string])

    static let datasets: [OpenAPIDocument.Operation] = [
        .init(
            "POST", "/dataset", summary: "Register a general dataset (policy: dataset create).", tags: ["catalog"], security: .bearer,
            parameters: [localServer], requestBody: OpenAPIDocument.jsonBody(datasetSchema(required: ["name", "title", "owner_org"])),
            responses: errors.merging([
                201: .init(
                    "Registered",
                    schema: OpenAPIDocument.object([
                        "id": OpenAPIDocument.string, "name": OpenAPIDocument.string, "title": OpenAPIDocument.string, "warning": [:],
                    ]))
            ]) { $1 }),
        .init(
            "PUT", "/dataset/{id}", summary: "Update a dataset: extras merge, resources replace (policy: dataset update).", tags: ["catalog"],
            security: .bearer, parameters: [idPath, localServer], requestBody: OpenAPIDocument.jsonBody(datasetSchema(required: [])),
            responses: errors.merging([200: .init("Updated", schema: message), 404: .init("No such dataset", schema: OpenAPIDocument.errorDetail)]) {
                $1
            }),
        .init(
            "PATCH", "/dataset/{id}", summary: "Update a dataset: extras and resources merge (policy: dataset update).", tags: ["catalog"],
            security: .bearer, parameters: [idPath, localServer], requestBody: OpenAPIDocument.jsonBody(datasetSchema(required: [])),
            responses: errors.merging([200: .init("Updated", schema: message), 404: .init("No such dataset", schema: OpenAPIDocument.errorDetail)]) {
                $1
            }),
        .init(
            "POST", "/dataset/{id}/publish",
            summary: "Copy a local dataset and its resources to Pre-CKAN (PRE_CKAN_ORGANIZATION when set), renamed on a clash; "
                + "both copies get status=submitted (policy: dataset update).",
            tags: ["catalog"], security: .bearer, parameters: [idPath],
            responses: errors.merging([
                201: .init(
                    "Published",
                    schema: OpenAPIDocument.object([
                        "id": OpenAPIDocument.string, "name": OpenAPIDocument.string, "title": OpenAPIDocument.string, "warning": [:],
                        "message": OpenAPIDocument.string,
                    ])),
                404: .init("No such dataset", schema: OpenAPIDocument.errorDetail),
                502: .init("Pre-CKAN refused this endpoint's API key, or the identity provider failed", schema: OpenAPIDocument.errorDetail),
                503: .init("Pre-CKAN is unreachable", schema: OpenAPIDocument.errorDetail),
                504: .init("Pre-CKAN did not answer in time", schema: OpenAPIDocument.errorDetail),
            ]) { $1 }),
        .init(
            "DELETE", "/resource", summary: "Delete a dataset by id or name, as upstream (policy: dataset delete).", tags: ["catalog"],
            security: .bearer,
            parameters: [["name": "resource_id", "in": "query", "required": true, "schema": OpenAPIDocument.string], localServer],
            responses: errors.merging([200: .init("Deleted", schema: message), 404: .init("No such dataset", schema: OpenAPIDocument.errorDetail)]) {
                $1
            }),
        .init(
            "GET", "/search", summary: "Datasets holding every term (policy: dataset read; private ones only for whom it allows).",
            tags: ["search"], security: .bearer,
            parameters: [
                ["name": "terms", "in": "query", "required": true, "schema": ["type": "array", "items": OpenAPIDocument.string]],
                ["name": "keys", "in": "query", "required": false, "schema": ["type": "array", "items": OpenAPIDocument.string]],
                ["name": "server", "in": "query", "required": false, "schema": ["type": "string", "enum": ["local", "global"]]],
            ],
            responses: errors.merging([200: .init("Datasets", schema: ["type": "array", "items": OpenAPIDocument.anyObject])]) { $1 }),
        .init(
            "POST", "/search", summary: "Datasets by fields, filters, keywords, time and resource (policy: dataset read).", tags: ["search"],
            security: .bearer,
            requestBody: OpenAPIDocument.jsonBody(
                OpenAPIDocument.object(
                    [
                        "dataset_name": OpenAPIDocument.string, "dataset_title": OpenAPIDocument.string, "owner_org": OpenAPIDocument.string,
                        "dataset_description": OpenAPIDocument.string, "resource_url": OpenAPIDocument.string,
                        "resource_name": OpenAPIDocument.string, "resource_description": OpenAPIDocument.string,
                        "resource_format": OpenAPIDocument.string, "search_term": OpenAPIDocument.string,
                        "filter_list": ["type": "array", "items": OpenAPIDocument.string], "timestamp": OpenAPIDocument.string,
                        "server": ["type": "string", "enum": ["local", "global", "pre_ckan"]],
                    ])),
            responses: errors.merging([200: .init("Datasets", schema: ["type": "array", "items": OpenAPIDocument.anyObject])]) { $1 }),
    ]

    /// Each typed registration's create, update and patch. Bodies are described loosely (an
    /// object): the routes check each field themselves and answer 422 with what is wrong.
    static let registrations: [OpenAPIDocument.Operation] = RegistrationKind.all.flatMap { kind in
        let body = OpenAPIDocument.jsonBody(OpenAPIDocument.anyObject)
        let updated = errors.merging([
            200: .init("Updated", schema: message), 404: .init("No such registration", schema: OpenAPIDocument.errorDetail),
        ]) {
            $1
        }
        let created = errors.merging([
            201: .init("Registered", schema: OpenAPIDocument.object(["id": OpenAPIDocument.string])),
            409: .init("The name is taken", schema: OpenAPIDocument.errorDetail),
        ]) { $1 }
        return [
            OpenAPIDocument.Operation(
                "POST", "/\(kind.path)", summary: "Register (\(kind.format)).", tags: ["catalog"], security: .bearer, parameters: [localServer],
                requestBody: body, responses: created),
            OpenAPIDocument.Operation(
                "PUT", "/\(kind.path)/{id}", summary: "Update a \(kind.format) registration.", tags: ["catalog"], security: .bearer,
                parameters: [idPath, localServer], requestBody: body, responses: updated),
            OpenAPIDocument.Operation(
                "PATCH", "/\(kind.path)/{id}", summary: "Update a \(kind.format) registration.", tags: ["catalog"], security: .bearer,
                parameters: [idPath, localServer], requestBody: body, responses: updated),
        ]
    }

    static let resourceObject = OpenAPIDocument.object([
        "id": OpenAPIDocument.string, "package_id": OpenAPIDocument.string, "name": OpenAPIDocument.string, "url": OpenAPIDocument.string,
        "description": OpenAPIDocument.string, "format": OpenAPIDocument.string,
    ])

    static let resources: [OpenAPIDocument.Operation] = {
        let resourceID: JSONValue = ["name": "resource", "in": "path", "required": true, "schema": OpenAPIDocument.string]
        let patchBody = OpenAPIDocument.jsonBody(
            OpenAPIDocument.object([
                "name": OpenAPIDocument.string, "url": OpenAPIDocument.string, "description": OpenAPIDocument.string,
                "format": OpenAPIDocument.string,
            ]))
        let found = errors.merging([
            200: .init("The resource", schema: resourceObject), 404: .init("No such resource", schema: OpenAPIDocument.errorDetail),
        ]) {
            $1
        }
        let deleted = errors.merging([200: .init("Deleted", schema: message), 404: .init("No such resource", schema: OpenAPIDocument.errorDetail)]) {
            $1
        }
        let query: [JSONValue] = ["q", "name", "url", "format", "description"].map {
            ["name": .string($0), "in": "query", "required": false, "schema": OpenAPIDocument.string]
        }
        return [
            .init(
                "GET", "/resource/{id}", summary: "A resource (policy: resource read).", tags: ["catalog"], security: .bearer,
                parameters: [idPath, localServer], responses: found),
            .init(
                "PATCH", "/resource/{id}", summary: "Change a resource (policy: resource update).", tags: ["catalog"], security: .bearer,
                parameters: [idPath, localServer], requestBody: patchBody, responses: found),
            .init(
                "DELETE", "/resource/{id}",
                summary:
                    "Delete the resource with this id, or else, as upstream, the dataset with this id or name (policy: resource or dataset delete).",
                tags: ["catalog"], security: .bearer, parameters: [idPath, localServer], responses: deleted),
            .init(
                "PATCH", "/dataset/{id}/resource/{resource}", summary: "Change a resource (policy: resource update).", tags: ["catalog"],
                security: .bearer, parameters: [idPath, resourceID, localServer], requestBody: patchBody, responses: found),
            .init(
                "DELETE", "/dataset/{id}/resource/{resource}", summary: "Delete a resource (policy: resource delete).", tags: ["catalog"],
                security: .bearer, parameters: [idPath, resourceID, localServer], responses: deleted),
            .init(
                "GET", "/resources/search", summary: "Resources by substring filters (policy: resource read).", tags: ["search"],
                security: .bearer,
                parameters: query + [
                    // Bounds in words: schemathesis 4 crashes generating negatives for integer bounds.
                    ["name": "limit", "in": "query", "required": false, "description": "1 to 1000 (default 100)", "schema": OpenAPIDocument.integer],
                    ["name": "offset", "in": "query", "required": false, "description": "0 or more (default 0)", "schema": OpenAPIDocument.integer],
                    localServer,
                ],
                responses: errors.merging([
                    200: .init(
                        "Matches",
                        schema: OpenAPIDocument.object(["count": OpenAPIDocument.integer, "results": ["type": "array", "items": resourceObject]]))
                ]) { $1 }),
        ]
    }()
}
