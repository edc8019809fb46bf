import AsyncHTTPClient
import Essentials
import Foundation

/// Another of our services' `/healthz` answered something other than 200.
public struct DependencyUnhealthy: Error, CustomStringConvertible {
    public let url: String
    public let status: Int
    public var description: String { "\(url) answered \(status)" }
}

extension ReadinessCheck {
    /// Up when another of our services answers `GET {base}/healthz` with 200 within 2 s.
    public static func service(_ name: String, baseURL: URL, httpClient: HTTPClient = UpstreamHTTPClient.shared) -> ReadinessCheck {
        let url = baseURL.appendingPathString("healthz")
        return ReadinessCheck(name: name) {
            let response = try await httpClient.execute(HTTPClientRequest(url: url), timeout: .seconds(2))
            guard response.status == .ok else { throw DependencyUnhealthy(url: url, status: Int(response.status.code)) }
        }
    }
}
