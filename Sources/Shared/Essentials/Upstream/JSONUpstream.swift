import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One upstream our services call with small JSON requests (the IdP, the AAI, the deploy API,
/// the broker's status port, a CKAN catalog, a Jupyter server): where it is, how long a call
/// may take and how much of an answer is read. Every call goes through ``call(_:_:headers:body:timeout:)``,
/// so transport failures are told apart once (``UpstreamFailure``) and each caller maps them,
/// and the statuses it cares about, to its own errors.
public struct JSONUpstream: Sendable {
    /// The URL calls are made relative to (`path` is appended with one `/`).
    public let base: String
    public let timeout: Duration
    /// The largest answer read; a longer one fails as ``UpstreamFailure/answerTooLarge(limit:)``.
    public let answerLimit: Int
    public let http: HTTPClient

    public init(base: String, timeout: Duration, answerLimit: Int = 1 << 20, http: HTTPClient = UpstreamHTTPClient.shared) {
        self.base = base
        self.timeout = timeout
        self.answerLimit = answerLimit
        self.http = http
    }

    /// `JSON` (if any) sent as `application/json`; the answer read whole.
    public func call(
        _ method: HTTPMethod, _ path: String = "", headers: [(name: String, value: String)] = [], json: JSONValue?, timeout: Duration? = nil
    ) async throws(UpstreamFailure) -> UpstreamAnswer {
        var headers = headers
        var body: ByteBuffer?
        if let json {
            headers.append(("Content-Type", "application/json"))
            body = ByteBuffer(bytes: json.bytes())
        }
        return try await call(method, path, headers: headers, body: body, timeout: timeout)
    }

    /// One call: `body` (if any) sent as it is, with the caller's `Content-Type` among `headers`;
    /// any status is returned for the caller to judge.
    public func call(
        _ method: HTTPMethod, _ path: String = "", headers: [(name: String, value: String)] = [], body: ByteBuffer? = nil,
        timeout: Duration? = nil
    ) async throws(UpstreamFailure) -> UpstreamAnswer {
        var request = HTTPClientRequest(url: base.appendingPathString(path))
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        do {
            let response = try await http.execute(request, timeout: .nanoseconds((timeout ?? self.timeout).nanoseconds))
            let body = try await response.body.collect(upTo: answerLimit)
            return UpstreamAnswer(status: Int(response.status.code), headers: response.headers, body: body)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .timedOut
        } catch is NIOTooManyBytesError {
            throw .answerTooLarge(limit: answerLimit)
        } catch {
            // A transport error's description names the host and the cause, never a header.
            throw .unreachable(reason: String(describing: error))
        }
    }
}

/// Why a call to an upstream got no answer.
public enum UpstreamFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// No answer within the call's timeout.
    case timedOut
    /// No connection, or it broke before the answer was read.
    case unreachable(reason: String)
    /// The answer was longer than the upstream's `answerLimit`.
    case answerTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .timedOut: "no answer in time"
        case .unreachable(let reason): "unreachable (\(reason))"
        case .answerTooLarge(let limit): "an answer larger than \(limit) bytes"
        }
    }
}

/// A small answer from an upstream, read whole.
public struct UpstreamAnswer: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: ByteBuffer

    public init(status: Int, headers: HTTPHeaders = [:], body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var text: String { String(buffer: body) }
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body as JSON, nil if it is not JSON.
    public var json: JSONValue? { try? JSONValue.decode(Data(body.readableBytesView)) }

    /// The body decoded as `type`, nil if it does not fit.
    public func decode<Value: Decodable>(_ type: Value.Type) -> Value? {
        try? JSONDecoder().decode(type, from: Data(body.readableBytesView))
    }

    /// What the upstream said went wrong: the first string among `keys` of a JSON object
    /// (`detail` for FastAPI, `message` for Jupyter, `error` for the IdP), else the text itself,
    /// at most 300 characters either way.
    public func reason(_ keys: String...) -> String {
        let json = json
        let said = keys.lazy.compactMap { json?[$0]?.stringValue }.first ?? text
        return String(said.prefix(300))
    }
}
