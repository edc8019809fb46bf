import BrokerWire
import Foundation
import Logging
import NIOConcurrencyHelpers

/// Registrations as files in a directory the deploy API's local runtime writes (one
/// `<user key>.json` per server, replaced atomically, removed at termination). Read again
/// when the directory changes (its modification time moves with every rename and removal),
/// which is looked at (one `stat`) at every handshake, every 50 ms while calls are routed, and
/// every second: a withdrawn key stops working at once for new connections, within 50 ms for
/// open ones.
///
/// The directory decides who may route whose calls, so it must not be writable by anyone
/// but its owner: start-up fails otherwise.
final class DirectoryServerKeys: ServerKeys {
    private struct State {
        var table = ServerKeyTable()
        var generation: UInt64 = 0
        /// The directory's modification time (seconds, nanoseconds) at the last read.
        var modified: [Int]?
        var lastLook = ContinuousClock.now
    }

    let directory: URL
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    init(directory: URL, logger: Logger) throws {
        self.directory = directory
        self.logger = logger
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path)
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard mode & 0o022 == 0 else {
            throw ServerKeysError("\(directory.path) is writable by others (mode \(String(mode, radix: 8))): anyone could register a server key")
        }
        read(force: true)
    }

    func owner(of publicKey: String) -> String? { state.withLockedValue { $0.table.owners[publicKey] } }
    func hasKey(for sub: String) -> Bool { state.withLockedValue { $0.table.keys[sub] != nil } }
    var generation: UInt64 { state.withLockedValue(\.generation) }
    var isSynced: Bool { true }
    var sourceDescription: String { "directory \(directory.path)" }

    /// Routed calls look at most every 50 ms (a `stat` per call would cost the broker a
    /// measurable share of its throughput); handshakes always look.
    static let lookInterval: Duration = .milliseconds(50)

    func refresh(immediately: Bool) {
        if !immediately {
            let now = ContinuousClock.now
            let due = state.withLockedValue { state -> Bool in
                guard now - state.lastLook >= Self.lookInterval else { return false }
                state.lastLook = now
                return true
            }
            guard due else { return }
        }
        read(force: false)
    }

    /// Reads the directory if it changed since the last read (nobody but its owner can
    /// change it, so an impostor's retries cost one `stat` each).
    func read(force: Bool) {
        var status = stat()
        let modified = stat(directory.path, &status) == 0 ? [Int(status.st_mtim.tv_sec), status.st_mtim.tv_nsec] : nil
        let due = state.withLockedValue { state -> Bool in
            guard force || modified != state.modified else { return false }
            state.modified = modified
            return true
        }
        guard due else { return }
        let table = ServerKeyTable(registrations())
        state.withLockedValue { state in
            guard state.table != table else { return }
            state.table = table
            state.generation &+= 1
        }
    }

    private func registrations() -> [ServerKeyRegistration] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let decoder = JSONDecoder()
        return names.sorted().compactMap { name in
            guard name.hasSuffix(".json"), let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else {
                return nil
            }
            guard let registration = try? decoder.decode(ServerKeyRegistration.self, from: data), CurveKeyPair.isKey(registration.publicKey) else {
                logger.warning("ignoring an unreadable server key registration", metadata: ["file": "\(name)"])
                return nil
            }
            return registration
        }
    }
}

struct ServerKeysError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
