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
        let peer = JSONUpstream(base: baseURL.absoluteString, timeout: .seconds(2), answerLimit: 64 << 10, http: httpClient)
        return ReadinessCheck(name: name) {
            // Read whole (not dropped unread), so the connection goes back to the pool.
            let answer = try await peer.call(.GET, "healthz")
            guard answer.status == 200 else { throw DependencyUnhealthy(url: peer.base.appendingPathString("healthz"), status: answer.status) }
        }
    }
}
