import Access
import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import NIOConcurrencyHelpers
import ServiceKit

/// The MCP methods this endpoint answers (docs/mcp.md): `initialize`, `ping`, `tools/list`,
/// `tools/call`, and the catalog's datasets as resources. Each tool call is one call of the
/// endpoint's own route for the caller (``RouteCaller``), so the policy decides it as it decides
/// the same call over HTTP, and a refusal is a tool error carrying the API's answer.
struct MCPServer: Sendable {
    let settings: MCPSettings
    let serverInfo: JSONValue
    let calls: InProcessCalls<IdentityRequestContext>
    let caller: RouteCaller
    let platformTools: [MCPPlatformTool]
    private let catalogBox = NIOLockedValueBox<MCPToolCatalog?>(nil)

    /// Revisions this server speaks, newest first: what today's clients offer (the Python SDK
    /// 1.x offers 2025-11-25 and accepts the older ones).
    static let protocolVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

    init(
        settings: MCPSettings, name: String, title: String, version: String, calls: InProcessCalls<IdentityRequestContext>,
        platformTools: [MCPPlatformTool]
    ) {
        self.settings = settings
        serverInfo = ["name": .string(name), "title": .string(title), "version": .string(version)]
        self.calls = calls
        caller = RouteCaller(calls: calls, answerLimit: 4 << 20)
        self.platformTools = platformTools
    }

    /// The tools, made from the routes once they are all known (the first request after start).
    var catalog: MCPToolCatalog {
        catalogBox.withLockedValue { cached in
            if let cached { return cached }
            let made = MCPToolCatalog(routes: calls.routes)
            if !made.tools.isEmpty { cached = made }
            return made
        }
    }

    /// What the caller may ask about the datasets: only where the catalog's own reads exist.
    var offersResources: Bool { calls.routes.contains { $0.method == .get && $0.path == "/api/3/action/{action}" } }

    // MARK: Methods

    func initialize(_ params: JSONValue) -> (version: String, result: JSONValue) {
        let asked = params["protocolVersion"]?.stringValue ?? ""
        let version = Self.protocolVersions.contains(asked) ? asked : Self.protocolVersions[0]
        var capabilities: [String: JSONValue] = ["tools": ["listChanged": false]]
        if offersResources { capabilities["resources"] = ["subscribe": false, "listChanged": false] }
        return (
            version,
            [
                "protocolVersion": .string(version), "capabilities": .object(capabilities), "serverInfo": serverInfo,
                "instructions": """
                The NDP endpoint's operations as tools: search and register datasets, organizations and services, \
                storage, staging and remote execution. Every call acts as the user whose token made this session, \
                under the endpoint's access policy; a refused call is a tool error carrying the API's message.
                """,
            ]
        )
    }

    func listTools(_ params: JSONValue) throws(JSONRPCError.Failure) -> JSONValue {
        let all = catalog.tools.map(\.listing) + platformTools.map(\.listing)
        let start = try Self.offset(of: params["cursor"]?.stringValue, count: all.count)
        let end = min(all.count, start + settings.toolsPageSize)
        var result: [String: JSONValue] = ["tools": .array(Array(all[start..<end]))]
        if end < all.count { result["nextCursor"] = .string(Self.cursor(end)) }
        return .object(result)
    }

    func callTool(_ params: JSONValue, request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        guard let name = params["name"]?.stringValue else {
            throw JSONRPCError.Failure(code: JSONRPCError.invalidParams, message: "Invalid params: name is required")
        }
        let arguments = params["arguments"]?.objectValue ?? [:]
        if let platform = platformTools.first(where: { $0.name == name }) {
            if let problem = platform.problems(in: arguments) { return Self.toolError("Input validation error: \(problem)") }
            return try await platform.run(arguments, MCPPlatformTool.Call(caller: caller, request: request, context: context))
        }
        guard let tool = catalog.byName[name] else {
            throw JSONRPCError.Failure(code: JSONRPCError.invalidParams, message: "Unknown tool: \(name)")
        }
        if let problem = tool.problems(in: arguments) { return Self.toolError("Input validation error: \(problem)") }
        let (target, body) = tool.request(arguments)
        let answer = try await caller.call(tool.call.method, target, body: body, for: request, context: context)
        return Self.result(of: answer, tool: name, wraps: tool.wrapsResult, structured: tool.outputSchema != nil)
    }

