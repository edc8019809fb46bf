import Essentials
import Foundation
import Kubernetes
import ServiceKit

/// The kbatch-compatible jobs API (docs/specs/anchors-platforms.md §A): where it is served and
/// what the admin configures. Upstream's names where upstream had the setting.
struct KbatchSettings: Sendable {
    /// `KBATCH_ENABLED` (default true).
    var enabled: Bool
    /// `KBATCH_PREFIX`: the path the API is served under (default `/kbatch`; the kbatch client
    /// joins every call to `--kbatch-url`, so any prefix works).
    var prefix: String
    /// `KBATCH_PROFILE_FILE`, read at start-up: served as JSON by `GET /profiles/` (`{}` without one).
    var profiles: JSONValue

    static func load(from source: ConfigurationSource) throws -> KbatchSettings {
        let prefix = source.string("KBATCH_PREFIX", default: "/kbatch")
        let segments = prefix == "/" ? [] : prefix.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard prefix.hasPrefix("/"),
            segments.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) } })
        else {
            throw ConfigurationError(variable: "KBATCH_PREFIX", value: prefix, expected: "a path such as /kbatch (letters, digits, -, _ and .)")
        }
        var profiles: JSONValue = [:]
        if let path = source.optionalString("KBATCH_PROFILE_FILE") {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigurationError(variable: "KBATCH_PROFILE_FILE", value: path, expected: "a readable YAML file of profiles")
            }
            do {
                profiles = try YAMLDocument.decodeSingle(text)
            } catch {
                throw ConfigurationError(variable: "KBATCH_PROFILE_FILE", value: path, expected: "YAML: \(error)")
            }
            guard profiles.objectValue != nil else {
                throw ConfigurationError(variable: "KBATCH_PROFILE_FILE", value: path, expected: "a mapping of profile names to profiles")
            }
        }
        return KbatchSettings(
            enabled: try source.bool("KBATCH_ENABLED", default: true), prefix: prefix == "/" ? "" : prefix, profiles: profiles)
    }
}
