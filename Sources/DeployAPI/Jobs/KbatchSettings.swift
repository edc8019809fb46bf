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
    /// What every submission is rewritten with (docs/specs/anchors-platforms.md §A.4–A.6).
    var submission = KbatchSubmission.Rules()

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
        var rules = KbatchSubmission.Rules()
        rules.ttlSecondsAfterFinished = try source.integer("KBATCH_JOB_TTL_SECONDS_AFTER_FINISHED", default: 3600, range: 0...31_536_000)
        rules.injectUserToken = try source.bool("KBATCH_INJECT_USER_TOKEN", default: false)
        rules.maxContainers = try source.integer("KBATCH_MAX_CONTAINERS", default: 1, range: 1...20)
        if let text = source.optionalString("KBATCH_JOB_EXTRA_ENV") {
            let object = (try? JSONValue.decode(Data(text.utf8)))?.objectValue
            let pairs = (object ?? [:]).sorted { $0.key < $1.key }.compactMap { key, value in value.stringValue.map { (name: key, value: $0) } }
            guard let object, pairs.count == object.count else {
                // The value is not echoed: env values may be secrets.
                throw ConfigurationError(variable: "KBATCH_JOB_EXTRA_ENV", value: "(not shown)", expected: "a JSON object of names to string values")
            }
            rules.extraEnv = pairs
        }
        if let path = source.optionalString("KBATCH_JOB_TEMPLATE_FILE") {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), let template = try? YAMLDocument.decodeSingle(text),
                template.objectValue != nil
            else {
                throw ConfigurationError(variable: "KBATCH_JOB_TEMPLATE_FILE", value: path, expected: "a readable YAML Job")
            }
            rules.jobTemplate = KubernetesCase.camel(template)
        }
        return KbatchSettings(
            enabled: try source.bool("KBATCH_ENABLED", default: true), prefix: prefix == "/" ? "" : prefix, profiles: profiles, submission: rules)
    }
}
