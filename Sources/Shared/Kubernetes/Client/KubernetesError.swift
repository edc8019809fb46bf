import Essentials
import Foundation

/// A failed Kubernetes call: the API server's `Status` (code, reason, message), or a
/// transport failure with code 0.
public struct KubernetesError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Int
    /// `NotFound`, `AlreadyExists`, `Conflict`, `Forbidden`, `Invalid`, `Expired`/`Gone`, …
    public let reason: String
    public let message: String

    public init(code: Int, reason: String, message: String) {
        self.code = code
        self.reason = reason
        self.message = message
    }

    public var isNotFound: Bool { code == 404 }
    public var isAlreadyExists: Bool { code == 409 && reason == "AlreadyExists" }
    public var isConflict: Bool { code == 409 && reason != "AlreadyExists" }
    public var isForbidden: Bool { code == 403 }
    public var isInvalid: Bool { code == 422 }
    /// The resourceVersion asked for is no longer available: list again.
    public var isGone: Bool { code == 410 }
    public var isTransport: Bool { code == 0 }
    /// A write that failed this way may still have been applied: the connection broke or
    /// timed out after the request was sent, or a gateway gave up waiting (504).
    public var leavesOutcomeUnknown: Bool { code == 0 || code == 504 }

    public var description: String { "Kubernetes \(code) \(reason): \(message)" }

    /// Decodes a `Status` body; anything else keeps the HTTP status and a short excerpt.
    static func from(status: Int, body: [UInt8]) -> KubernetesError {
        if let object = try? JSONValue.decode(.init(body)), object["kind"] == "Status" {
            return KubernetesError(
                code: object["code"]?.scalarDescription.flatMap(Int.init) ?? status,
                reason: object["reason"]?.stringValue ?? "Unknown", message: object["message"]?.stringValue ?? ""
            )
        }
        let excerpt = String(decoding: body.prefix(200), as: UTF8.self)
        return KubernetesError(code: status, reason: status == 410 ? "Expired" : "Unknown", message: excerpt)
    }
}
