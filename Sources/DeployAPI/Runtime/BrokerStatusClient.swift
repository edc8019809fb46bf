import BrokerWire
import Essentials
import Foundation

/// Asks the broker's HTTP side port (`GET /servers/{identity}`) whether a user's server is
/// connected and when it last ran a call. Optional: without `REXEC_BROKER_STATUS_URL` the
/// deploy API knows only what its runtime reports.
struct BrokerStatusClient: Sendable {
    let broker: JSONUpstream

    init(baseURL: URL, timeout: Duration = .seconds(2)) {
        broker = JSONUpstream(base: baseURL.absoluteString, timeout: timeout, answerLimit: 64 << 10)
    }

    /// The server's state, or nil if the broker has not heard from it.
    func server(_ identity: String) async throws -> BrokerServerState? {
        let escaped = identity.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? identity
        let answer: UpstreamAnswer
        do {
            answer = try await broker.call(.GET, "servers/" + escaped)
        } catch {
            throw RuntimeError(kind: .upstream, message: "the broker's status endpoint: \(error)")
        }
        switch answer.status {
        case 200:
            guard let state = answer.decode(BrokerServerState.self) else {
                throw RuntimeError(kind: .upstream, message: "the broker's status answer is not understood")
            }
            return state
        case 404:
            return nil
        default:
            throw RuntimeError(kind: .upstream, message: "the broker's status endpoint answered HTTP \(answer.status)")
        }
    }
}
