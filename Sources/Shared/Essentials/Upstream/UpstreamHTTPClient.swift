import AsyncHTTPClient
import NIOCore
import NIOPosix

/// The HTTP client our services use for upstreams (IdP, deploy API, Kubernetes).
///
/// Unlike `HTTPClient.shared`, connection establishment is bounded: a down upstream fails
/// within `connect` (2 s) instead of retrying until the request deadline, so an IdP outage
/// becomes a quick 502, not a 10-second hang on every request.
public enum UpstreamHTTPClient {
    public static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(2)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()
}
