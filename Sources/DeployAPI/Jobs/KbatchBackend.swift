import Essentials
import Foundation
import NIOCore
import ServiceKit
import ServiceLifecycle

/// What a kbatch route may name: a Job, a CronJob or one of their pods.
enum KbatchObject: String, Sendable {
    case job = "Job"
    case cronJob = "CronJob"
    case pod = "Pod"

    init(_ kind: KbatchSubmission.Kind) { self = kind == .job ? .job : .cronJob }
}

/// Where kbatch's jobs run: on a cluster (``KubernetesJobs``) or on this machine
/// (``LocalJobs``). Both keep each user in their own namespace and answer with the same
/// shapes, in the Python client's snake_case, so neither the routes nor the kbatch client can
/// tell them apart.
protocol KbatchBackend: Sendable {
    /// Makes the submission's objects; answers the Job or CronJob.
    func submit(_ submission: KbatchSubmission) async throws -> JSONValue
    /// The user's Jobs or CronJobs, as a list answer.
    func list(_ kind: KbatchSubmission.Kind, namespace: String) async throws -> JSONValue
    /// The user's pods, those of one Job with `jobName`, as a list answer.
    func pods(namespace: String, jobName: String?) async throws -> JSONValue
    func get(_ object: KbatchObject, namespace: String, name: String) async throws -> JSONValue
    /// Deletes a Job or CronJob with what it owns (pods, Secret, ConfigMap).
    func delete(_ kind: KbatchSubmission.Kind, namespace: String, name: String) async throws -> JSONValue
    /// A pod's log; given a Job's name instead, the logs of all its pods.
    func logs(namespace: String, name: String) async throws -> String
    /// The same, followed live: what is logged from now on arrives as it is written, until the
    /// pod (for a Job, its last pod) has ended or the caller stops reading.
    func followLogs(namespace: String, name: String) async throws -> AsyncThrowingStream<ByteBuffer, any Error>
    /// What runs beside the API (the local runtime's scheduler).
    var services: [any Service] { get }
}

/// The answers both backends share.
enum KbatchAnswers {
    /// A list answer as the Python client writes one; `items` in Kubernetes' camelCase.
    static func list(apiVersion: String, kind: String, _ items: [JSONValue]) -> JSONValue {
        ["api_version": .string(apiVersion), "kind": .string(kind), "items": .array(items.map(object)), "metadata": [:]]
    }

    /// One object in the Python client's spelling. The client's `to_dict()` has every field,
    /// null when unset, and `kbatch job list -o table` reads a Job's status counts and times
    /// by key; those keys are always there.
    static func object(_ camel: JSONValue) -> JSONValue {
        var value = camel
        if value["kind"] == "Job" {
            var status = value["status"]?.objectValue ?? [:]
            for key in ["active", "succeeded", "failed", "startTime", "completionTime", "conditions"] where status[key] == nil {
                status[key] = .null
            }
            value["status"] = .object(status)
        }
        return KubernetesCase.snake(value)
    }

    /// What a deletion answers: a Status, as the Python client returns it.
    static func deleted(_ kind: KbatchSubmission.Kind, name: String) -> JSONValue {
        [
            "kind": "Status", "api_version": "v1", "status": "Success",
            "details": ["name": .string(name), "kind": .string(kind.rawValue.lowercased() + "s")],
        ]
    }

    /// Whether a Job has ended (a `Complete` or `Failed` condition is true).
    static func isFinished(_ job: JSONValue) -> Bool {
        (job["status"]?["conditions"]?.arrayValue ?? []).contains {
            ["Complete", "Failed"].contains($0["type"]?.stringValue ?? "") && $0["status"] == "True"
        }
    }

    /// The 429 past `KBATCH_MAX_ACTIVE_JOBS_PER_USER`.
    static func tooManyActiveJobs(_ active: Int, max: Int) -> APIError {
        APIError(
            .tooManyRequests,
            detail:
                "You have \(active) jobs that have not finished; at most \(max) at a time (KBATCH_MAX_ACTIVE_JOBS_PER_USER). Delete finished or unwanted jobs, or wait."
        )
    }

    /// Kubernetes' words for an object that is not there (or not the caller's).
    static func notFound(_ object: KbatchObject, _ name: String) -> APIError {
        let resource = ["Job": "jobs.batch", "CronJob": "cronjobs.batch", "Pod": "pods"][object.rawValue] ?? ""
        return APIError(.notFound, detail: "\(resource) \"\(name)\" not found")
    }

    /// A log request's name is neither a pod nor a Job of the caller's.
    static func noPodOrJob(_ name: String) -> APIError {
        APIError(.notFound, detail: "No pod or job named \(name)")
    }

    /// Several pods' logs in one text: oldest first, each under a header line when several.
    static func joinedLogs(_ logs: [(pod: String, text: String)]) -> String {
        guard logs.count > 1 else { return logs.first?.text ?? "" }
        return logs.map { "==> \($0.pod) <==\n" + $0.text }.joined()
    }

    /// Objects in creation order (then by name, so equal times come out the same each time).
    static func oldestFirst<Item>(_ items: [Item], _ object: (Item) -> JSONValue) -> [Item] {
        items.sorted {
            let left = object($0)["metadata"]
            let right = object($1)["metadata"]
            return (left?["creationTimestamp"]?.stringValue ?? "", left?["name"]?.stringValue ?? "")
                < (right?["creationTimestamp"]?.stringValue ?? "", right?["name"]?.stringValue ?? "")
        }
    }

    /// A followed log, the same on both runtimes: a pod's own, or each pod of a Job in turn (a
    /// header line before each later one) until the Job is over and its last pod's log has
    /// ended; a Job's next pod (a retry) is looked for every `pollInterval`. `pods` lists the
    /// Job's pods oldest first; `follow` sends one pod's log to `send` until the pod ends.
    static func followed(
        _ name: String, isPod: Bool, pollInterval: Duration, pods: @escaping @Sendable () async throws -> [String],
        jobIsOver: @escaping @Sendable () async throws -> Bool,
        follow: @escaping @Sendable (_ pod: String, _ send: @escaping @Sendable (ByteBuffer) -> Void) async throws -> Void
    ) -> AsyncThrowingStream<ByteBuffer, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var followed: [String] = []
                    while !Task.isCancelled {
                        let names = isPod ? [name] : try await pods()
                        if let next = names.first(where: { !followed.contains($0) }) {
                            if !followed.isEmpty { continuation.yield(ByteBuffer(string: "==> \(next) <==\n")) }
                            followed.append(next)
                            try await follow(next) { continuation.yield($0) }
                            continue
                        }
                        if isPod { break }
                        if try await jobIsOver() { break }
                        try await Sleep.for(pollInterval)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
