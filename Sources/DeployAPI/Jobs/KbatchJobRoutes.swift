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

    static let readBinding = PolicyBinding(.job, .read, .callersOwn)
    static let createBinding = PolicyBinding(.job, .create, .callersOwn)
    static let deleteBinding = PolicyBinding(.job, .delete, .callersOwn)

    static func namespace(_ context: IdentityRequestContext) throws -> String {
        KbatchNamespace.name(for: KbatchRoutes.username(try context.requireIdentity()))
    }

    var readRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        for (path, kind) in [("jobs", KbatchSubmission.Kind.job), ("cronjobs", .cronJob)] {
            routes.get(RouterPath(path)) { _, context in try await jobs.list(kind, namespace: try Self.namespace(context)) }
            routes.get(RouterPath(path + "/{name}")) { _, context in
                try await jobs.get(KbatchObject(kind), namespace: try Self.namespace(context), name: try context.parameters.require("name"))
            }
        }
        routes.get("pods") { request, context in
            try await jobs.pods(namespace: try Self.namespace(context), jobName: request.uri.queryParameters["job_name"].map(String.init))
        }
        routes.get("pods/{name}") { _, context in
            try await jobs.get(.pod, namespace: try Self.namespace(context), name: try context.parameters.require("name"))
        }
        for path in ["jobs/logs/{name}", "pods/logs/{name}"] {
            routes.get(RouterPath(path)) { request, context -> Response in
                let namespace = try Self.namespace(context)
                let name = try context.parameters.require("name")
                let headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
                // kbatch's `--stream` sends stream=True (Python's spelling); the answer is chunked.
                if ["true", "1"].contains(request.uri.queryParameters["stream"]?.lowercased()) {
                    return Response(
                        status: .ok, headers: headers, body: .init(asyncSequence: try await jobs.followLogs(namespace: namespace, name: name)))
                }
                let text = try await jobs.logs(namespace: namespace, name: name)
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
            }
        }
        return routes
    }

    var createRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        for (path, kind) in [("jobs", KbatchSubmission.Kind.job), ("cronjobs", .cronJob)] {
            routes.post(RouterPath(path)) { request, context -> Response in
                let user = try context.requireIdentity()
                let body = try await JSONBody.object(from: request, expecting: "a JSON object {\"job\": …, \"code\": …} is required")
                let token = try await TokenSource.token(in: request, from: KbatchRoutes.tokens) ?? ""
                let started = ContinuousClock.now
                do {
                    let submission = try KbatchSubmission.prepare(
                        kind: kind, body: .object(body), username: KbatchRoutes.username(user), token: token, rules: rules)
                    let answer = try await jobs.submit(submission)
                    metrics.recordSubmission(kind: kind, outcome: .created, duration: ContinuousClock.now - started)
                    return answer.response(status: .ok)
                } catch {
                    let refused = (error as? APIError).map { (400..<500).contains($0.status.code) } ?? false
                    metrics.recordSubmission(kind: kind, outcome: refused ? .refused : .failed, duration: ContinuousClock.now - started)
                    throw error
                }
            }
        }
        return routes
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

    var deleteRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        for (path, kind) in [("jobs", KbatchSubmission.Kind.job), ("cronjobs", .cronJob)] {
            routes.delete(RouterPath(path + "/{name}")) { _, context in
                try await jobs.delete(kind, namespace: try Self.namespace(context), name: try context.parameters.require("name"))
            }
        }
        return routes
    }
}

extension KbatchJobRoutes {
    /// The job, cronjob and pod routes in the deploy API's OpenAPI document.
    static func operations(prefix: String) -> [OpenAPIDocument.Operation] {
        let name: JSONValue = ["name": "name", "in": "path", "required": true, "schema": OpenAPIDocument.string]
        let stream: JSONValue = ["name": "stream", "in": "query", "required": false, "schema": ["type": "boolean"]]
        let refused: [Int: OpenAPIDocument.Operation.Response] = [
            401: .init("No valid token", schema: OpenAPIDocument.errorDetail),
            404: .init("Not in the caller's namespace", schema: OpenAPIDocument.errorDetail),
        ]
        func operation(
            _ method: String, _ path: String, _ summary: String, parameters: [JSONValue] = [], requestBody: JSONValue? = nil,
            ok: OpenAPIDocument.Operation.Response = .init("In the Python client's snake_case", schema: OpenAPIDocument.anyObject),
            extra: [Int: OpenAPIDocument.Operation.Response] = [:]
        ) -> OpenAPIDocument.Operation {
            .init(
                method, prefix + path, summary: summary + " (policy: job, the caller's own).", tags: ["kbatch"], security: .bearer,
                parameters: parameters, requestBody: requestBody, responses: refused.merging(extra) { $1 }.merging([200: ok]) { $1 })
        }
        let submission = OpenAPIDocument.jsonBody(
            OpenAPIDocument.object(["job": OpenAPIDocument.anyObject, "code": OpenAPIDocument.anyObject], required: ["job"]))
        let submitRefusals: [Int: OpenAPIDocument.Operation.Response] = [
            413: .init("The code bundle is too large for a ConfigMap", schema: OpenAPIDocument.errorDetail),
            422: .init("A field the pod may not have, named", schema: OpenAPIDocument.errorDetail),
            429: .init("Too many unfinished jobs", schema: OpenAPIDocument.errorDetail),
        ]
        let log = OpenAPIDocument.Operation.Response("The log as text", schema: OpenAPIDocument.string, contentType: "text/plain")
        var operations: [OpenAPIDocument.Operation] = []
        for (path, what) in [("jobs", "Jobs"), ("cronjobs", "CronJobs")] {
            operations += [
                operation("GET", "/\(path)/", "The caller's \(what)"),
                operation("POST", "/\(path)/", "Submits one of the caller's \(what), rewritten", requestBody: submission, extra: submitRefusals),
                operation("GET", "/\(path)/{name}", "One of the caller's \(what)", parameters: [name]),
                operation("DELETE", "/\(path)/{name}", "Deletes one of the caller's \(what) (Foreground)", parameters: [name]),
            ]
        }
        operations += [
            operation(
                "GET", "/pods/", "The caller's pods, those of one Job with job_name",
                parameters: [["name": "job_name", "in": "query", "required": false, "schema": OpenAPIDocument.string]]),
            operation("GET", "/pods/{name}", "One of the caller's pods", parameters: [name]),
            operation("GET", "/pods/logs/{name}/", "A pod's log; followed live with stream=true", parameters: [name, stream], ok: log),
            operation(
                "GET", "/jobs/logs/{name}/", "A pod's log, or all the pods' logs of a Job; followed live with stream=true",
                parameters: [name, stream], ok: log),
        ]
        return operations
    }
}
