import Access
import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import ServiceKit

/// `POST/GET/DELETE <ROOT_PATH>/mcp`: MCP's Streamable HTTP transport (docs/mcp.md), with JSON
/// answers (no event streams: every method here answers at once, as upstream's does).
///
/// The protocol is spoken here directly rather than through the Swift SDK's server transport:
/// that transport keeps each session as an object in one process (so a session could not move
/// between replicas) and answers through an event stream per request; here a session is a row
/// of the endpoint's database, any replica answers it, and a tool call is one in-process call of
/// the route it stands for.
///
/// The bearer token is the caller (401 at the HTTP layer without one); a session belongs to the
/// user who opened it; a browser's `Origin` must be the endpoint's own or one allowed by
/// `MCP_ALLOWED_ORIGINS` (DNS-rebinding protection, as the transport asks of servers).
struct MCPRoutes: ServiceFeature {
    let server: MCPServer
    let sessions: any MCPSessionStore
    let settings: MCPSettings

    var routes: [Route<IdentityRequestContext>] {
        let access = PolicyAccess.policy(.user, .read, .callersOwn)
        let message = JSONSchema.anyObject
        return [
            Route.post(
                "/mcp", "MCP (Streamable HTTP, JSON answers): one JSON-RPC message; initialize opens a session (Mcp-Session-Id).", access: access
            )
            .tags("mcp").documentedBody(message).answers(200, "The JSON-RPC answer", schema: message)
            .responds(202, "A notification, accepted", schema: JSONSchema.string, contentType: "text/plain")
            .responds(400, "Not a JSON-RPC message, no session, or an unsupported protocol version", schema: message)
            .responds(403, "An Origin that is not allowed", schema: message)
            .responds(404, "Session not found", schema: message).responds(406, "The client does not accept JSON", schema: message)
            .responds(415, "Not JSON", schema: message)
            .handleRequest { request, context in try await post(request, context: context) },
            Route.get("/mcp", "MCP's server-to-client stream: not offered (405), as the transport allows.", access: access).tags("mcp")
                .answers(405, "Method Not Allowed", schema: JSONSchema.string, contentType: "text/plain")
                .handleRequest { _, _ in
                    Response(status: .methodNotAllowed, headers: [.allow: "POST, DELETE", .contentType: "text/plain; charset=utf-8"])
                },
            Route.delete("/mcp", "Ends the MCP session named by Mcp-Session-Id.", access: access).tags("mcp")
                .answers(200, "Ended", schema: JSONSchema.string, contentType: "text/plain").responds(400, "No session named", schema: message)
                .responds(404, "Session not found", schema: message)
                .handleRequest { request, context in try await end(request, context: context) },
        ]
    }

    // MARK: POST

    func post(_ request: Request, context: IdentityRequestContext) async throws -> Response {
        if let refusal = originRefusal(request) { return refusal }
        guard Self.accepts(request.headers[.accept]) else {
            return Self.transportError(.notAcceptable, "Not Acceptable: Client must accept application/json")
        }
        guard (request.headers[.contentType] ?? "").lowercased().hasPrefix("application/json") else {
            return Self.transportError(.unsupportedMediaType, "Unsupported Media Type: Content-Type must be application/json")
        }
        let user = try context.requireIdentity()
        var request = request
        let body = try await request.collectBody(upTo: .max)
        let message: JSONRPCMessage
        do {
            let json = try JSONValue.decode(Data(buffer: body))
            do {
                message = try JSONRPCMessage(json)
            } catch {
                return Self.jsonRPC(JSONRPCMessage.error(id: json["id"], code: error.code, message: error.message), status: .badRequest)
            }
        } catch {
            return Self.jsonRPC(
                JSONRPCMessage.error(id: nil, code: JSONRPCError.parse, message: "Parse error: the body is not JSON"), status: .badRequest)
        }

        if message.method == "initialize" {
            guard let id = message.id else {
                return Self.jsonRPC(
                    JSONRPCMessage.error(id: nil, code: JSONRPCError.invalidRequest, message: "Invalid Request: initialize needs an id"),
                    status: .badRequest)
            }
            let (version, result) = server.initialize(message.params)
            let client = message.params["clientInfo"]
            let session = try await sessions.open(
                owner: user.sub, protocolVersion: version, client: (client?["name"]?.stringValue, client?["version"]?.stringValue),
                lifetime: settings.sessionLifetime, maxPerUser: settings.maxSessionsPerUser)
            var response = Self.jsonRPC(JSONRPCMessage.result(id: id, result))
            response.headers[.mcpSessionID] = session.id
            return response
        }

        // Every other message belongs to a session; no session is made here (upstream makes one
        // and leaks it in a header).
        guard let sessionID = request.headers[.mcpSessionID] else {
            return Self.transportError(.badRequest, "Bad Request: Missing session ID", id: message.id)
        }
        guard try await sessions.live(sessionID, owner: user.sub) != nil else {
            return Self.transportError(.notFound, "Session not found", id: message.id)
        }
        if let version = request.headers[.mcpProtocolVersion], !MCPServer.protocolVersions.contains(version) {
            return Self.transportError(
                .badRequest,
                "Bad Request: Unsupported protocol version: \(version). Supported versions: \(MCPServer.protocolVersions.joined(separator: ", "))",
                id: message.id)
        }
        guard let method = message.method, let id = message.id else {
            // A notification (initialized, cancelled, progress) or a client's response: noted.
            return Response(status: .accepted)
        }
        do {
            return Self.jsonRPC(JSONRPCMessage.result(id: id, try await answer(method, message.params, request: request, context: context)))
        } catch let failure as JSONRPCError.Failure {
            return Self.jsonRPC(JSONRPCMessage.error(id: id, code: failure.code, message: failure.message))
        }
    }

