import AccessPolicy
import Essentials
import Foundation
import ServiceKit

/// One staging operation, kept in the catalog database (the prototype promised a job table
/// and never built one): who asked, what from where to where, and how far it got.
struct StagingJob: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable {
        case queued, running, succeeded, failed

        var isFinished: Bool { self == .succeeded || self == .failed }
    }

    var id: String
    /// The subject of the caller who started it (`Object.Owner`).
    var ownerSub: String
    /// Whose area (or Jupyter server) it stages into.
    var username: String
    var method: StagingMethod
    /// `local_path_on_storage`, relative to the source root, as given.
    var source: String
    /// `relative_path` inside the user's area, as given (nil for `direct_download`).
    var destination: String?
    var status: Status
    var bytesDone: Int64 = 0
    var bytesTotal: Int64?
    /// Upstream's answer text once done ("Data staged for user …", "Data already available at …").
    var message: String?
    var error: String?
    var createdAt: String
    var startedAt: String?
    var finishedAt: String?
    /// Refreshed while the job runs: a running job not refreshed for a while belongs to a
    /// process that died.
    var updatedAt: String
    /// The process running it (host name and process id).
    var runner: String?

    enum CodingKeys: String, CodingKey {
        case id, username, method, source, destination, status, message, error, runner
        case ownerSub = "owner_sub"
        case bytesDone = "bytes_done"
        case bytesTotal = "bytes_total"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case updatedAt = "updated_at"
    }

    init(id: String = CatalogID.make(), owner: String, username: String, method: StagingMethod, source: String, destination: String?) {
        let now = Timestamp.isoUTC(Date())
        self.id = id
        self.ownerSub = owner
        self.username = username
        self.method = method
        self.source = source
        self.destination = destination
        self.status = .queued
        self.createdAt = now
        self.updatedAt = now
    }

    var policyObject: PolicyObject { PolicyObject(mode: .private, id: id, owner: ownerSub) }

    /// What the API shows: every field, nulls included (the runner and owner are internal).
    var json: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return [
            "id": .string(id), "user": .string(username), "method": .string(method.rawValue), "source": .string(source),
            "destination": text(destination), "status": .string(status.rawValue), "bytes_done": .number(Double(bytesDone)),
            "bytes_total": bytesTotal.map { .number(Double($0)) } ?? .null, "message": text(message), "error": text(error),
            "created_at": .string(createdAt), "started_at": text(startedAt), "finished_at": text(finishedAt),
            "updated_at": .string(updatedAt),
        ]
    }

    mutating func finish(_ status: Status, message: String? = nil, error: String? = nil) {
        let now = Timestamp.isoUTC(Date())
        self.status = status
        self.message = message
        self.error = error
        finishedAt = now
        updatedAt = now
    }

    func encoded() throws -> String { String(decoding: try WireJSON.encode(self), as: UTF8.self) }

    static func decoded(_ text: String) throws -> StagingJob { try WireJSON.decode(StagingJob.self, from: Array(text.utf8)) }
}

enum StagingError: Error, APIErrorConvertible, Equatable {
    case disabled
    case invalidMethod(String)
    case jobNotFound
    case usernameMismatch
    case jupyterTokenMissing
    case runningElsewhere(String)

    var apiError: APIError {
        switch self {
        case .disabled: APIError(.serviceUnavailable, detail: "Data staging is not enabled on this deployment.")
        case .invalidMethod(let method): APIError(.badRequest, detail: "Invalid staging method: \(method)")
        case .jobNotFound: APIError(.notFound, detail: "Staging job not found.")
        case .usernameMismatch: APIError(.forbidden, detail: "username must be your own user name (only an admin stages for another user).")
        case .runningElsewhere(let runner):
            APIError(.conflict, detail: "The job runs in another replica (\(runner)); cancel it there or wait for it to end.")
        case .jupyterTokenMissing:
            APIError.validation("jupyter_token is required for jupyter_copy (in the body, or the query)", field: "jupyter_token")
        }
    }
}
