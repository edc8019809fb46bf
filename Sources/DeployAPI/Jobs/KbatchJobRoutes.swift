import AccessPolicy
import Essentials
import Hummingbird
import Identity
import Kubernetes
import ServiceKit

/// kbatch-proxy's job, cronjob and pod routes (docs/specs/anchors-platforms.md §A.2), each
/// acting only in the caller's own namespace: another user's objects are simply not there (404).
struct KbatchJobRoutes: Sendable {
    let jobs: KubernetesJobs
    let rules: KbatchSubmission.Rules

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
                try await jobs.get(
                    KubernetesJobs.resource(kind), namespace: try Self.namespace(context), name: try context.parameters.require("name"))
            }
        }
        routes.get("pods") { request, context in
            try await jobs.pods(namespace: try Self.namespace(context), jobName: request.uri.queryParameters["job_name"].map(String.init))
        }
        routes.get("pods/{name}") { _, context in
            try await jobs.get(.pods, namespace: try Self.namespace(context), name: try context.parameters.require("name"))
        }
        for path in ["jobs/logs/{name}", "pods/logs/{name}"] {
            routes.get(RouterPath(path)) { _, context -> Response in
                let text = try await jobs.logs(namespace: try Self.namespace(context), name: try context.parameters.require("name"))
                return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
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
                let submission = try KbatchSubmission.prepare(
                    kind: kind, body: .object(body), username: KbatchRoutes.username(user), token: token, rules: rules)
                return try await jobs.submit(submission).response(status: .ok)
            }
        }
        return routes
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
