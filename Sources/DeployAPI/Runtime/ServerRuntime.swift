import Essentials
import Foundation
import ServiceKit
import ServiceLifecycle

/// Where per-user rexec servers run: Kubernetes, or child processes on this machine. The
/// API's rules (create, no-op, 409, force) live in ``ServerManager``; a runtime only does
/// what it is told and reports what exists.
protocol ServerRuntime: Sendable {
    /// Refuses a spec this runtime cannot run (a Python version the host lacks) before
    /// anything is created.
    func validate(_ requirements: RequirementSet) async throws
    /// The user's server as it is now, or nil if there is none.
    func server(for user: UserKey) async throws -> ServerRecord?
    /// Every server this runtime manages (for the reaper).
    func servers() async throws -> [ServerRecord]
    /// Creates the user's server. If one appeared meanwhile (a concurrent spawn, another
    /// replica), reports it instead of touching it.
    func create(_ spec: ServerSpec) async throws -> CreateResult
    /// Replaces the user's server with one built from `spec` (the running call is lost).
    func replace(_ spec: ServerSpec) async throws
    /// Removes the user's server and everything made for it; false if there was none.
    func terminate(_ user: UserKey) async throws -> Bool
    /// Where clients reach the broker.
    func brokerEndpoint() async throws -> BrokerEndpoint
    /// What `/readyz` probes.
    var readinessChecks: [ReadinessCheck] { get }
    /// How long a ``UserKey`` may be in this runtime's names.
    var userKeyLength: Int { get }
    /// Long-running companions (supervisors) to run beside the HTTP server.
    var services: [any Service] { get }
}

extension ServerRuntime {
    var services: [any Service] { [] }
    func validate(_ requirements: RequirementSet) async throws {}
}

enum CreateResult: Sendable {
    case created
    case alreadyExists(ServerRecord)
}

/// What a server is built from.
struct ServerSpec: Sendable {
    let user: UserKey
    let requirements: RequirementSet
}

/// What is known about a user's server.
struct ServerRecord: Sendable, Equatable {
    enum Phase: String, Sendable {
        /// Accepted; the environment is being prepared or the process is starting.
        case starting
        /// Running and ready to take calls (the broker may still be connecting).
        case running
        /// It stopped and will not come back by itself (crash loop, failed install).
        case failed
        /// Being removed.
        case terminating
    }

    let user: UserKey
    let digest: String
    let requirements: [String]
    let created: Date
    let phase: Phase
    let message: String?
    /// It was given a CURVE credential (false: made before servers had one, or by
    /// upstream's deploy API); the next spawn replaces it with one that has.
    var credentialed = true

    var ready: Bool { phase == .running }
}

/// `/broker-config`'s answer.
struct BrokerEndpoint: Sendable, Equatable {
    var host: String?
    var port: Int?
}

/// A runtime failure with a status for the caller (503 when the platform is not ready,
/// 502 when it answered badly, 500 otherwise).
struct RuntimeError: Error, Sendable, CustomStringConvertible, APIErrorConvertible {
    enum Kind: Sendable { case unavailable, upstream, invalid, `internal` }
    let kind: Kind
    let message: String

    var description: String { message }

    var apiError: APIError {
        switch kind {
        case .unavailable: APIError(.serviceUnavailable, detail: message)
        case .upstream: APIError(.badGateway, detail: message)
        case .invalid: APIError(.badRequest, detail: message)
        case .internal: APIError(.internalServerError, detail: "Internal server error: \(message)")
        }
    }
}
