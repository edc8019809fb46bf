import AsyncHTTPClient
import NIOCore
import NIOHTTP1
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

    /// A client for passing bodies through (S3 transfers, the services proxy), made once per
    /// use and kept for the process's life like `shared`: redirects are not followed (a
    /// signed or authorized request must not be replayed elsewhere), bodies are passed on as
    /// sent (no decompression), and a body that stops moving for `readTimeout` fails, however
    /// long the whole transfer takes.
    public static func passThrough(readTimeout: TimeAmount, connectTimeout: TimeAmount = .seconds(5)) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = connectTimeout
        configuration.timeout.read = readTimeout
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }
}
