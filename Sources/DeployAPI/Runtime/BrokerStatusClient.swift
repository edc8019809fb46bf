import AsyncHTTPClient
import BrokerWire
import Essentials
import Foundation
import NIOCore
import RexecWire
import ServiceKit

/// Asks the broker's HTTP side port (`GET /servers/{identity}`) whether a user's server is
/// connected and when it last ran a call. Optional: without `REXEC_BROKER_STATUS_URL` the
/// deploy API knows only what its runtime reports.
struct BrokerStatusClient: Sendable {
    let baseURL: URL
    var timeout: Duration = .seconds(2)
    var httpClient: HTTPClient = UpstreamHTTPClient.shared

    /// The server's state, or nil if the broker has not heard from it.
    func server(_ identity: String) async throws -> BrokerServerState? {
        let escaped = identity.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? identity
        let url = baseURL.appendingPathString("servers/" + escaped)
        let response = try await httpClient.execute(HTTPClientRequest(url: url), timeout: .nanoseconds(timeout.nanoseconds))
        let body = try await response.body.collect(upTo: 64 * 1024)
        switch response.status.code {
        case 200:
            do {
                return try WireJSON.decode(BrokerServerState.self, from: body.readableBytesView)
            } catch {
                throw RuntimeError(kind: .upstream, message: "the broker's status answer is not understood")
            }
        case 404:
            return nil
        default:
            throw RuntimeError(kind: .upstream, message: "the broker's status endpoint answered HTTP \(response.status.code)")
        }
    }
}
