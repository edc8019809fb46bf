import Access
import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import ServiceKit

/// Calls the endpoint's own routes for an MCP caller: the request carries the caller's
/// `Authorization` and the MCP request's correlation id, and goes through the same router,
/// access check and handler as over HTTP (``InProcessCalls``); nothing else of the MCP
/// request is passed on.
struct RouteCaller: Sendable {
    let calls: InProcessCalls<IdentityRequestContext>
    /// The most of an answer a tool result carries (a longer one is cut, and says so).
    let answerLimit: Int

    struct Answer: Sendable {
        let status: Int
        /// The answer as JSON, when it is JSON.
        let json: JSONValue?
        let text: String
        let truncated: Bool

        var succeeded: Bool { (200..<300).contains(status) }
    }

    func call(
        _ method: HTTPRequest.Method, _ target: String, body: JSONValue? = nil, for request: Request, context: IdentityRequestContext
    ) async throws -> Answer {
        try await call(method, target, body: body.map(MCPTool.Body.json), for: request, context: context)
    }

    func call(
        _ method: HTTPRequest.Method, _ target: String, body: MCPTool.Body?, for request: Request, context: IdentityRequestContext
    ) async throws -> Answer {
        var headers: HTTPFields = [.accept: "application/json"]
        if let authorization = request.headers[.authorization] { headers[.authorization] = authorization }
        headers[CorrelationIDHeader.name] = context.correlationID
        var bytes = ByteBuffer()
        switch body {
        case .json(let json)?:
            headers[.contentType] = "application/json"
            bytes = ByteBuffer(bytes: json.bytes())
        case .form(let form)?:
            headers[.contentType] = "application/x-www-form-urlencoded"
            bytes = ByteBuffer(string: form.encoded)
        case nil:
            break
        }
        headers[.contentLength] = String(bytes.readableBytes)
        let head = HTTPRequest(method: method, scheme: "http", authority: request.head.authority ?? "localhost", path: target, headerFields: headers)
        var inner = context
        inner.identity = nil
        let response = try await calls.respond(to: Request(head: head, body: RequestBody(buffer: bytes)), as: inner)
        let (collected, truncated) = try await response.collectBody(upTo: answerLimit)
        let text = String(buffer: collected)
        let isJSON = response.headers[.contentType]?.hasPrefix("application/json") ?? false
        return Answer(
            status: Int(response.status.code), json: isJSON && !truncated ? try? JSONValue.decode(Data(text.utf8)) : nil, text: text,
            truncated: truncated)
    }
}
