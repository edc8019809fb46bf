import AsyncHTTPClient
import Foundation
import NIOCore
import Shared

/// Asks the broker's HTTP side port (`GET /servers/{identity}`) whether a user's server is
/// connected and when it last ran a call. Optional: without `REXEC_BROKER_STATUS_URL` the
/// deploy API knows only what its runtime reports.
struct BrokerStatusClient: Sendable {
    struct ServerState: Sendable, Equatable {
        /// `live`, `stale` or `unreachable`.
        let state: String
        let secondsSinceLastSeen: Double
        /// nil if the server has not run a call since the broker started.
        let secondsSinceLastCall: Double?

        var connected: Bool { state == "live" }
    }

    let baseURL: URL
    var timeout: Duration = .seconds(2)
    var httpClient: HTTPClient = UpstreamHTTPClient.shared

    /// The server's state, or nil if the broker has not heard from it.
    func server(_ identity: String) async throws -> ServerState? {
        let escaped = identity.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? identity
        let url = baseURL.appendingPathString("servers/" + escaped)
        let response = try await httpClient.execute(HTTPClientRequest(url: url), timeout: .nanoseconds(timeout.nanoseconds))
        let body = try await response.body.collect(upTo: 64 * 1024)
        switch response.status.code {
        case 200:
            guard let object = try? JSONValue.decode(Data(buffer: body)), let state = object["state"]?.stringValue else {
                throw RuntimeError(kind: .upstream, message: "the broker's status answer is not understood")
            }
            return ServerState(
                state: state, secondsSinceLastSeen: object["seconds_since_last_seen"]?.doubleValue ?? 0,
                secondsSinceLastCall: object["seconds_since_last_call"]?.doubleValue
            )
        case 404:
            return nil
        default:
            throw RuntimeError(kind: .upstream, message: "the broker's status endpoint answered HTTP \(response.status.code)")
        }
    }
}
