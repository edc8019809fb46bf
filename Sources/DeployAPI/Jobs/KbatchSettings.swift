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

    // MARK: Declarations

    static let enabled = Setting<Bool>.boolean("KBATCH_ENABLED", default: true, help: "Serve the kbatch-compatible jobs API.")
    static let prefix = Setting<String>.text(
        "KBATCH_PREFIX", default: "/kbatch", accepts: "URL path",
        help: "The path the kbatch API is served under (kbatch's --kbatch-url ends with it)."
    ) { prefix in
        let segments = prefix == "/" ? [] : prefix.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        return prefix.hasPrefix("/")
            && segments.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) } })
            ? nil : "a path such as /kbatch (letters, digits, -, _ and .)"
    }
    static let profileFile = Setting<String?>.optionalText(
        "KBATCH_PROFILE_FILE", help: "A YAML mapping of profile names to profiles, served by GET /profiles/ ({} without one).", accepts: "file path")
    static let jobTTL = Setting<Int>.integer(
        "KBATCH_JOB_TTL_SECONDS_AFTER_FINISHED", default: 3600, range: 0...31_536_000,
        help: "A finished job's ttlSecondsAfterFinished unless it asks for less.")
    static let injectUserToken = Setting<Bool>.boolean(
        "KBATCH_INJECT_USER_TOKEN", default: false, help: "Give each job the submitter's token in JUPYTERHUB_API_TOKEN (kbatch-proxy's behaviour).")
    static let maxContainers = Setting<Int>.integer(
        "KBATCH_MAX_CONTAINERS", default: 1, range: 1...20, help: "Containers a submitted job may have.")
    static let extraEnv = Setting<String?>.optionalText(
        "KBATCH_JOB_EXTRA_ENV", help: "Environment added to every job's containers: a JSON object of names to string values.",
        accepts: "JSON object of strings"
    ).secret()
    static let jobTemplateFile = Setting<String?>.optionalText(
        "KBATCH_JOB_TEMPLATE_FILE", help: "A YAML Job every submission is merged into (kbatch-proxy's job_template).", accepts: "file path")
    static let podSecurityLevel = Setting<PodSecurityLevel>.choice(
        "KBATCH_POD_SECURITY_LEVEL", default: .baseline, help: "The Pod Security Standard enforced in users' job namespaces.")
    static let maxActiveJobs = Setting<Int>.integer(
        "KBATCH_MAX_ACTIVE_JOBS_PER_USER", default: 20, range: 0...100_000, help: "Unfinished jobs a user may have; 0: no cap.")
    static let resourceQuota = Setting<JSONValue?>.jsonObject(
        "KBATCH_RESOURCE_QUOTA", default: nil, accepts: "a JSON object of quota limits", help: "A ResourceQuota's hard map for each user's namespace."
    )
    static let limitRange = Setting<JSONValue?>.jsonObject(
        "KBATCH_LIMIT_RANGE", default: NamespaceRules().limitRange, accepts: "a JSON LimitRange item",
        help: "A LimitRange container item (default, defaultRequest, max) for each user's namespace.")
    static let namespaceRole = Setting<String?>.optionalText(
        "KBATCH_NAMESPACE_ROLE",
        help: "A ClusterRole bound in each user's namespace to KBATCH_SERVICE_ACCOUNT; unset, the deploy API needs its rights cluster-wide.")
    static let serviceAccount = Setting<String?>.optionalText(
        "KBATCH_SERVICE_ACCOUNT", help: "The deploy API's service account as NAMESPACE/NAME (with KBATCH_NAMESPACE_ROLE).")
    static let localTimeout = Setting<Duration>.seconds(
        "KBATCH_LOCAL_TIMEOUT_SECONDS", default: 3600, range: 1...604_800,
        help: "Local runtime: the longest a job's pod runs (a Job's shorter activeDeadlineSeconds wins).")
    static let localLogLimit = Setting<Int>.integer(
        "KBATCH_LOCAL_LOG_LIMIT_BYTES", default: 10 << 20, range: 1024...(1 << 34), help: "Local runtime: a longer log stops the run.")
    static let localCodeLimit = Setting<Int>.integer(
        "KBATCH_LOCAL_CODE_LIMIT_BYTES", default: 100 << 20, range: 1024...(1 << 34), help: "Local runtime: the most shipped code may unpack to.")

    static let settings = SettingGroup(
        "Batch jobs (kbatch)",
        [
            enabled, prefix, profileFile, jobTTL, injectUserToken, maxContainers, extraEnv, jobTemplateFile, podSecurityLevel,
            maxActiveJobs, resourceQuota, limitRange, namespaceRole, serviceAccount, localTimeout, localLogLimit, localCodeLimit,
        ])

    static func load(from source: ConfigurationSource) throws -> KbatchSettings {
        let prefix = try source.value(Self.prefix)
        let profiles = try yamlMapping(source, profileFile, of: "profiles", expected: "a mapping of profile names to profiles") ?? [:]
        var rules = KbatchSubmission.Rules()
        rules.ttlSecondsAfterFinished = try source.value(jobTTL)
        rules.injectUserToken = try source.value(injectUserToken)
        rules.maxContainers = try source.value(maxContainers)
        if let text = try source.value(extraEnv) {
            let object = (try? JSONValue.decode(Data(text.utf8)))?.objectValue
            let pairs = (object ?? [:]).sorted { $0.key < $1.key }.compactMap { key, value in value.stringValue.map { (name: key, value: $0) } }
            guard let object, pairs.count == object.count else {
                throw source.refusal(extraEnv, expected: "a JSON object of names to string values")
            }
            rules.extraEnv = pairs
        }
        rules.jobTemplate = try yamlMapping(source, jobTemplateFile, of: "a Job", expected: "a YAML Job").map(KubernetesCase.camel)
        var namespaces = NamespaceRules()
        namespaces.podSecurityLevel = try source.value(podSecurityLevel).rawValue
        namespaces.maxActiveJobs = try source.value(maxActiveJobs)
        namespaces.resourceQuota = try source.value(resourceQuota)
        namespaces.limitRange = try source.value(limitRange)
        if let role = try source.value(namespaceRole) {
            let account = try source.value(serviceAccount) ?? ""
            let parts = account.split(separator: "/").map(String.init)
            guard parts.count == 2, parts.allSatisfy(DNSName.isSubdomain) else {
                throw source.refusal(
                    serviceAccount, expected: "the deploy API's service account as NAMESPACE/NAME (KBATCH_NAMESPACE_ROLE binds its role to it)")
            }
            namespaces.namespaceRole = role
            namespaces.serviceAccount = (parts[0], parts[1])
        }
        let local = LocalRuns(
            timeout: try source.value(localTimeout), logLimitBytes: try source.value(localLogLimit),
            codeLimitBytes: try source.value(localCodeLimit))
        return KbatchSettings(
            enabled: try source.value(enabled), prefix: prefix == "/" ? "" : prefix, profiles: profiles, submission: rules,
            namespaces: namespaces, local: local)
    }

    /// A YAML file named by `variable`, which must hold a mapping; nil when unset.
    private static func yamlMapping(
        _ source: ConfigurationSource, _ setting: Setting<String?>, of what: String, expected: String
    ) throws -> JSONValue? {
        guard let path = try source.value(setting) else { return nil }
        let variable = setting.name
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
}