    func answer(_ method: String, _ params: JSONValue, request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        switch method {
        case "ping": return [:]
        case "tools/list": return try server.listTools(params)
        case "tools/call": return try await server.callTool(params, request: request, context: context)
        case "resources/list" where server.offersResources: return try await server.listResources(params, request: request, context: context)
        case "resources/templates/list" where server.offersResources: return server.resourceTemplates
        case "resources/read" where server.offersResources: return try await server.readResource(params, request: request, context: context)
        default: throw JSONRPCError.Failure(code: JSONRPCError.methodNotFound, message: "Method not found: \(method)")
        }
    }

    // MARK: DELETE

    func end(_ request: Request, context: IdentityRequestContext) async throws -> Response {
        if let refusal = originRefusal(request) { return refusal }
        let user = try context.requireIdentity()
        guard let sessionID = request.headers[.mcpSessionID] else {
            return Self.transportError(.badRequest, "Bad Request: Missing session ID")
        }
        guard try await sessions.live(sessionID, owner: user.sub) != nil else {
            return Self.transportError(.notFound, "Session not found")
        }
        try await sessions.delete(sessionID)
        return Response(status: .ok)
    }

    // MARK: Transport rules

    /// A browser's Origin must be this endpoint's own (same host and port as `Host`) or allowed;
    /// requests without one (agents, SDK clients) pass.
    func originRefusal(_ request: Request) -> Response? {
        guard let origin = request.headers[.origin], !settings.allowedOrigins.contains("*") else { return nil }
        let trimmed = origin.withoutTrailingSlashes
        if settings.allowedOrigins.contains(trimmed) { return nil }
        if let host = request.head.authority, let url = URL(string: trimmed), let originHost = url.host {
            let port = url.port.map { ":\($0)" } ?? ""
            if "\(originHost)\(port)".lowercased() == host.lowercased() { return nil }
        }
        return Self.transportError(.forbidden, "Forbidden: Origin \(origin) may not use this MCP server (MCP_ALLOWED_ORIGINS)")
    }

    /// `application/json` (or a wildcard) among the media types the client accepts.
    static func accepts(_ accept: String?) -> Bool {
        guard let accept else { return true }
        return accept.split(separator: ",").contains { part in
            let type = part.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            return type == "application/json" || type == "application/*" || type == "*/*"
        }
    }

    static func jsonRPC(_ message: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        message.response(status: status, headers: [.cacheControl: "no-store"])
    }

    /// A transport-level refusal in the JSON-RPC envelope, as the SDKs' servers send it.
    static func transportError(_ status: HTTPResponse.Status, _ message: String, id: JSONValue? = nil) -> Response {
        jsonRPC(JSONRPCMessage.error(id: id ?? "server-error", code: JSONRPCError.invalidRequest, message: message), status: status)
    }
}
