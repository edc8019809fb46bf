import Logging
import NIOConcurrencyHelpers

/// Collects every log line (message and metadata) so tests can check what was logged.
public final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    private let entries = NIOLockedValueBox<[[String: String]]>([])

    public init() {}

    public var text: String { lines.withLockedValue { $0.joined(separator: "\n") } }

    /// Each record as strings: `message`, `level` and every metadata key (structured lines,
    /// such as the policy's audit).
    public var records: [[String: String]] { entries.withLockedValue { $0 } }

    public func logger(label: String = "test") -> Logger {
        var logger = Logger(label: label) { label in Handler(label: label, capture: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String, record: [String: String]) {
        lines.withLockedValue { $0.append(line) }
        entries.withLockedValue { $0.append(record) }
    }

    private struct Handler: LogHandler {
        let label: String
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            var record = merged.mapValues { "\($0)" }
            record["message"] = "\(event.message)"
            record["level"] = "\(event.level)"
            capture.append("\(event.level) \(label) \(event.message) \(merged)", record: record)
        }
    }
}
