import Essentials
import ServiceKit

/// The CKAN action API in the gateway's OpenAPI document: one operation per method, the action
/// a path parameter (its closed set of names), the data dictionary as query parameters (GET)
/// or a JSON object (POST).
enum ActionOperations {
    typealias Doc = OpenAPIDocument

    static let envelope = Doc.object(["help": Doc.string, "success": Doc.boolean, "result": [:]], required: ["help", "success", "result"])
    static let failure = Doc.object(
        ["help": Doc.string, "success": Doc.boolean, "error": Doc.object(["__type": Doc.string], required: ["__type"])],
        required: ["help", "success", "error"])

    static let responses: [Int: Doc.Operation.Response] = [
        200: .init("The action's result in CKAN's envelope", schema: envelope),
        400: .init("Unknown action, a write over GET, or a body that is not a JSON object", schema: failure),
        403: .init("Authorization Error: no token, a refused token, or refused by the access policy", schema: failure),
        404: .init("Not Found Error (also a private dataset the caller may not read)", schema: failure),
        409: .init("Validation Error or Search Query Error", schema: failure),
        502: .init("Identity provider failure", schema: failure),
        503: .init("The catalog database is unavailable", schema: failure),
    ]

    static let action: JSONValue = [
        "name": "action", "in": "path", "required": true,
        "schema": ["type": "string", "enum": .array(ActionRoutes.Action.allCases.map { .string($0.rawValue) })],
    ]

    static let queryParameters: [JSONValue] =
        [action]
        + ["id", "q", "fq", "sort", "rows", "start", "include_private", "limit", "offset", "all_fields", "include_datasets"].map { name in
            ["name": .string(name), "in": "query", "required": false, "schema": Doc.string]
        }

    /// The last two are the same routes for an endpoint whose ROOT_PATH is `/api` (a proxy
    /// strips it before CKAN's own `/api/...` reaches us).
    static let all: [Doc.Operation] = ActionRoutes.paths.map { "/" + $0 }.flatMap { path in
        [
            Doc.Operation(
                "GET", path,
                summary: "A CKAN read action (status_show, package_search, package_show, package_list, organization_list, "
                    + "organization_show, resource_show); each asks the access policy about what it reads.",
                tags: ["ckan"], security: .bearer, parameters: queryParameters, responses: responses),
            Doc.Operation(
                "POST", path,
                summary: "A CKAN action with its data dictionary as JSON; writes (package_create, package_patch, "
                    + "package_update, package_delete, resource_create, organization_create) take POST only and a token.",
                tags: ["ckan"], security: .bearer, parameters: [action], requestBody: Doc.jsonBody(Doc.anyObject, required: false),
                responses: responses),
        ]
    }
}
