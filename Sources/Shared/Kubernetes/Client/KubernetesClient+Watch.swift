import AsyncHTTPClient
import Essentials
import Foundation
import NIOCore

/// One change seen by a watch.
public struct KubernetesWatchEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
        case bookmark = "BOOKMARK"
    }
    public let kind: Kind
    public let object: UnstructuredObject
}

extension KubernetesClient {
    /// One watch connection from `resourceVersion`. The stream ends when the server closes
    /// it; a 410 (as HTTP status or as an ERROR event) is thrown as ``KubernetesError/isGone``.
    public func watch(
        _ resource: ResourceDescriptor, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
        resourceVersion: String?, timeoutSeconds: Int = 290
    ) -> AsyncThrowingStream<KubernetesWatchEvent, any Error> {
        var query: [(String, String)] = [("watch", "true"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", String(timeoutSeconds))]
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
        let path = resource.path(namespace: namespace)
        return streaming(path, query: query, timeout: .seconds(Int64(timeoutSeconds) + 30)) { body, continuation in
            var pending: [UInt8] = []
            for try await chunk in body {
                pending += Array(buffer: chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    if let event = try Self.decodeEvent(line) { continuation.yield(event) }
                }
            }
        }
    }

    /// A GET whose answer arrives in pieces (a watch, a followed log) as a stream that `read`
    /// feeds from the response body; a refusal is thrown as the server's Status, and the
    /// request ends when the caller stops reading.
    func streaming<Element: Sendable>(
        _ path: String, query: [(String, String)], timeout: Duration,
        _ read: @escaping @Sendable (HTTPClientResponse.Body, AsyncThrowingStream<Element, any Error>.Continuation) async throws -> Void
    ) -> AsyncThrowingStream<Element, any Error> {
        let client = self
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let request = try client.request(.GET, path, query: query)
                    let response: HTTPClientResponse
                    do {
                        response = try await client.httpClient.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
                    } catch {
                        throw KubernetesError(code: 0, reason: "Unreachable", message: "GET \(path): \(error)")
                    }
                    guard response.status == .ok else {
                        let body = try await response.body.collect(upTo: 1 << 20)
                        throw KubernetesError.from(status: Int(response.status.code), body: Array(buffer: body))
                    }
                    try await read(response.body, continuation)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func decodeEvent(_ line: [UInt8]) throws -> KubernetesWatchEvent? {
        guard !line.isEmpty, let value = try? JSONValue.decode(Data(line)), let type = value["type"]?.stringValue else { return nil }
        if type == "ERROR" {
            let status = value["object"] ?? .null
            throw KubernetesError(
                code: status["code"]?.scalarDescription.flatMap(Int.init) ?? 500, reason: status["reason"]?.stringValue ?? "Unknown",
                message: status["message"]?.stringValue ?? ""
            )
        }
        guard let kind = KubernetesWatchEvent.Kind(rawValue: type), let object = value["object"].flatMap(UnstructuredObject.init) else { return nil }
        return KubernetesWatchEvent(kind: kind, object: object)
    }

    /// Every change to matching objects, for as long as the caller listens, in the manner of
    /// client-go's reflector: list, then watch from the list's resourceVersion; when the watch
    /// ends, resume from the last resourceVersion seen (bookmarks included); on 410 list again
    /// and report what changed meanwhile (deletions included); on errors back off (0.1 s
    /// doubling to `maxBackoff`) and retry. The first events describe the current state.
    public func events(
        _ resource: ResourceDescriptor, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
        maxBackoff: Duration = .seconds(5), watchTimeoutSeconds: Int = 290
    ) -> AsyncThrowingStream<KubernetesWatchEvent, any Error> {
        let client = self
        return AsyncThrowingStream { continuation in
            let task = Task {
                var known: [String: UnstructuredObject] = [:]
                var resourceVersion: String? = nil
                var backoff = Duration.milliseconds(100)
                while !Task.isCancelled {
                    do {
                        if resourceVersion == nil {
                            let list = try await client.listAll(
                                resource, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector)
                            let current = Dictionary(list.items.map { (Self.key($0), $0) }, uniquingKeysWith: { $1 })
                            for (key, object) in current where known[key]?.resourceVersion != object.resourceVersion {
                                continuation.yield(KubernetesWatchEvent(kind: known[key] == nil ? .added : .modified, object: object))
                            }
                            for (key, object) in known where current[key] == nil {
                                continuation.yield(KubernetesWatchEvent(kind: .deleted, object: object))
                            }
                            known = current
                            resourceVersion = list.resourceVersion
                        }
                        let stream = client.watch(
                            resource, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
                            resourceVersion: resourceVersion, timeoutSeconds: watchTimeoutSeconds
                        )
                        for try await event in stream {
                            backoff = .milliseconds(100)
                            if let version = event.object.resourceVersion { resourceVersion = version }
                            guard event.kind != .bookmark else { continue }
                            let key = Self.key(event.object)
                            if event.kind == .deleted { known[key] = nil } else { known[key] = event.object }
                            continuation.yield(event)
                        }
                        // A clean end (server timeout, restart): resume where we were.
                    } catch let error as KubernetesError where error.isGone {
                        resourceVersion = nil
                    } catch {
                        if Task.isCancelled { break }
                        client.logger.debug("watch interrupted, retrying", metadata: ["resource": "\(resource.plural)", "error": "\(error)"])
                        try? await Sleep.for(backoff)
                        backoff = min(backoff * 2, maxBackoff)
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private static func key(_ object: UnstructuredObject) -> String {
        "\(object.namespace ?? "")/\(object.name ?? "")"
    }

    /// Waits, without polling, until the named object satisfies `condition` (called with nil
    /// while it does not exist, so deletion can be awaited too). Returns its last state.
    @discardableResult
    public func waitUntil(
        _ resource: ResourceDescriptor, namespace: String? = nil, name: String, timeout: Duration,
        _ condition: @escaping @Sendable (UnstructuredObject?) -> Bool
    ) async throws -> UnstructuredObject? {
        let namespace = resource.namespaced ? (namespace ?? configuration.namespace) : nil
        let selector = "metadata.name=\(name)"
        do {
            return try await withDeadline(timeout) {
                var backoff = Duration.milliseconds(100)
                while true {
                    do {
                        // The state and the watch's starting point come from one list, so no
                        // change can fall between them. (A GET beside the watch's own list let a
                        // deletion in between go unseen: the GET saw the object, the list did
                        // not, and nothing ever said it went.)
                        let list = try await listAll(resource, namespace: namespace, fieldSelector: selector)
                        var state = list.items.first
                        if condition(state) { return state }
                        let events = watch(resource, namespace: namespace, fieldSelector: selector, resourceVersion: list.resourceVersion)
                        for try await event in events where event.kind != .bookmark {
                            state = event.kind == .deleted ? nil : event.object
                            if condition(state) { return state }
                        }
                        // The watch ended cleanly (a server timeout): look again.
                    } catch let error as KubernetesError where error.isGone {
                        continue
                    } catch {
                        if Task.isCancelled { throw error }
                        logger.debug("wait interrupted, retrying", metadata: ["resource": "\(resource.plural)", "error": "\(error)"])
                        try await Sleep.for(backoff)
                        backoff = min(backoff * 2, .seconds(5))
                    }
                }
            }
        } catch is DeadlineExceeded {
            throw KubernetesError(
                code: 0, reason: "Timeout", message: "\(resource.plural)/\(name) did not reach the expected state within \(timeout)")
        }
    }
}
