import Crypto
import Essentials
import Foundation

/// A policy in force: compiled, with where it came from, the SHA-256 of its bytes (what
/// `GET /policy` and the EP's `/status/` report, so operators can tell which file a replica
/// runs) and when it was loaded.
public struct LoadedPolicy: Sendable {
    public let policy: AccessPolicy
    /// The file's path, or ``DefaultPolicy/name``.
    public let source: String
    /// Lower-case hex SHA-256 of the bytes parsed.
    public let sha256: String
    public let loadedAt: Date
    /// Entities, modes and operations the file leaves out (denied).
    public let warnings: [String]

    public init(bytes: some Collection<UInt8>, source: String, loadedAt: Date = Date()) throws(PolicyError) {
        let bytes = Array(bytes)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PolicyError(file: source, message: "not UTF-8 text")
        }
        let parsed = try PolicyParser(file: source).parse(text)
        self.policy = parsed.policy
        self.source = source
        self.sha256 = Self.digest(bytes)
        self.loadedAt = loadedAt
        self.warnings = parsed.warnings
    }

    /// Reads and parses `path`.
    public static func read(file path: String) throws(PolicyError) -> LoadedPolicy {
        try LoadedPolicy(bytes: try bytes(of: path), source: path)
    }

    /// The file's bytes, or why it cannot be read.
    static func bytes(of path: String) throws(PolicyError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PolicyError(file: path, message: "cannot be read (\((error as NSError).localizedDescription))")
        }
    }

    /// ``DefaultPolicy``; its parse is checked by the tests, so it cannot fail at run time.
    public static func builtIn() -> LoadedPolicy {
        do {
            return try LoadedPolicy(bytes: Array(DefaultPolicy.text.utf8), source: DefaultPolicy.name)
        } catch {
            preconditionFailure("the built-in policy does not parse: \(error)")
        }
    }

    static func digest(_ bytes: some Collection<UInt8>) -> String {
        SHA256.hash(data: Array(bytes)).hexString
    }

    /// `GET /policy`: `{source, sha256, loaded_at, policy: {entity: {mode: {operation: [roles]}}}}`.
    public var json: JSONValue {
        var entities: [String: JSONValue] = [:]
        for (entity, modes) in policy.rules {
            var byMode: [String: JSONValue] = [:]
            for (mode, operations) in modes {
                var byOperation: [String: JSONValue] = [:]
                for (operation, rule) in operations { byOperation[operation.rawValue] = .array(rule.roles.map { .string($0.rawValue) }) }
                byMode[mode.rawValue] = .object(byOperation)
            }
            entities[entity.rawValue] = .object(byMode)
        }
        return [
            "source": .string(source), "sha256": .string(sha256), "loaded_at": .string(Timestamp.isoUTC(loadedAt)),
            "policy": .object(entities),
        ]
    }
}
