import Access
import AsyncHTTPClient
import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import NIOCore
import NIOHTTP1
import ServiceKit

/// Forwards a request to a registered service and its answer back, both bodies streamed (a
/// download of any size passes through with flat memory), redirects passed on, not followed.
///
/// Headers pass except the hop-by-hop ones (RFC 9110 §7.6.1, and any the `Connection` header
/// names) and `Host`; `Authorization` reaches only services that require authentication:
/// upstream passed every caller's token to every registered URL, so anyone able to register
/// a service could collect tokens.
struct ServiceProxy: Sendable {
    let http: HTTPClient

    init(http: HTTPClient = ServiceProxy.sharedHTTPClient) {
        self.http = http
    }

    /// One client per process: a transfer may take as long as it keeps moving; one that
    /// stalls for 5 minutes fails.
    static let sharedHTTPClient = UpstreamHTTPClient.passThrough(readTimeout: .seconds(300))

    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
        "transfer-encoding", "upgrade",
    ]
    /// Identity headers auth proxies set (oauth2-proxy, nginx auth_request, Apache, Grafana's
    /// auth proxy): the gateway sets none, so any a caller sends is the caller stating who it
    /// is, and a service that trusts its proxy for them would believe it. Never forwarded.
    static let statedIdentityHeaders: Set<String> = [
        "x-forwarded-user", "x-forwarded-email", "x-forwarded-preferred-username", "x-forwarded-groups", "x-forwarded-access-token",
        "x-auth-request-user", "x-auth-request-email", "x-auth-request-preferred-username", "x-auth-request-groups",
        "x-auth-request-access-token", "x-remote-user", "x-remote-group", "remote-user", "x-webauth-user", "x-user", "x-email",
    ]
    /// Not forwarded to the service: hop-by-hop, what the client connection sets itself, and
    /// identities the caller states.
    static let requestHeadersDropped = hopByHop.union(["host", "content-length"]).union(statedIdentityHeaders)
    /// Not returned to the caller: hop-by-hop, plus the service's own `Server`.
    static let responseHeadersDropped = hopByHop.union(["server"])

    /// The caller's headers a service receives: none of `dropped` nor any the caller's
    /// `Connection` header names, and `Authorization` only if the service requires
    /// authentication (a token is never handed to a service that did not ask for one).
    static func passedOn(_ headers: HTTPFields, to service: RegisteredService, dropping dropped: Set<String>) -> [HTTPField] {
        let named = Set(
            headers[values: .connection].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        return headers.filter { field in
            let name = field.name.canonicalName
            guard !dropped.contains(name), !named.contains(name) else { return false }
            return name != "authorization" || service.requiresAuthentication
        }
    }

    enum Failure: Error, APIErrorConvertible {
        case timedOut(service: String, after: Duration)
        case unreachable(service: String, reason: String)

        var apiError: APIError {
            switch self {
            case .timedOut(let service, let after):
                APIError(.gatewayTimeout, detail: "Service '\(service)' did not answer within \(after.seconds.formatted()) seconds")
            case .unreachable(let service, let reason): APIError(.badGateway, detail: "Service '\(service)' is unreachable: \(reason)")
            }
        }
    }

    /// The service's URL for `path` (as sent, still percent-encoded) and the caller's query.
    static func target(_ service: RegisteredService, path: String, query: String) -> String {
        let base = service.url.absoluteString.withoutTrailingSlashes
        var url = path.isEmpty ? base : base + "/" + path
        if !query.isEmpty { url += "?" + query }
        return url
    }

    func forward(_ request: Request, to service: RegisteredService, path: String, context: IdentityRequestContext) async throws -> Response {
        var outbound = HTTPClientRequest(url: Self.target(service, path: path, query: request.uri.query ?? ""))
        outbound.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in Self.passedOn(request.headers, to: service, dropping: Self.requestHeadersDropped) {
            outbound.headers.add(name: field.name.rawName, value: field.value)
        }
        if let address = context.remoteAddress?.ipAddress {
            let earlier = request.headers[.init("X-Forwarded-For")!].map { $0 + ", " } ?? ""
            outbound.headers.replaceOrAdd(name: "X-Forwarded-For", value: earlier + address)
        }
        if let host = request.head.authority { outbound.headers.replaceOrAdd(name: "X-Forwarded-Host", value: host) }
        if let length = request.headers[.contentLength].flatMap(Int64.init) {
            if length > 0 { outbound.body = .stream(request.body, length: .known(length)) }
        } else if request.headers[.transferEncoding] != nil {
            outbound.body = .stream(request.body, length: .unknown)
        }
        let prepared = outbound
        let response = try await headWithin(service.timeout, service: service.name) {
            try await http.execute(prepared, timeout: .hours(24))
        }
        var headers = HTTPFields()
        for (name, value) in response.headers where !Self.responseHeadersDropped.contains(name.lowercased()) {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase), headers: headers,
            body: ResponseBody(asyncSequence: response.body))
    }

    /// Runs `call` (which returns once the service's response head is in) with `timeout`:
    /// the deadline covers the head only, so a long download is not cut off.
    private func headWithin(
        _ timeout: Duration, service: String, _ call: @escaping @Sendable () async throws -> HTTPClientResponse
    ) async throws -> HTTPClientResponse {
        try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
            group.addTask {
                do {
                    return try await call()
                } catch let error as HTTPClientError where error == .cancelled {
                    throw Failure.timedOut(service: service, after: timeout)
                } catch let error as HTTPClientError {
                    throw Failure.unreachable(service: service, reason: "\(error)")
                } catch let error as ChannelError {
                    throw Failure.unreachable(service: service, reason: "\(error)")
                } catch let error as IOError {
                    throw Failure.unreachable(service: service, reason: "\(error)")
                }
            }
            group.addTask {
                try await Sleep.for(timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let response = try await group.next() ?? nil else { throw Failure.timedOut(service: service, after: timeout) }
            return response
        }
    }
}
