import AsyncHTTPClient
import Essentials
import Foundation
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceKit

/// A CKAN catalog, or another endpoint's CKAN action API, reached over HTTP: one action a call
/// (`POST <url>/api/3/action/<name>` with the data dictionary as JSON, the API key in
/// `Authorization` as CKAN's clients send it), its envelope opened, its failures told apart:
/// unreachable (503), too slow (504), or refused (CKAN's error, kept for the caller to judge).
///
/// Metrics: `ckan_requests_total{catalog, result}` (result `ok`, `refused`, `unreachable`,
/// `timeout`) and `ckan_request_duration_seconds{catalog}`.
struct CKANClient: Sendable {
    let settings: RemoteCatalogSettings
    /// Answers up to 64 MiB are read (1,000 full package dictionaries).
    let catalog: JSONUpstream

    init(_ settings: RemoteCatalogSettings) {
        self.settings = settings
        catalog = JSONUpstream(
            base: settings.url + "/api/3/action", timeout: settings.timeout, answerLimit: 64 << 20,
            http: settings.verifyTLS ? UpstreamHTTPClient.shared : Self.unverified)
    }

    /// For `*_VERIFY_SSL=False` (a test catalog with a self-signed certificate): made once.
    private static let unverified: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(2)
        configuration.redirectConfiguration = .disallow
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        configuration.tlsConfiguration = tls
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()

    /// The action's `result`.
    func call(_ action: String, _ data: [String: JSONValue] = [:]) async throws -> JSONValue {
        let started = ContinuousClock.now
        var result = "ok"
        defer {
            Counter(label: "ckan_requests_total", dimensions: [("catalog", settings.key), ("result", result)]).increment()
            Metrics.Timer(label: "ckan_request_duration_seconds", dimensions: [("catalog", settings.key)], preferredDisplayUnit: .seconds)
                .recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        }
        do {
            return try await exchange(action, data)
        } catch let error as CKANClientError {
            switch error {
            case .unreachable: result = "unreachable"
            case .timedOut: result = "timeout"
            case .refused: result = "refused"
            }
            throw error
        }
    }

    private func exchange(_ action: String, _ data: [String: JSONValue]) async throws -> JSONValue {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let key = settings.apiKey, !key.isEmpty { headers.append(("Authorization", key)) }
        let answer: UpstreamAnswer
        do {
            answer = try await catalog.call(.POST, action, headers: headers, json: .object(data))
        } catch .timedOut {
            throw CKANClientError.timedOut(settings.label)
        } catch {
            throw CKANClientError.unreachable(settings.label, reason: "\(error)")
        }
        guard let envelope = answer.json, let success = envelope["success"]?.boolValue else {
            throw CKANClientError.unreachable(settings.label, reason: "HTTP \(answer.status) without CKAN's answer envelope")
        }
        guard success else {
            let error = envelope["error"] ?? [:]
            throw CKANClientError.refused(
                settings.label, status: answer.status, type: error["__type"]?.stringValue ?? "", message: Self.describe(error), error: error)
        }
        return envelope["result"] ?? .null
    }

    /// As ``call(_:_:)``, nil when the catalog answers "Not Found Error".
    func callUnlessMissing(_ action: String, _ data: [String: JSONValue]) async throws -> JSONValue? {
        do {
            return try await call(action, data)
        } catch let error as CKANClientError where error.isNotFound {
            return nil
        }
    }

    /// CKAN's error object in words: its message, or each field's messages.
    static func describe(_ error: JSONValue) -> String {
        if let message = error["message"]?.stringValue { return message }
        let fields = (error.objectValue ?? [:]).filter { $0.key != "__type" }.sorted { $0.key < $1.key }
        return fields.map { key, value in
            "\(key): \((value.arrayValue?.compactMap(\.stringValue) ?? [value.scalarDescription ?? ""]).joined(separator: "; "))"
        }.joined(separator: ", ")
    }
}

/// A remote catalog that failed, in upstream's words (docs/specs/ndp-ep.md §2.9).
enum CKANClientError: Error, Sendable, APIErrorConvertible {
    case unreachable(String, reason: String)
    case timedOut(String)
    /// The catalog refused the action: CKAN's status, `__type`, message and error object.
    case refused(String, status: Int, type: String, message: String, error: JSONValue)

    var isNotFound: Bool {
        if case .refused(_, _, let type, _, _) = self { return type == "Not Found Error" }
        return false
    }

    /// A validation error's messages for `field`.
    func messages(for field: String) -> [String] {
        guard case .refused(_, _, "Validation Error", _, let error) = self else { return [] }
        return error[field]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    var apiError: APIError {
        switch self {
        case .unreachable(let label, _): APIError(.serviceUnavailable, detail: "\(label) is currently unavailable. Please try again later.")
        case .timedOut(let label): APIError(.gatewayTimeout, detail: "\(label) did not answer in time. Please try again later.")
        case .refused(let label, let status, let type, let message, _):
            switch type {
            case "Not Found Error": APIError(.notFound, detail: "Not found in the \(label.lowercased()): \(message)")
            case "Authorization Error":
                APIError(.badGateway, detail: "\(label) refused this endpoint's API key (\(message)); check its *_API_KEY setting.")
            default:
                APIError(
                    status == 409 || status == 400 ? .badRequest : .badGateway, detail: "\(label) refused the request: \(type): \(message)")
            }
        }
    }
}
