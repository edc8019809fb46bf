import Access
import AccessPolicy
import Essentials
import HTTPTypes
import ServiceKit

/// The MCP tools, made from the service's route declarations (docs/mcp.md): a route added
/// later is a tool with no code of its own. A route becomes a tool unless it is plumbing
/// rather than an operation an agent asks for:
///
/// - open routes (probes, metrics, the API's documents) and `GET /`;
/// - the console's routes, CKAN's action API (a protocol of its own, with its own clients) and
///   `/mcp` itself;
/// - routes whose body is neither JSON nor a form (a multipart upload, a proxied body) or whose
///   answer is not JSON (a download, a proxied page): a tool's results are JSON;
/// - ``withheld``: answers that carry a credential, which must not reach a model's context.
///
/// Names are upstream's where upstream has the route (``UpstreamToolNames``); input schemas
/// are the path parameters, the query parameters and the JSON body's top-level properties;
/// output schemas are the success answer's; annotations come from the method and the policy
/// operation.
struct MCPToolCatalog: Sendable {
    let tools: [MCPTool]
    let byName: [String: MCPTool]

    /// Routes an agent never gets as tools, by `METHOD path`, and why.
    static let withheld: [String: String] = [
        "POST /user/login": "its answer is an access token",
        "POST /token": "its answer is an access token",
    ]
    static let excludedTags: Set<String> = ["console", "ckan", "mcp"]

    init(routes: [Route<IdentityRequestContext>]) {
        var tools: [MCPTool] = []
        var seen: Set<String> = []
        for route in routes {
            for path in route.operation.documentedPaths ?? [route.path] {
                guard let tool = Self.tool(route, path: path), !seen.contains(tool.name) else { continue }
                seen.insert(tool.name)
                tools.append(tool)
            }
        }
        self.tools = tools
        byName = Dictionary(uniqueKeysWithValues: tools.map { ($0.name, $0) })
    }

    static func tool(_ route: Route<IdentityRequestContext>, path: String) -> MCPTool? {
        let operation = route.operation
        guard [.get, .post, .put, .patch, .delete].contains(route.method), let binding = route.access.binding, route.path != "/",
            withheld["\(route.method.rawValue) \(route.path)"] == nil, excludedTags.isDisjoint(with: operation.tags)
        else { return nil }
        // The body: none, JSON, or a form (its fields are arguments too).
        var bodySchema: JSONValue?
        var encoding = MCPTool.BodyEncoding.json
        if let body = operation.requestBody {
            guard let content = body["content"]?.objectValue, content.count == 1, let (type, media) = content.first,
                let schema = media["schema"], type == "application/json" || type == "application/x-www-form-urlencoded"
            else { return nil }
            bodySchema = schema
            encoding = type == "application/json" ? .json : .form
        }
        // The answers: JSON (or nothing to read).
        let successes = operation.responses.filter { (200..<300).contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
        guard !successes.isEmpty, successes.allSatisfy({ $0.schema == nil || $0.contentType == "application/json" }) else { return nil }

        var properties: [String: JSONValue] = [:]
        var required: [String] = []
        let pathParameters = RoutePath.parameters(in: path)
        for name in pathParameters {
            properties[name] = ["type": "string", "description": .string("Path parameter `{\(name)}`.")]
            required.append(name)
        }
        var queryParameters: [String] = []
        for parameter in operation.parameters where parameter["in"] == "query" {
            guard let name = parameter["name"]?.stringValue, properties[name] == nil else { continue }
            properties[name] = parameter["schema"] ?? [:]
            queryParameters.append(name)
            if parameter["required"] == true { required.append(name) }
        }
        var bodyProperties: [String]?
        var wholeBody = false
        if let bodySchema {
            if let fields = bodySchema["properties"]?.objectValue, !fields.isEmpty {
                let bodyRequired = Set(bodySchema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                bodyProperties = []
                // A credential field (a form's legacy `token`) is no argument: the session's
                // bearer is the caller, and a model should never be asked for a token.
                for (name, schema) in fields.sorted(by: { $0.key < $1.key }) where properties[name] == nil && name != "token" {
                    properties[name] = schema
                    bodyProperties?.append(name)
                    if bodyRequired.contains(name) { required.append(name) }
                }
            } else if encoding == .json {
                wholeBody = true
                bodyProperties = ["body"]
                properties["body"] = bodySchema
                if operation.requestBody?["required"] == true { required.append("body") }
            }
        }
        var input: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { input["required"] = .array(required.map(JSONValue.string)) }

        // Structured content is an object: an array or scalar answer is wrapped as `result`;
        // a route with several success answers declares them all (`anyOf`), and one that may
        // answer without a body (204) declares none, since a client checks every success.
        var output: JSONValue?
        var wraps = false
        let schemas = successes.compactMap(\.schema)
        if schemas.count == successes.count, let first = schemas.first {
            if schemas.count == 1, first["type"] == "object" {
                output = first
            } else if schemas.count == 1 {
                output = ["type": "object", "properties": ["result": first], "required": ["result"]]
                wraps = true
            } else if schemas.allSatisfy({ $0["type"] == "object" }) {
                output = ["type": "object", "anyOf": .array(schemas)]
            }
        }
        let method = route.method.rawValue
        let name = UpstreamToolNames.byRoute[UpstreamToolNames.key(method: method, path: path)] ?? generatedName(method: method, path: path)
        let access = "\(binding.operation.rawValue) \(binding.entity.rawValue) (\(binding.object.mode.rawValue))"
        let description = """
            \(operation.summary)

            `\(method) \(path)` · access policy: \(access)
            """
        return MCPTool(
            name: name, description: description, access: access, inputSchema: .object(input), outputSchema: output, wrapsResult: wraps,
            annotations: annotations(method: route.method, operation: binding.operation),
            call: .init(
                method: route.method, pathTemplate: path, pathParameters: pathParameters,
                tailParameter: route.path.hasSuffix("/**") ? pathParameters.last : nil, queryParameters: queryParameters,
                bodyProperties: bodyProperties, wholeBody: wholeBody, bodyEncoding: encoding))
    }

    /// `GET /stage-data/jobs/{id}` → `get_stage_data_jobs_id`.
    static func generatedName(method: String, path: String) -> String {
        let words = path.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        return ([method.lowercased()] + words).joined(separator: "_")
    }

    /// The hints MCP clients show before running a tool: reads are read-only; a creation adds
    /// and is not idempotent; an update or deletion may destroy what was there.
    static func annotations(method: HTTPRequest.Method, operation: PolicyOperation) -> JSONValue {
        let readOnly = method == .get || operation == .read
        var hints: [String: JSONValue] = ["readOnlyHint": .bool(readOnly), "openWorldHint": false]
        if !readOnly {
            hints["destructiveHint"] = .bool(method == .delete || method == .put || method == .patch || operation == .delete)
        }
        hints["idempotentHint"] = .bool([.get, .put, .delete].contains(method))
        return .object(hints)
    }
}
