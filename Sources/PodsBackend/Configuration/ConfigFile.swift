import Foundation
import Yams

/// upstream's `config.yaml`, read as the lowest layer of settings: each key `someKey` is the
/// default of the environment variable `BACKEND_SOMEKEY`, which overrides it (for every key,
/// including keys the file leaves out: upstream's viper could not do that, docs/specs/pods-backend.md W23).
enum ConfigFile {
    struct Invalid: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "config file \(path): \(reason)" }
    }

    /// The file given (`BACKEND_CONFIG_FILE`, which must exist), else upstream's: "." then "..".
    static func locate(explicit: String?) -> String? {
        if let explicit { return explicit }
        return ["config.yaml", "../config.yaml"].first { FileManager.default.fileExists(atPath: $0) }
    }

    /// `BACKEND_<KEY>` → value. Scalars as text; lists and maps (`hostnameList`) as JSON.
    static func load(path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw Invalid(path: path, reason: "cannot be read") }
        let parsed: Any?
        do {
            parsed = try Yams.load(yaml: String(decoding: data, as: UTF8.self))
        } catch {
            throw Invalid(path: path, reason: "not valid YAML (\(error))")
        }
        guard let parsed else { return [:] }
        guard let mapping = parsed as? [String: Any] else { throw Invalid(path: path, reason: "expected a mapping of settings") }
        var values: [String: String] = [:]
        for (key, value) in mapping {
            values["BACKEND_" + key.uppercased()] = try text(value, key: key, path: path)
        }
        return values
    }

    private static func text(_ value: Any, key: String, path: String) throws -> String {
        switch value {
        case let string as String: return string
        case let bool as Bool: return bool ? "true" : "false"
        case let int as Int: return String(int)
        case let double as Double: return String(double)
        case is NSNull: return ""
        default:
            guard JSONSerialization.isValidJSONObject(value), let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
            else {
                throw Invalid(path: path, reason: "key \(key) has a value that is neither a scalar, a list nor a mapping")
            }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
