import Hummingbird
import NIOCore

/// What every request context of our services carries, whatever else a service adds (the
/// authenticated identity, for example): the correlation id, the path as the client sent
/// it, and the connected peer. The shared middleware and routes work on any such context.
public protocol ServiceRequestContext: RequestContext, RemoteAddressRequestContext
where Source == ApplicationRequestContextSource {
    /// How this service's routes say who may call them (``Route/access``).
    associatedtype Access: RouteAccessRule = NamedAccess
    var serviceStorage: ServiceContextStorage { get set }
}

/// The fields behind ``ServiceRequestContext``, stored once per context type.
public struct ServiceContextStorage: Sendable {
    /// `X-Correlation-ID` as received (when well-formed) or generated.
    public var correlationID: String = ""
    /// The path as the client sent it, before any root-path prefix was removed.
    public var requestPath: String = ""
    /// The connected peer (the pods backend's silo address, before any trusted proxy).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.remoteAddress = source.channel.remoteAddress
    }
}

extension ServiceRequestContext {
    public var correlationID: String {
        get { serviceStorage.correlationID }
        set { serviceStorage.correlationID = newValue }
    }

    public var requestPath: String {
        get { serviceStorage.requestPath }
        set { serviceStorage.requestPath = newValue }
    }

    public var remoteAddress: SocketAddress? { serviceStorage.remoteAddress }

    /// ``BodyLimitMiddleware`` enforces the configured limit before decoding happens.
    public var maxUploadSize: Int { .max }
}

/// The context of a service whose routes need nobody's identity (the broker's side port,
/// the development IdP, kube-sim).
public struct BasicServiceRequestContext: ServiceRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var serviceStorage: ServiceContextStorage

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.serviceStorage = .init(source: source)
    }
}
