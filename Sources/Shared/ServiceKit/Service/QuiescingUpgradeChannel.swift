import HTTPTypes
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore

/// HTTP/1 with WebSocket upgrades (kube-sim's exec, the EP's services proxy), plus one thing hummingbird-websocket's channel lacks: a
/// connection that has not sent a byte yet is closed when the server shuts down.
///
/// That channel installs its quiesce handling only once the first request has been read, so
/// an idle pooled client connection (AsyncHTTPClient opens spares) held graceful shutdown
/// open forever. Plain `.http1()` servers close such connections already.
public struct QuiescingUpgradeChannel: ServerChildChannel {
    public typealias Value = HTTP1WebSocketUpgradeChannel.Value

    let base: HTTP1WebSocketUpgradeChannel

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(CloseUnusedConnectionOnQuiesce(), position: .first)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Closes the connection on a quiesce event if nothing has been read from it; otherwise
/// passes the event on to the HTTP handlers, which finish the request in flight first.
final class CloseUnusedConnectionOnQuiesce: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var used = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        used = true
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, !used {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

extension HTTPServerBuilder {
    /// `.http1WebSocketUpgrade` whose unused connections do not block graceful shutdown.
    public static func http1WebSocketUpgradeQuiescing(
        headerTimeout: Duration = HTTPServerSettings.defaultHeaderTimeout,
        shouldUpgrade:
            @escaping @Sendable (HTTPRequest, any Channel, Logger) async throws -> ShouldUpgradeResult<
                WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
            >
    ) -> HTTPServerBuilder {
        .init { responder in
            GuardedChannel(
                base: QuiescingUpgradeChannel(
                    base: HTTP1WebSocketUpgradeChannel(responder: responder, configuration: .init(), shouldUpgrade: shouldUpgrade)),
                headerTimeout: headerTimeout)
        }
    }
}
