import Hummingbird
import HummingbirdCore
import NIOConcurrencyHelpers
import NIOCore

/// The service's own routes, callable from inside the service: a request made here goes
/// through the same router, middleware, access check and handler as one from the network
/// (its access log line, its metrics, its error body), so a feature that acts for a caller
/// (the MCP server's tools) cannot do more than the caller could over HTTP. Bound once the
/// router is built (``buildApplication(_:logger:onListening:)``); before that, calls fail.
public final class InProcessCalls<Context: ServiceRequestContext>: Sendable {
    private struct Bound: Sendable {
        let responder: RouterResponder<Context>
        let routes: [Route<Context>]
    }

    private let bound = NIOLockedValueBox<Bound?>(nil)

    public init() {}

    func bind(responder: RouterResponder<Context>, routes: [Route<Context>]) {
        bound.withLockedValue { $0 = Bound(responder: responder, routes: routes) }
    }

    /// Every route the service answers (empty until bound).
    public var routes: [Route<Context>] { bound.withLockedValue { $0?.routes ?? [] } }

    /// The answer to `request` (its path without the root path), made in `context`'s stead:
    /// the caller's context is copied (its connection, its logger) and the router fills in the
    /// route's parameters; the identity is the one the request's own credentials prove.
    public func respond(to request: Request, as context: Context) async throws -> Response {
        guard let responder = bound.withLockedValue({ $0?.responder }) else {
            throw HTTPError(.serviceUnavailable, message: "The service is still starting.")
        }
        var inner = context
        inner.serviceStorage.requestPath = request.uri.path
        return try await responder.respond(to: request, context: inner)
    }
}

extension Response {
    /// The body, read whole up to `limit` bytes (a longer one is cut there and `truncated`).
    public func collectBody(upTo limit: Int) async throws -> (bytes: ByteBuffer, truncated: Bool) {
        let collector = BodyCollector(limit: limit)
        try await body.write(collector.writer)
        return collector.result
    }
}

/// Gathers a response body written by its handler.
private final class BodyCollector: @unchecked Sendable {
    // Written only by the body's one writer, in order; read after it finished.
    var buffer = ByteBuffer()
    var truncated = false
    let limit: Int

    init(limit: Int) { self.limit = limit }

    var result: (bytes: ByteBuffer, truncated: Bool) { (buffer, truncated) }

    var writer: any ResponseBodyWriter { Writer(collector: self) }

    struct Writer: ResponseBodyWriter {
        let collector: BodyCollector

        mutating func write(_ part: ByteBuffer) async throws {
            var part = part
            let room = collector.limit - collector.buffer.readableBytes
            if part.readableBytes > room {
                collector.truncated = true
                part = part.getSlice(at: part.readerIndex, length: max(0, room)) ?? ByteBuffer()
            }
            collector.buffer.writeBuffer(&part)
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
