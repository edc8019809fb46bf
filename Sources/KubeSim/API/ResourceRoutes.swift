import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit
import Yams

/// The REST verbs on every resource path: get, list, watch, create, replace, patch, delete.
/// Failures are Kubernetes `Status` objects, as the API server sends them.
struct ResourceRoutes: Sendable {
    let store: ObjectStore
    let registry: ResourceRegistry
    let discovery: DiscoveryRoutes
    let bookmarkInterval: Duration
    let subresources: SubresourceHandler
    let access: AccessControl?
    let faults: APIFaults

    /// What RoleBindings grant when access control is on.
    var bindings: RoleBindings { RoleBindings(store: store, registry: registry) }

    /// Every resource route of the core API and the groups, by method; one handler reads the path.
    var routes: [Route<BasicServiceRequestContext>] {
        ["api", "apis"].flatMap { root in
            [HTTPRequest.Method.get, .post, .put, .patch, .delete].map { method in
                Route<BasicServiceRequestContext>.on(method, "/\(root)/**", "Kubernetes resources (\(method.rawValue)).", access: .kubernetesAPI)
                    .tags("resources").body(RawBody.self)
                    .documented(
                        as: root == "api"
                            ? "/api/v1/namespaces/{namespace}/{resource}/{name}" : "/apis/{group}/{version}/namespaces/{namespace}/{resource}/{name}"
                    )
                    .handleRequest { request, context in
                        do {
                            return try await handle(request, context: context)
                        } catch let status as KubeStatus {
                            return status.response
                        }
                    }
            }
        }
    }

