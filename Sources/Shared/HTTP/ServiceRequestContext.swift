import Hummingbird
import Logging

/// The request context every service uses.
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `X-Correlation-ID` as received (when well-formed) or generated.
    public var correlationID: String = ""
    /// The path as the client sent it, before any root-path prefix was removed.
    public var requestPath: String = ""

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// ``BodyLimitMiddleware`` enforces the configured limit before decoding happens.
    public var maxUploadSize: Int { .max }
}
