import AsyncHTTPClient
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
    let baseURL: URL
    let timeout: Duration
    var httpClient: HTTPClient = UpstreamHTTPClient.shared
    let logger: Logger

    init(baseURL: URL, timeout: Duration, logger: Logger) {
        self.baseURL = baseURL
        self.timeout = timeout
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
                let response = try await send(call)
                if idempotent, attempt == 1, [502, 503, 504].contains(Int(response.status.code)) {
                    logger.notice("deploy API answered \(response.status.code); retrying once", metadata: ["path": "\(call.path)"])
                    attempt += 1
                    continue
                }
                return response
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
                throw APIError(
                    .gatewayTimeout, detail: "The remote execution deployment API did not answer within \(Int((timeout + call.extraTime).seconds)) s."
                )
            } catch let error as APIError {
                throw error
            } catch {
                guard idempotent, attempt == 1 else {
                    logger.warning("deploy API unreachable", metadata: ["error": "\(error)"])
                    throw APIError(.badGateway, detail: "The remote execution deployment API is unavailable.")
                }
                attempt += 1
            }
        }
    }

    private func send(_ call: Call) async throws -> Response {
        var url = baseURL.appendingPathString(call.path)
        if let query = call.query, !query.isEmpty { url += "?" + query }
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: call.method.rawValue)
        for name in [HTTPField.Name.contentType, .authorization, .accept, CorrelationIDHeader.name] {
            if let value = call.headers[name] { request.headers.add(name: name.rawName, value: value) }
        }
        if let body = call.body { request.body = .bytes(body) }
        let response = try await httpClient.execute(request, timeout: .nanoseconds((timeout + call.extraTime).nanoseconds))
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw APIError(.badGateway, detail: "The remote execution deployment API answered with an unreadable response.")
        }
        var headers: HTTPFields = [.contentType: response.headers.first(name: "Content-Type") ?? "application/json"]
        if let allow = response.headers.first(name: "Allow") { headers[.allow] = allow }
        return Response(status: .init(code: Int(response.status.code)), headers: headers, body: .init(byteBuffer: body))
    }
}
