import Access
import AccessPolicy
import Essentials
import Hummingbird
import Identity
import Kubernetes
import ServiceKit

/// kbatch-proxy's job, cronjob and pod routes (docs/specs/anchors-platforms.md §A.2), each
/// acting only in the caller's own namespace: another user's objects are simply not there (404).
struct KbatchJobRoutes: Sendable {
    let jobs: any KbatchBackend
    let rules: KbatchSubmission.Rules
    let metrics: JobMetrics

    /// `KBATCH_PREFIX`.
    let prefix: String

    static let read = PolicyAccess.policy(.job, .read, .callersOwn, tokens: KbatchRoutes.tokens)
    static let create = PolicyAccess.policy(.job, .create, .callersOwn, tokens: KbatchRoutes.tokens)
    static let delete = PolicyAccess.policy(.job, .delete, .callersOwn, tokens: KbatchRoutes.tokens)

    static func namespace(_ context: IdentityRequestContext) throws -> String {
        KbatchNamespace.name(for: KbatchRoutes.username(try context.requireIdentity()))
    }

    var routes: [Route<IdentityRequestContext>] {
        let object = "In the Python client's snake_case"
        let notFound = "Not in the caller's namespace"
        var routes: [Route<IdentityRequestContext>] = []
        for (path, kind, what) in [("jobs", KbatchSubmission.Kind.job, "Jobs"), ("cronjobs", .cronJob, "CronJobs")] {
            routes += [
                Route.get(prefix + "/\(path)/", "The caller's \(what).", access: Self.read).tags("kbatch")
                    .answers(200, object, schema: JSONSchema.anyObject)
                    .handle { call in try await jobs.list(kind, namespace: try Self.namespace(call.context)) },
                Route.post(prefix + "/\(path)/", "Submits one of the caller's \(what), rewritten.", access: Self.create).tags("kbatch")
                    .body(KbatchSubmission.Body.self)
                    .answers(200, object, schema: JSONSchema.anyObject)
                    .responds(413, "The code bundle is too large for a ConfigMap").responds(422, "A field the pod may not have, named")
                    .responds(429, "Too many unfinished jobs")
                    .handle { call in try await submit(kind, call) },
                Route.get(prefix + "/\(path)/{name}", "One of the caller's \(what).", access: Self.read).tags("kbatch")
                    .answers(200, object, schema: JSONSchema.anyObject).responds(404, notFound)
                    .handle { call in
                        try await jobs.get(KbatchObject(kind), namespace: try Self.namespace(call.context), name: try call.parameter("name"))
                    },
                Route.delete(prefix + "/\(path)/{name}", "Deletes one of the caller's \(what) (Foreground).", access: Self.delete).tags("kbatch")
                    .answers(200, object, schema: JSONSchema.anyObject).responds(404, notFound)
                    .handle { call in try await jobs.delete(kind, namespace: try Self.namespace(call.context), name: try call.parameter("name")) },
            ]
        }
        routes += [
            Route.get(prefix + "/pods/", "The caller's pods, those of one Job with job_name.", access: Self.read).tags("kbatch")
                .parameter("job_name").answers(200, object, schema: JSONSchema.anyObject)
                .handleRequest { request, context in
                    try await jobs.pods(namespace: try Self.namespace(context), jobName: request.uri.queryParameters["job_name"].map(String.init))
                },
            Route.get(prefix + "/pods/{name}", "One of the caller's pods.", access: Self.read).tags("kbatch")
                .answers(200, object, schema: JSONSchema.anyObject).responds(404, notFound)
                .handle { call in try await jobs.get(.pod, namespace: try Self.namespace(call.context), name: try call.parameter("name")) },
        ]
        for (path, summary) in [
            ("pods/logs/{name}", "A pod's log; followed live with stream=true."),
            ("jobs/logs/{name}", "A pod's log, or all the pods' logs of a Job; followed live with stream=true."),
        ] {
            routes.append(
                Route.get(prefix + "/\(path)/", summary, access: Self.read).tags("kbatch")
                    .parameter("stream", schema: JSONSchema.boolean)
                    .answers(200, "The log as text", schema: JSONSchema.string, contentType: "text/plain").responds(404, notFound)
                    .handleRequest { request, context in try await logs(request, context: context) })
        }
        return routes
    }

    /// A pod's or a Job's log, as text; kbatch's `--stream` sends stream=True (Python's
    /// spelling) and gets it chunked, followed live.
    func logs(_ request: Request, context: IdentityRequestContext) async throws -> Response {
        let namespace = try Self.namespace(context)
        let name = try context.parameters.require("name")
        let headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
        if ["true", "1"].contains(request.uri.queryParameters["stream"]?.lowercased()) {
            return Response(
                status: .ok, headers: headers, body: .init(asyncSequence: counted(try await jobs.followLogs(namespace: namespace, name: name))))
        }
        let text = try await jobs.logs(namespace: namespace, name: name)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func submit(_ kind: KbatchSubmission.Kind, _ call: RouteCall<IdentityRequestContext, NoQuery, KbatchSubmission.Body>) async throws -> JSONValue {
        let user = try call.context.requireIdentity()
        let token = try await TokenSource.token(in: call.request, from: KbatchRoutes.tokens) ?? ""
        let started = ContinuousClock.now
        do {
            let submission = try KbatchSubmission.prepare(
                kind: kind, body: call.body.json, username: KbatchRoutes.username(user), token: token, rules: rules)
            let answer = try await jobs.submit(submission)
            metrics.recordSubmission(kind: kind, outcome: .created, duration: ContinuousClock.now - started)
            return answer
        } catch {
            let refused = (error as? APIError).map { (400..<500).contains($0.status.code) } ?? false
            metrics.recordSubmission(kind: kind, outcome: refused ? .refused : .failed, duration: ContinuousClock.now - started)
            throw error
        }
    }

    /// The stream, counted in `kbatch_log_followers` while someone reads it.
    private func counted(_ stream: AsyncThrowingStream<ByteBuffer, any Error>) -> AsyncThrowingStream<ByteBuffer, any Error> {
        let followers = metrics.logFollowers
        followers.increment()
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await chunk in stream { continuation.yield(chunk) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                task.cancel()
                followers.decrement()
            }
        }
    }
}
