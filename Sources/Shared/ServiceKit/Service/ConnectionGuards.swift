import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// What every HTTP service's connections get before Hummingbird sees a request (an internet-
/// facing service's defences at the connection level; docs/reliability.md):
///
/// - ``RequestHeadDeadline``: a connection must finish its first request head within the
///   header timeout, or it gets a 408 (or, if it sent nothing, is closed): slow-loris clients
///   that trickle headers no longer hold connections forever.
/// - ``ParseErrorResponder``: a request the HTTP parser refuses (headers over 80 KiB, a URL
///   too long, malformed) gets a 431 or 400 with a JSON body instead of a silent close.
enum ConnectionGuards {
    static func install(on channel: any Channel, headerTimeout: Duration) throws {
        let operations = channel.pipeline.syncOperations
        try operations.addHandler(RequestHeadDeadline(timeout: .nanoseconds(Int64(headerTimeout.nanoseconds))), position: .first)
        let decoder = try operations.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
        try operations.addHandler(ParseErrorResponder(), position: .after(decoder.handler))
    }
}

/// Closes a connection whose first request head has not fully arrived within `timeout` of
/// the connection opening: with a 408 if some of it came, silently if nothing did. Once the
/// head is complete (`CRLF CRLF` seen) it removes itself; later requests on the connection
/// are bounded by the request timeout middleware.
final class RequestHeadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let answer = """
        HTTP/1.1 408 Request Timeout\r
        Content-Type: application/json\r
        Content-Length: 59\r
        Connection: close\r
        \r
        {"detail":"The request's headers did not arrive in time."}
        """

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var received = false
    /// The last bytes seen, so a `CRLF CRLF` split across reads is found.
    private var tail: [UInt8] = []

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received = true
        let bytes = tail + Array(Self.unwrapInboundIn(data).readableBytesView)
        let complete = bytes.count >= 4 && (0...(bytes.count - 4)).contains { bytes[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) }
        context.fireChannelRead(data)
        if complete {
            timer?.cancel()
            timer = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } else {
            tail = Array(bytes.suffix(3))
        }
    }

    private func arm(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            guard context.channel.isActive else { return }
            if received {
                let buffer = context.channel.allocator.buffer(string: Self.answer)
                context.writeAndFlush(Self.wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        }
    }
}

/// Answers a request the HTTP parser refused, which Hummingbird would otherwise end with a
/// bare close: 431 for headers (or a request line) over the decoder's limits, else 400.
final class ParseErrorResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var answered = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError, !answered {
            answered = true
            let tooLarge = parserError == .headerOverflow
            let detail =
                tooLarge
                ? "The request line or headers are too large (80 KiB at most)." : "The request could not be read as HTTP/1.1 (\(parserError))."
            var body = context.channel.allocator.buffer(capacity: detail.utf8.count + 16)
            body.writeString("{\"detail\":\"\(detail)\"}")
            let head = HTTPResponseHead(
                version: .http1_1, status: tooLarge ? .requestHeaderFieldsTooLarge : .badRequest,
                headers: HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(body.readableBytes)"), ("Connection", "close")]))
            context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.fireErrorCaught(error)
    }
}

/// A child channel with ``ConnectionGuards`` around another.
struct GuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let headerTimeout: Duration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            try ConnectionGuards.install(on: channel, headerTimeout: headerTimeout)
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with ``ConnectionGuards``: what every service without WebSocket upgrades runs.
    public static func guardedHTTP1(headerTimeout: Duration) -> HTTPServerBuilder {
        .init { responder in GuardedChannel(base: HTTP1Channel(responder: responder), headerTimeout: headerTimeout) }
    }
}
