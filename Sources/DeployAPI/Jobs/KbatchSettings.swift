import Essentials
import Foundation
import Kubernetes
import ServiceKit

/// Pod Security Admission levels (`pod-security.kubernetes.io/enforce`).
enum PodSecurityLevel: String, CaseIterable, Sendable {
    case privileged, baseline, restricted
}

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
    /// What each user's namespace gets besides its jobs: what upstream leaves to the admin.
    var namespaces = NamespaceRules()
    /// Bounds of runs on the local runtime.
    var local = LocalRuns()

    struct LocalRuns: Sendable {
        /// `KBATCH_LOCAL_TIMEOUT_SECONDS`: the longest a pod runs (a Job's shorter
        /// `activeDeadlineSeconds` wins).
        var timeout: Duration = .seconds(3600)
        /// `KBATCH_LOCAL_LOG_LIMIT_BYTES`: a longer log stops the run.
        var logLimitBytes = 10 << 20
        /// `KBATCH_LOCAL_CODE_LIMIT_BYTES`: the most the shipped code may unpack to.
        var codeLimitBytes = 100 << 20
    }

    struct NamespaceRules: Sendable {
        /// `KBATCH_POD_SECURITY_LEVEL` (enforced; `restricted` is always warned about).
        var podSecurityLevel = "baseline"
        /// `KBATCH_RESOURCE_QUOTA`: a ResourceQuota's `hard` map, JSON (none when unset).
        var resourceQuota: JSONValue?
        /// `KBATCH_LIMIT_RANGE`: a LimitRange container item (`default`, `defaultRequest`, `max`), JSON.
        var limitRange: JSONValue? = [
            "type": "Container", "default": ["cpu": "1", "memory": "2Gi"], "defaultRequest": ["cpu": "100m", "memory": "256Mi"],
        ]
        /// `KBATCH_MAX_ACTIVE_JOBS_PER_USER`: jobs not yet finished a user may have (0: no cap).
        var maxActiveJobs = 20
        /// `KBATCH_NAMESPACE_ROLE`: a ClusterRole bound (RoleBinding `kbatch-deploy-api`) in each
        /// user's namespace to `serviceAccount`, the deploy API's rights there; unset, the deploy
        /// API needs those rights cluster-wide.
        var namespaceRole: String?
        /// `KBATCH_SERVICE_ACCOUNT`: the deploy API's service account, `NAMESPACE/NAME`.
        var serviceAccount: (namespace: String, name: String)?
    }

    static func load(from source: ConfigurationSource) throws -> KbatchSettings {
        let prefix = source.string("KBATCH_PREFIX", default: "/kbatch")
        let segments = prefix == "/" ? [] : prefix.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard prefix.hasPrefix("/"),
            segments.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) } })
        else {
            throw ConfigurationError(variable: "KBATCH_PREFIX", value: prefix, expected: "a path such as /kbatch (letters, digits, -, _ and .)")
        }
        let profiles = try yamlMapping(source, "KBATCH_PROFILE_FILE", of: "profiles", expected: "a mapping of profile names to profiles") ?? [:]
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
        rules.jobTemplate = try yamlMapping(source, "KBATCH_JOB_TEMPLATE_FILE", of: "a Job", expected: "a YAML Job").map(KubernetesCase.camel)
        var namespaces = NamespaceRules()
        namespaces.podSecurityLevel = try source.choice("KBATCH_POD_SECURITY_LEVEL", default: PodSecurityLevel.baseline).rawValue
        namespaces.maxActiveJobs = try source.integer("KBATCH_MAX_ACTIVE_JOBS_PER_USER", default: 20, range: 0...100_000)
        namespaces.resourceQuota = try jsonObject(
            source, "KBATCH_RESOURCE_QUOTA", expected: "a JSON object of quota limits", default: namespaces.resourceQuota)
        namespaces.limitRange = try jsonObject(source, "KBATCH_LIMIT_RANGE", expected: "a JSON LimitRange item", default: namespaces.limitRange)
        if let role = source.optionalString("KBATCH_NAMESPACE_ROLE") {
            let account = source.optionalString("KBATCH_SERVICE_ACCOUNT") ?? ""
            let parts = account.split(separator: "/").map(String.init)
            guard !role.isEmpty, parts.count == 2, parts.allSatisfy(DNSName.isSubdomain) else {
                throw ConfigurationError(
                    variable: "KBATCH_SERVICE_ACCOUNT", value: account,
                    expected: "the deploy API's service account as NAMESPACE/NAME (KBATCH_NAMESPACE_ROLE binds its role to it)")
            }
            namespaces.namespaceRole = role
            namespaces.serviceAccount = (parts[0], parts[1])
        }
        let local = LocalRuns(
            timeout: try source.seconds("KBATCH_LOCAL_TIMEOUT_SECONDS", default: 3600, range: 1...604_800),
            logLimitBytes: try source.integer("KBATCH_LOCAL_LOG_LIMIT_BYTES", default: 10 << 20, range: 1024...(1 << 34)),
            codeLimitBytes: try source.integer("KBATCH_LOCAL_CODE_LIMIT_BYTES", default: 100 << 20, range: 1024...(1 << 34)))
        return KbatchSettings(
            enabled: try source.bool("KBATCH_ENABLED", default: true), prefix: prefix == "/" ? "" : prefix, profiles: profiles, submission: rules,
            namespaces: namespaces, local: local)
    }

    /// A YAML file named by `variable`, which must hold a mapping; nil when unset.
    private static func yamlMapping(_ source: ConfigurationSource, _ variable: String, of what: String, expected: String) throws -> JSONValue? {
        guard let path = source.optionalString(variable) else { return nil }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(variable: variable, value: path, expected: "a readable YAML file of \(what)")
        }
        let value: JSONValue
        do {
            value = try YAMLDocument.decodeSingle(text)
        } catch {
            throw ConfigurationError(variable: variable, value: path, expected: "YAML: \(error)")
        }
        guard value.objectValue != nil else { throw ConfigurationError(variable: variable, value: path, expected: expected) }
        return value
    }

    /// A JSON object given inline; `null` for none, `fallback` when unset.
    private static func jsonObject(
        _ source: ConfigurationSource, _ variable: String, expected: String, default fallback: JSONValue?
    ) throws
        -> JSONValue?
    {
        guard let text = source.optionalString(variable) else { return fallback }
        let value = try? JSONValue.decode(Data(text.utf8))
        if case .null? = value { return nil }
        guard let value, value.objectValue != nil else { throw ConfigurationError(variable: variable, value: text, expected: expected + ", or null") }
        return value
    }
}