    func handle(_ request: Request, context: BasicServiceRequestContext) async throws -> Response {
        if let injected = await faults.before(method: request.method.rawValue) { throw injected }
        guard let path = ResourcePath(request.uri.path) else {
            throw KubeStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        guard let plural = path.plural else {
            guard request.method == .get, let list = discovery.resourceList(group: path.group, version: path.version) else {
                throw KubeStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
            }
            return list.response()
        }
        guard let type = registry.type(group: path.group, version: path.version, plural: plural) else {
            throw KubeStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        if type.namespaced == false, path.namespace != nil {
            throw KubeStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        let query = QueryParameters(request.uri)
        var caller: AccessControl.User?
        if let access {
            let user = try access.authenticate(BearerToken.from(request.headers))
            let (resource, name) = Self.rbacTarget(path.target, plural: plural)
            let verb = Self.verb(path.target, method: request.method, watch: query.flag("watch"))
            var granted = access.allows(user, verb: verb, group: path.group, resource: resource, namespace: path.namespace, name: name)
            if !granted, let namespace = path.namespace {
                granted = await bindings.allow(user: user.name, verb: verb, group: path.group, resource: resource, namespace: namespace, name: name)
            }
            try access.decide(user, verb: verb, group: path.group, resource: resource, namespace: path.namespace, name: name, granted: granted)
            caller = user
        }
        switch (path.target, request.method) {
        case (.collection, .get):
            if query.flag("watch") { return try await watch(type, namespace: path.namespace, request: request, name: nil) }
            return try await list(type, namespace: path.namespace, request: request)
        case (.collection, .post):
            let body = try await Self.body(request)
            if let access, let caller { try bindings.checkBind(body, plural: plural, user: caller, access: access, namespace: path.namespace) }
            if Self.isDryRun(request) { return body.response(status: .created) }
            return try await store.create(type, namespace: path.namespace, object: body).response(status: .created)
        case (.collection, .delete):
            return try await deleteCollection(type, namespace: path.namespace, request: request)
        case (.object(_, let name), .get):
            if query.flag("watch") { return try await watch(type, namespace: path.namespace, request: request, name: name) }
            let object = try await store.get(type, namespace: path.namespace, name: name)
            if TableRenderer.wantsTable(request) {
                let version = object["metadata"]?["resourceVersion"] ?? ""
                return TableRenderer.table(type: type, items: [object], metadata: ["resourceVersion": version]).response()
            }
            return object.response()
        case (.object(_, let name), .put):
            return try await store.replace(type, namespace: path.namespace, name: name, object: try await Self.body(request)).response()
        case (.object(_, let name), .patch):
            return try await patch(type, namespace: path.namespace, name: name, request: request, subresource: nil)
        case (.object(_, let name), .delete):
            let options = try await Self.deleteOptions(request)
            let object = try await store.delete(
                type, namespace: path.namespace, name: name, propagation: options.propagation, preconditionUID: options.uid,
                preconditionResourceVersion: options.resourceVersion, gracePeriodSeconds: options.gracePeriodSeconds
            )
            return object.response()
        case (.subresource(_, let name, "status"), .get):
            return try await store.get(type, namespace: path.namespace, name: name).response()
        case (.subresource(_, let name, "status"), .put):
            return try await store.replace(type, namespace: path.namespace, name: name, object: try await Self.body(request), subresource: "status")
                .response()
        case (.subresource(_, let name, "status"), .patch):
            return try await patch(type, namespace: path.namespace, name: name, request: request, subresource: "status")
        case (.subresource(_, let name, let subresource), _):
            return try await subresources.handle(type, namespace: path.namespace, name: name, subresource: subresource, request: request)
        default:
            throw KubeStatus.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    // MARK: Verbs

    private func list(_ type: ResourceType, namespace: String?, request: Request) async throws -> Response {
        await store.countListRequest()
        let query = QueryParameters(request.uri)
        let result = try await store.list(
            type, namespace: namespace,
            labels: try LabelSelector(parsing: query["labelSelector"] ?? ""),
            fields: try FieldSelector(parsing: query["fieldSelector"] ?? ""),
            limit: query["limit"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil },
            continueToken: query["continue"].flatMap { $0.isEmpty ? nil : $0 }
        )
        var metadata: [String: JSONValue] = ["resourceVersion": .string(String(result.resourceVersion))]
        if let token = result.continueToken { metadata["continue"] = .string(token) }
        if let remaining = result.remaining { metadata["remainingItemCount"] = .number(Double(remaining)) }
        if TableRenderer.wantsTable(request) {
            return TableRenderer.table(type: type, items: result.items, metadata: .object(metadata)).response()
        }
        return JSONValue.object([
            "kind": .string(type.listKind), "apiVersion": .string(type.apiVersion), "metadata": .object(metadata), "items": .array(result.items),
        ]).response()
    }

    private func watch(_ type: ResourceType, namespace: String?, request: Request, name: String?) async throws -> Response {
        let query = QueryParameters(request.uri)
        var fields = try FieldSelector(parsing: query["fieldSelector"] ?? "")
        var name = name
        if name == nil, let term = fields.terms.first(where: { $0.path == ["metadata", "name"] && !$0.negated }) {
            name = term.value
            fields = FieldSelector(terms: fields.terms.filter { $0 != term })
        }
        let filter = WatchFilter(
            resourceKey: type.resourceKey, namespace: namespace,
            labels: try LabelSelector(parsing: query["labelSelector"] ?? ""), fields: fields, name: name
        )
        let from = query["resourceVersion"].flatMap { Int($0) }
        let events = try await store.watch(type, filter: filter, fromRevision: from)
        let bookmarks = query.flag("allowWatchBookmarks") ? bookmarkInterval : nil
        let timeout = query["timeoutSeconds"].flatMap { Int($0) }.map { Duration.seconds($0) }
        let table = TableRenderer.wantsTable(request)
        let stream = WatchStream(events: events, store: store, type: type, bookmarkInterval: bookmarks, timeout: timeout, asTable: table)
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache, private"],
            body: ResponseBody { writer in try await stream.write(to: &writer) }
        )
    }

    private func patch(_ type: ResourceType, namespace: String?, name: String, request: Request, subresource: String?) async throws -> Response {
        let contentType = Self.mediaType(request) ?? ""
        if contentType == "application/apply-patch+yaml" {
            let (object, created) = try await store.apply(
                type, namespace: namespace, name: name, configuration: try await Self.appliedConfiguration(request), subresource: subresource)
            return object.response(status: created ? .created : .ok)
        }
        let kind: ObjectStore.PatchKind
        switch contentType {
        case "application/merge-patch+json": kind = .merge
        case "application/strategic-merge-patch+json": kind = .strategic
        case "application/json-patch+json": kind = .json
        default:
            throw KubeStatus(
                code: 415, reason: "UnsupportedMediaType",
                message:
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
            )
        }
        let patch = try await Self.body(request)
        return try await store.patch(type, namespace: namespace, name: name, patch: patch, kind: kind, subresource: subresource).response()
    }

    private func deleteCollection(_ type: ResourceType, namespace: String?, request: Request) async throws -> Response {
        let query = QueryParameters(request.uri)
        let result = try await store.list(
            type, namespace: namespace,
            labels: try LabelSelector(parsing: query["labelSelector"] ?? ""),
            fields: try FieldSelector(parsing: query["fieldSelector"] ?? "")
        )
        var deleted: [JSONValue] = []
        for item in result.items {
            if let name = ObjectMeta.name(item) {
                deleted.append(try await store.delete(type, namespace: ObjectMeta.namespace(item), name: name))
            }
        }
        return JSONValue.object(["kind": .string(type.listKind), "apiVersion": .string(type.apiVersion), "metadata": [:], "items": .array(deleted)])
            .response()
    }

    // MARK: Request helpers

    /// The RBAC verb for a request.
    static func verb(_ target: ResourcePath.Target, method: HTTPRequest.Method, watch: Bool) -> String {
        switch (target, method) {
        case (.collection, .get): watch ? "watch" : "list"
        case (.object, .get): watch ? "watch" : "get"
        case (.subresource, .get): "get"
        case (.collection, .post), (.subresource, .post): "create"
        case (_, .put): "update"
        case (_, .patch): "patch"
        case (.collection, .delete): "deletecollection"
        case (_, .delete): "delete"
        default: method.rawValue.lowercased()
        }
    }

    /// `pods` or `pods/log`, and the object name when there is one.
    static func rbacTarget(_ target: ResourcePath.Target, plural: String) -> (String, String?) {
        switch target {
        case .subresource(_, let name, let subresource): ("\(plural)/\(subresource)", name)
        case .object(_, let name): (plural, name)
        default: (plural, nil)
        }
    }

    static func isDryRun(_ request: Request) -> Bool {
        QueryParameters(request.uri)["dryRun"] == "All"
    }

    static let protobuf = KubernetesProtobuf()

    /// The Content-Type without its parameters (`application/json; charset=utf-8` → `application/json`).
    static func mediaType(_ request: Request) -> String? {
        request.headers[.contentType]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// A create or replace body: JSON, or Kubernetes protobuf as kubectl sends typed objects.
    static func body(_ request: Request) async throws -> JSONValue {
        let type = Self.mediaType(request)
        let isProtobuf = type == KubernetesProtobuf.contentType
        if let type, !type.contains("json"), !isProtobuf {
            throw KubeStatus(
                code: 415, reason: "UnsupportedMediaType",
                message:
                    "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf"
            )
        }
        var request = request
        let buffer = try await request.collectBody(upTo: 8 << 20)
        if isProtobuf {
            do {
                return try protobuf.decode(Array(buffer: buffer))
            } catch let error as ProtobufError {
                if case .unknownKind = error { throw KubeStatus(code: 415, reason: "UnsupportedMediaType", message: error.description) }
                throw KubeStatus.badRequest(error.description)
            }
        }
        do {
            return try JSONValue.decode(Data(buffer: buffer))
        } catch {
            throw KubeStatus.badRequest("the request body is not valid JSON (kube-sim accepts JSON only)")
        }
    }

    /// A server-side apply body: kubectl sends JSON; YAML (what `curl --data-binary @x.yaml`
    /// sends) is read too.
    static func appliedConfiguration(_ request: Request) async throws -> JSONValue {
        var request = request
        let buffer = try await request.collectBody(upTo: 8 << 20)
        if let json = try? JSONValue.decode(Data(buffer: buffer)) { return json }
        guard let yaml = try? Yams.load(yaml: String(decoding: buffer.readableBytesView, as: UTF8.self)),
            let data = try? JSONSerialization.data(withJSONObject: yaml), let value = try? JSONValue.decode(data), value.objectValue != nil
        else {
            throw KubeStatus.badRequest("the applied configuration is neither a JSON nor a YAML object")
        }
        return value
    }

    struct DeleteOptions {
        var propagation: ObjectStore.Propagation = .background
        var uid: String?
        var resourceVersion: String?
        var gracePeriodSeconds: Int?
    }

    static func deleteOptions(_ request: Request) async throws -> DeleteOptions {
        var options = DeleteOptions()
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        let bytes = Array(buffer: buffer)
        let decoded = bytes.starts(with: KubernetesProtobuf.magic) ? try? protobuf.decode(bytes) : try? JSONValue.decode(Data(bytes))
        if !bytes.isEmpty, let body = decoded {
            if let policy = body["propagationPolicy"]?.stringValue { options.propagation = ObjectStore.Propagation(rawValue: policy) ?? .background }
            options.uid = body["preconditions"]?["uid"]?.stringValue
            options.resourceVersion = body["preconditions"]?["resourceVersion"]?.stringValue
            options.gracePeriodSeconds = body["gracePeriodSeconds"]?.scalarDescription.flatMap(Int.init)
        }
        if let grace = QueryParameters(request.uri)["gracePeriodSeconds"].flatMap(Int.init) {
            options.gracePeriodSeconds = grace
        }
        if let policy = QueryParameters(request.uri)["propagationPolicy"] {
            options.propagation = ObjectStore.Propagation(rawValue: policy) ?? .background
        }
        return options
    }
}
