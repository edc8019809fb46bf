import AsyncHTTPClient
import Essentials
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A client for the Kubernetes REST API (JSON), in the spirit of client-go's dynamic client:
/// verbs on any ``ResourceDescriptor``, objects as ``UnstructuredObject``, failures as
/// ``KubernetesError`` decoded from the server's `Status`.
public struct KubernetesClient: Sendable {
    public let configuration: KubernetesConfiguration
    let httpClient: HTTPClient
    let logger: Logger
    /// Budget for one ordinary call; watches use their own.
    public var timeout: Duration
    private let tokenFile: TokenFileReader?

    public init(
        configuration: KubernetesConfiguration, httpClient: HTTPClient = UpstreamHTTPClient.shared, timeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "kubernetes")
    ) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.timeout = timeout
        self.logger = logger
        if case .bearerTokenFile(let path) = configuration.credentials {
            tokenFile = TokenFileReader(path: path)
        } else {
            tokenFile = nil
        }
    }

    public enum PatchType: String, Sendable {
        case merge = "application/merge-patch+json"
        case strategicMerge = "application/strategic-merge-patch+json"
        case json = "application/json-patch+json"
    }

    public enum PropagationPolicy: String, Sendable {
        case background = "Background"
        case foreground = "Foreground"
        case orphan = "Orphan"
    }

    // MARK: Verbs

    public func get(_ resource: ResourceDescriptor, namespace: String? = nil, name: String) async throws -> UnstructuredObject {
        try await object(.GET, resource.path(namespace: namespace ?? defaultNamespace(resource), name: name))
    }

    /// One page; pass the returned `continueToken` for the next.
    public func list(
        _ resource: ResourceDescriptor, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
        limit: Int? = nil, continueToken: String? = nil
    ) async throws -> ObjectList {
        var query: [(String, String)] = []
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
        if let limit { query.append(("limit", String(limit))) }
        if let continueToken { query.append(("continue", continueToken)) }
        let body = try await send(.GET, resource.path(namespace: namespace), query: query)
        let items = (body["items"]?.arrayValue ?? []).compactMap(UnstructuredObject.init)
        let token = body["metadata"]?["continue"]?.stringValue
        return ObjectList(
            items: items, resourceVersion: body["metadata"]?["resourceVersion"]?.stringValue ?? "",
            continueToken: (token?.isEmpty ?? true) ? nil : token
        )
    }

    /// Every page of a list, followed through `continue`.
    public func listAll(
        _ resource: ResourceDescriptor, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil, pageSize: Int = 500
    ) async throws -> ObjectList {
        var items: [UnstructuredObject] = []
        var token: String? = nil
        var version = ""
        repeat {
            let page = try await list(
                resource, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector, limit: pageSize, continueToken: token)
            items += page.items
            token = page.continueToken
            if version.isEmpty { version = page.resourceVersion }
        } while token != nil
        return ObjectList(items: items, resourceVersion: version, continueToken: nil)
    }

    public func create(_ resource: ResourceDescriptor, namespace: String? = nil, _ object: UnstructuredObject) async throws -> UnstructuredObject {
        var object = object
        object["apiVersion"] = .string(resource.apiVersion)
        object["kind"] = .string(resource.kind)
        let namespace = resource.namespaced ? (namespace ?? object.namespace ?? configuration.namespace) : nil
        return try await self.object(.POST, resource.path(namespace: namespace), body: object.json)
    }

    /// PUT; the object's resourceVersion makes it conditional (409 Conflict when stale).
    public func replace(
        _ resource: ResourceDescriptor, namespace: String? = nil, _ object: UnstructuredObject, subresource: String? = nil
    ) async throws -> UnstructuredObject {
        guard let name = object.name else { throw KubernetesError(code: 0, reason: "Invalid", message: "replace needs metadata.name") }
        let namespace = resource.namespaced ? (namespace ?? object.namespace ?? configuration.namespace) : nil
        return try await self.object(.PUT, resource.path(namespace: namespace, name: name, subresource: subresource), body: object.json)
    }

    public func patch(
        _ resource: ResourceDescriptor, namespace: String? = nil, name: String, _ patch: JSONValue, type: PatchType = .merge,
        subresource: String? = nil
    ) async throws -> UnstructuredObject {
        try await object(
            .PATCH, resource.path(namespace: namespace ?? defaultNamespace(resource), name: name, subresource: subresource), body: patch,
            contentType: type.rawValue)
    }

    /// Deletes; a missing object is not an error when `ignoreNotFound` (idempotent teardown).
    /// `preconditions` (uid, resourceVersion) make the API server refuse with 409 Conflict
    /// unless the object is still the one the caller saw: of several deleters, one wins.
    /// Answers what the API server answered: the object as it is now (marked for deletion, or
    /// as last stored), a Status for some kinds, nil for a missing object with `ignoreNotFound`.
    @discardableResult
    public func delete(
        _ resource: ResourceDescriptor, namespace: String? = nil, name: String, propagation: PropagationPolicy = .background,
        gracePeriodSeconds: Int? = nil, preconditions: DeletePreconditions? = nil, ignoreNotFound: Bool = false
    ) async throws -> UnstructuredObject? {
        var options: [String: JSONValue] = ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": .string(propagation.rawValue)]
        if let gracePeriodSeconds { options["gracePeriodSeconds"] = .number(Double(gracePeriodSeconds)) }
        if let preconditions {
            var fields: [String: JSONValue] = [:]
            fields["uid"] = preconditions.uid.map(JSONValue.string)
            fields["resourceVersion"] = preconditions.resourceVersion.map(JSONValue.string)
            options["preconditions"] = .object(fields)
        }
        do {
            return UnstructuredObject(
                try await send(.DELETE, resource.path(namespace: namespace ?? defaultNamespace(resource), name: name), body: .object(options)))
        } catch let error as KubernetesError where error.isNotFound && ignoreNotFound {
            return nil
        }
    }

    /// A pod's log as text.
    public func logs(namespace: String? = nil, pod: String, container: String? = nil, tailLines: Int? = nil) async throws -> String {
        var query: [(String, String)] = []
        if let container { query.append(("container", container)) }
        if let tailLines { query.append(("tailLines", String(tailLines))) }
        let response = try await execute(
            .GET, ResourceDescriptor.pods.path(namespace: namespace ?? configuration.namespace, name: pod, subresource: "log"), query: query)
        return String(decoding: response, as: UTF8.self)
    }

    // MARK: Transport

    func defaultNamespace(_ resource: ResourceDescriptor) -> String? {
        resource.namespaced ? configuration.namespace : nil
    }

    private func object(
        _ method: HTTPMethod, _ path: String, body: JSONValue? = nil, contentType: String = "application/json"
    ) async throws -> UnstructuredObject {
        let value = try await send(method, path, body: body, contentType: contentType)
        guard let object = UnstructuredObject(value) else {
            throw KubernetesError(code: 0, reason: "InvalidResponse", message: "\(method) \(path) did not return an object")
        }
        return object
    }

    private func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil, contentType: String = "application/json"
    ) async throws -> JSONValue {
        let bytes = try await execute(method, path, query: query, body: body, contentType: contentType)
        do {
            return try JSONValue.decode(Data(bytes))
        } catch {
            throw KubernetesError(code: 0, reason: "InvalidResponse", message: "\(method) \(path) returned a body that is not JSON")
        }
    }

    func request(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil, contentType: String = "application/json"
    ) throws -> HTTPClientRequest {
        var components = URLComponents(url: configuration.server, resolvingAgainstBaseURL: false)!
        components.percentEncodedPath =
            components.percentEncodedPath.trimmingCharacters(in: CharacterSet(charactersIn: "/")).isEmpty
            ? path : "/" + components.percentEncodedPath.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        // `+` is literal in URLQueryItem but a space to servers; selectors need it encoded.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        var request = HTTPClientRequest(url: components.string!)
        request.method = method
        request.tlsConfiguration = try configuration.tlsConfiguration()
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "rexec-stack")
        switch configuration.credentials {
        case .bearerToken(let token): request.headers.add(name: "Authorization", value: "Bearer \(token)")
        case .bearerTokenFile: request.headers.add(name: "Authorization", value: "Bearer \(try tokenFile!.token())")
        case .none, .clientCertificate: break
        }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body.bytes()))
        }
        return request
    }

    private func execute(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil, contentType: String = "application/json"
    ) async throws -> [UInt8] {
        let request = try request(method, path, query: query, body: body, contentType: contentType)
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await httpClient.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            bytes = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw KubernetesError(code: 0, reason: "Unreachable", message: "\(method) \(path): \(error)")
        }
        let data = Array(buffer: bytes)
        guard (200..<300).contains(Int(response.status.code)) else {
            let error = KubernetesError.from(status: Int(response.status.code), body: data)
            logger.debug(
                "kubernetes call failed", metadata: ["method": "\(method)", "path": "\(path)", "code": "\(error.code)", "reason": "\(error.reason)"])
            throw error
        }
        return data
    }
}

/// A delete's conditions on the object as it is (DeleteOptions.preconditions).
public struct DeletePreconditions: Sendable, Equatable {
    public var uid: String?
    public var resourceVersion: String?

    public init(uid: String? = nil, resourceVersion: String? = nil) {
        self.uid = uid
        self.resourceVersion = resourceVersion
    }

    /// The object exactly as seen: its uid and its resourceVersion.
    public init(_ object: UnstructuredObject) {
        self.init(uid: object.uid, resourceVersion: object.resourceVersion)
    }
}
