import Foundation
import ZeroMQ

/// Hands work to the routing thread from any thread or task: a locked queue, plus a one-byte
/// wake-up over an inproc PAIR that the routing thread polls beside its network sockets.
/// ZeroMQ sockets are not thread-safe, so the sending end is only touched under the lock.
final class RoutingMailbox: @unchecked Sendable {
    enum Letter {
        case tokenResolved(token: String, outcome: TokenOutcome)
        case stop
    }

    private let lock = NSLock()
    private var letters: [Letter] = []
    private var closed = false
    private let sender: ZMQSocket
    /// The routing thread polls this one.
    let receiver: ZMQSocket

    init(context: ZMQContext) throws {
        let address = "inproc://rexec-broker-mailbox-\(UUID().uuidString)"
        receiver = try ZMQSocket(context: context, kind: .pair)
        try receiver.bind(address)
        sender = try ZMQSocket(context: context, kind: .pair)
        try sender.connect(address)
    }

    func post(_ letter: Letter) {
        lock.lock()
        defer { lock.unlock() }
        // A validation finishing after shutdown has nobody to tell.
        guard !closed else { return }
        letters.append(letter)
        // One wake-up per batch: the routing thread takes everything queued when it wakes.
        if letters.count == 1 {
            try? sender.send([[1]], dontWait: true)
        }
    }

    /// Everything posted so far, in order; called by the routing thread when woken.
    func takeAll() -> [Letter] {
        while (try? receiver.tryReceive()) != nil {}
        lock.lock()
        defer { lock.unlock() }
        let taken = letters
        letters.removeAll(keepingCapacity: true)
        return taken
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        sender.close()
        receiver.close()
    }
}
