import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceKit

/// Forwards one rexec call to the deploy API's internal URL and hands its answer back
/// unchanged (status, JSON body), so clients see exactly what the deploy API said. Calls have
/// a deadline; idempotent ones (GET, DELETE) are tried once more when the deploy API could
/// not be reached or answered 502/503/504.
struct RexecDelegate: Sendable {
    let deployAPI: JSONUpstream
    let logger: Logger

    init(baseURL: URL, timeout: Duration, logger: Logger) {
        self.deployAPI = JSONUpstream(base: baseURL.absoluteString, timeout: timeout)
        self.logger = logger
    }

    struct Call: Sendable {
        var method: HTTPRequest.Method
        /// Below the deploy API's root, e.g. `spawn`; empty for the root itself.
        var path: String
        var query: String?
        var body: ByteBuffer?
        var headers: HTTPFields
        /// Extra time the deploy API itself may take (`wait=true`).
        var extraTime: Duration = .zero
    }

    func forward(_ call: Call) async throws -> Response {
        let idempotent = call.method == .get || call.method == .delete
        var attempt = 1
        while true {
            do {
                let answer = try await send(call)
                if idempotent, attempt == 1, [502, 503, 504].contains(answer.status) {
                    logger.notice("deploy API answered \(answer.status); retrying once", metadata: ["path": "\(call.path)"])
                    attempt += 1
                    continue
                }
                var headers: HTTPFields = [.contentType: answer.headers.first(name: "Content-Type") ?? "application/json"]
                if let allow = answer.headers.first(name: "Allow") { headers[.allow] = allow }
                return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: answer.body))
            } catch .timedOut {
                throw APIError(
                    .gatewayTimeout,
                    detail: "The remote execution deployment API did not answer within \(Int((deployAPI.timeout + call.extraTime).seconds)) s."
                )
            } catch {
                guard idempotent, attempt == 1 else {
                    logger.warning("deploy API unreachable", metadata: ["error": "\(error)"])
                    throw APIError(.badGateway, detail: "The remote execution deployment API is unavailable.")
                }
                attempt += 1
            }
        }
    }

    private func send(_ call: Call) async throws(UpstreamFailure) -> UpstreamAnswer {
        var path = call.path
        if let query = call.query, !query.isEmpty { path += "?" + query }
        var headers: [(name: String, value: String)] = []
        for name in [HTTPField.Name.contentType, .authorization, .accept, CorrelationIDHeader.name] {
            if let value = call.headers[name] { headers.append((name.rawName, value)) }
        }
        return try await deployAPI.call(
            HTTPMethod(rawValue: call.method.rawValue), path, headers: headers, body: call.body, timeout: deployAPI.timeout + call.extraTime)
    }
}
