import Essentials
import Foundation

/// A request body read the way upstream's Go decoder read it (docs/specs/pods-backend.md §2.1):
/// keys match case-insensitively, unknown keys are ignored, a field of the wrong type is
/// skipped, and a body that is not JSON at all counts as empty.
struct LenientBody: Sendable {
    private let fields: [String: JSONValue]

    init(_ bytes: [UInt8]) {
        let object = (try? JSONValue.decode(Data(bytes)))?.objectValue ?? [:]
        // Go takes the last of several keys that fold to the same name.
        var folded: [String: JSONValue] = [:]
        for (key, value) in object.sorted(by: { $0.key < $1.key }) { folded[key.lowercased()] = value }
        fields = folded
    }

    func string(_ key: String) -> String {
        fields[key.lowercased()]?.stringValue ?? ""
    }

    func int(_ key: String) -> Int? {
        fields[key.lowercased()]?.doubleValue.flatMap { $0.rounded() == $0 ? Int(exactly: $0) : nil }
    }

    /// `settings`: container name → env name → value. null, `[]` (PHP's empty array) and
    /// anything not an object mean none; numbers and booleans are taken as their text.
    var settings: [String: [String: String]] {
        guard let containers = fields["settings"]?.objectValue else { return [:] }
        var result: [String: [String: String]] = [:]
        for (container, values) in containers {
            guard let values = values.objectValue else { continue }
            result[container] = values.compactMapValues { value in
                switch value {
                case .string(let text): text
                case .number, .bool: value.scalarDescription.map { $0 == "True" ? "true" : $0 == "False" ? "false" : $0 }
                default: nil
                }
            }
        }
        return result
    }
}