    /// A route's answer as a tool result: the JSON as structured content and as text, or the
    /// API's refusal as a tool error (upstream's text: "Error calling <tool>. Status code: …").
    static func result(of answer: RouteCaller.Answer, tool: String, wraps: Bool, structured: Bool) -> JSONValue {
        guard answer.succeeded else {
            return toolError("Error calling \(tool). Status code: \(answer.status). Response: \(answer.text)")
        }
        var text = answer.json.map(pretty) ?? answer.text
        if answer.truncated { text += "\n[cut at \(answer.text.utf8.count) bytes]" }
        var result: [String: JSONValue] = ["content": [["type": "text", "text": .string(text)]], "isError": false]
        if structured, let json = answer.json {
            result["structuredContent"] = wraps ? ["result": json] : json
        }
        return .object(result)
    }

    static func toolError(_ text: String) -> JSONValue {
        ["content": [["type": "text", "text": .string(text)]], "isError": true]
    }

    static func pretty(_ json: JSONValue) -> String {
        String(decoding: json.indentedBytes(), as: UTF8.self)
    }

    // MARK: Resources: the catalog's datasets as `ndp://dataset/{id}`

    static let datasetScheme = "ndp://dataset/"

    func listResources(_ params: JSONValue, request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        let page = 50
        let start = try Self.offset(of: params["cursor"]?.stringValue, count: .max)
        let answer = try await caller.call(
            .get, "/api/3/action/package_search?rows=\(page)&start=\(start)", for: request, context: context)
        guard answer.succeeded, let found = answer.json?["result"] else {
            throw JSONRPCError.Failure(code: JSONRPCError.internalError, message: "The catalog could not be listed (HTTP \(answer.status))")
        }
        let datasets = found["results"]?.arrayValue ?? []
        var result: [String: JSONValue] = [
            "resources": .array(
                datasets.map { dataset in
                    var entry: [String: JSONValue] = [
                        "uri": .string(Self.datasetScheme + (dataset["name"]?.stringValue ?? "")), "name": dataset["name"] ?? "",
                        "mimeType": "application/json",
                    ]
                    if let title = dataset["title"]?.stringValue, !title.isEmpty { entry["title"] = .string(title) }
                    if let notes = dataset["notes"]?.stringValue, !notes.isEmpty { entry["description"] = .string(String(notes.prefix(300))) }
                    return .object(entry)
                })
        ]
        let total = Int(found["count"]?.doubleValue ?? 0)
        if start + datasets.count < total { result["nextCursor"] = .string(Self.cursor(start + datasets.count)) }
        return .object(result)
    }

    var resourceTemplates: JSONValue {
        [
            "resourceTemplates": [
                [
                    "uriTemplate": .string(Self.datasetScheme + "{id}"), "name": "dataset", "title": "A dataset of the catalog",
                    "description": "A dataset by name or id, as CKAN's package_show answers it (resources, tags, extras).",
                    "mimeType": "application/json",
                ]
            ]
        ]
    }

    func readResource(_ params: JSONValue, request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        guard let uri = params["uri"]?.stringValue, uri.hasPrefix(Self.datasetScheme), uri.count > Self.datasetScheme.count else {
            throw JSONRPCError.Failure(code: JSONRPCError.invalidParams, message: "Invalid params: uri must be \(Self.datasetScheme){id}")
        }
        let id = String(uri.dropFirst(Self.datasetScheme.count))
        let answer = try await caller.call(
            .get, "/api/3/action/package_show?" + FormBody(fields: [("id", id)]).encoded, for: request, context: context)
        switch answer.status {
        case 200..<300:
            let dataset = answer.json?["result"] ?? .null
            return ["contents": [["uri": .string(uri), "mimeType": "application/json", "text": .string(Self.pretty(dataset))]]]
        case 403, 404:
            // One the caller may not read is as one that does not exist.
            throw JSONRPCError.Failure(code: JSONRPCError.resourceNotFound, message: "Resource not found: \(uri)")
        default:
            let detail = answer.json?["error"]?["message"]?.stringValue ?? answer.json?["detail"]?.stringValue ?? answer.text
            throw JSONRPCError.Failure(code: JSONRPCError.invalidRequest, message: "Reading \(uri) was refused (HTTP \(answer.status)): \(detail)")
        }
    }

    // MARK: Cursors: an offset, opaque to clients

    static func cursor(_ offset: Int) -> String { Data("offset:\(offset)".utf8).base64EncodedString() }

    static func offset(of cursor: String?, count: Int) throws(JSONRPCError.Failure) -> Int {
        guard let cursor else { return 0 }
        guard let data = Data(base64Encoded: cursor), let text = String(data: data, encoding: .utf8), text.hasPrefix("offset:"),
            let offset = Int(text.dropFirst("offset:".count)), offset >= 0, offset <= count
        else {
            throw JSONRPCError.Failure(code: JSONRPCError.invalidParams, message: "Invalid params: unknown cursor")
        }
        return offset
    }
}
