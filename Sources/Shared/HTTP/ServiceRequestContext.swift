import Hummingbird
import Logging
import NIOCore

/// The request context every service uses.
public struct ServiceRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `X-Correlation-ID` as received (when well-formed) or generated.
    public var correlationID: String = ""
    /// The path as the client sent it, before any root-path prefix was removed.
    public var requestPath: String = ""

    /// The connected peer (the pods backend's silo address, before any trusted proxy).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// ``BodyLimitMiddleware`` enforces the configured limit before decoding happens.
    public var maxUploadSize: Int { .max }
}
