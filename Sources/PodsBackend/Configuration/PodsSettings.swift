import Essentials
import Foundation
import Identity
import ServiceKit

/// Everything the pods backend reads: upstream's config.yaml keys (docs/specs/pods-backend.md
/// §7), each overridable by `BACKEND_<KEY>`, plus our own keys for what upstream lacked
/// (caller authentication, proxies, manifest limits, pod policy). docs/configuration.md
/// section lists them all.
struct PodsSettings: Sendable {
    // Upstream's keys.
    var defaultRestartPolicy: String
    var timeoutCreate: Duration
    var timeoutDelete: Duration
    var namespace: String
    var whitelistManifestRegex: String
    var tokenByteLimit: Int
    var nfsStorageRoot: String
    var testingHost: String
    var localRegistryURL: String
    var localRegistrySecret: String
    var ingressDomain: String
    var ingressWildcardSecret: String
    var podSubnet: IPAddressRange
    /// address → hostname, for `HOME_SERVER_HOSTNAME`.
    var hostnames: [String: String]

    // Ours.
    var callers: CallerAuthSettings
    var trustedProxies: [IPAddressRange]
    var manifest: ManifestSettings
    var policy: PodPolicy
    var storage: StorageSettings
    var ingressClassName: String?
    /// How long after a pod is ready tokens that have not appeared yet are looked for.
    var tokenRefreshWindow: Duration
    /// The pause between the start jobs' 10 attempts to read a token (upstream: 1 s).
    var tokenRetryInterval: Duration
    /// How often unfinished creations and deletions (a restart, another replica's crash)
    /// are looked for.
    var sweepInterval: Duration
    /// How long after a creation's deadline its replica keeps the job before another takes it.
    var leaseMargin: Duration
    /// get_podip_owner waits this long for a new pod's IP to appear (upstream: 9 × 0.5 s).
    var podIPLookupWindow: Duration
    /// Pods' expiry (`POD_DEFAULT_LIFETIME`, `POD_MAX_LIFETIME`); the sweep reaps expired pods.
    var lifetime: PodLifetime

    struct ManifestSettings: Sendable {
        var maxBytes: Int
        var timeout: Duration
        var maxRedirects: Int
    }

    struct StorageSettings: Sendable {
        var storageClassName: String
        var size: String
    }

    // MARK: Declarations

    static let defaultRestartPolicy = key("defaultRestartPolicy") {
        .text($0, default: "Never", accepts: "Always, OnFailure, Never or empty", help: "The restart policy of a manifest that sets none.") {
            ["Always", "OnFailure", "Never", ""].contains($0) ? nil : "Always, OnFailure, Never or empty"
        }
    }
    static let timeoutCreate = key("timeoutCreate") { .goDuration($0, default: "1m30s", help: "A creation's budget, from the request.") }
    static let timeoutDelete = key("timeoutDelete") { .goDuration($0, default: "1m30s", help: "How long watch_delete_pod waits for a deletion.") }
    static let namespace = key("namespace") {
        .text($0, default: "sciencedata-dev", accepts: "DNS label", help: "Where pods, Services, Ingresses, claims and Secrets go.") {
            DNSName.isLabel($0) ? nil : "a DNS label (lower-case letters, digits and '-', at most 63)"
        }
    }
    static let whitelistManifestRegex = key("whitelistManifestRegex") {
        .text(
            $0, default: #"https:\/\/raw[.]githubusercontent[.]com\/deic-dk\/pod_manifests"#, accepts: "regular expression",
            help: "Manifest URLs allowed (anchored at the start)."
        ) { (try? Regex("^(?:\($0))")) == nil ? "a regular expression" : nil }
    }
    static let tokenByteLimit = key("tokenByteLimit") {
        .integer($0, default: 4096, range: 1...(1 << 20), help: "Longer token files are cut.")
    }
    static let nfsStorageRoot = key("nfsStorageRoot") { .text($0, default: "/tank/storage", help: "NFS path prefix of user storage.") }
    static let testingHost = key("testingHost") {
        .text($0, default: "10.0.0.20", accepts: "IP address", help: "The silo address a loopback caller stands for.") {
            IPAddress($0) == nil ? "an IP address" : nil
        }
    }
    static let localRegistryURL = key("localRegistryURL") { .text($0, default: "", help: "What LOCALREGISTRY in a manifest becomes.") }
    static let localRegistrySecret = key("localRegistrySecret") {
        .text($0, default: "docker-registry-auth", help: "The local registry's pull secret.")
    }
    static let ingressDomain = key("ingressDomain") { .text($0, default: "", help: "The domain of pods' ingress hosts.") }
    static let ingressWildcardSecret = key("ingressWildcardSecret") {
        .text($0, default: "user-pods-wildcard", help: "The TLS secret of pods' ingresses.")
    }
    static let podSubnet = key("podSubnetCidr") {
        Setting<IPAddressRange>(
            $0, help: "Addresses get_podip_owner answers for.", accepts: "CIDR", defaultDescription: "10.128.0.0/15",
            parse: { text in
                guard let range = IPAddressRange(text.trimmingCharacters(in: .whitespaces)), text.contains("/") else {
                    throw SettingRefusal(expected: "a CIDR such as 10.128.0.0/15")
                }
                return range
            }, fallback: { _ in IPAddressRange("10.128.0.0/15")! })
    }
    static let hostnames = key("hostnameList") {
        Setting<[String: String]>(
            $0, help: "HOME_SERVER_HOSTNAME by silo address: a list of {hostname, address}, or hostname=address pairs separated by commas.",
            accepts: "JSON list or hostname=address pairs", defaultDescription: "silo7.sciencedata.dk → 10.0.0.20, silo1.sciencedata.dk → 10.0.0.14",
            parse: { text in try PodsSettings.parseHostnames(text) },
            fallback: { _ in try PodsSettings.parseHostnames(PodsSettings.defaultHostnames) })
    }
    static let trustedProxies = key("trustedProxies") {
        Setting<[IPAddressRange]>(
            $0, help: "CIDRs whose X-Forwarded-For is believed.", accepts: "comma-separated IP addresses or CIDRs", defaultDescription: "none",
            parse: { text in
                try SettingText.list(text).map { entry in
                    guard let range = IPAddressRange(entry) else { throw SettingRefusal(expected: "IP addresses or CIDRs, comma-separated") }
                    return range
                }
            }, fallback: { _ in [] })
    }
    static let manifestMaxBytes = key("manifestMaxBytes") {
        .integer($0, default: 262_144, range: 1024...(16 << 20), help: "The largest manifest fetched.")
    }
    static let manifestTimeout = key("manifestTimeout") { .goDuration($0, default: "10s", help: "A manifest fetch's budget.") }
    static let manifestMaxRedirects = key("manifestMaxRedirects") {
        .integer($0, default: 3, range: 0...10, help: "Redirects a manifest fetch follows (each checked against the whitelist).")
    }
    static let storageClassName = key("storageClassName") {
        .text($0, default: "nfs", help: "The storage class of user storage claims (upstream left it out).")
    }
    static let storageSize = key("storageSize") { .text($0, default: "10Gi", help: "The size of user storage claims.") }
    static let ingressClassName = key("ingressClassName") {
        .optionalText($0, help: "The Ingress class of pods' ingresses.", default: "the cluster's default")
    }
    static let tokenRefreshWindow = key("tokenRefreshWindow") {
        .goDuration($0, default: "5m", help: "How long after a pod is ready tokens that have not appeared are looked for.")
    }
    static let tokenRetryInterval = key("tokenRetryInterval") {
        .goDuration($0, default: "1s", help: "The pause between the start jobs' 10 first attempts to read a token.")
    }
    static let sweepInterval = key("sweepInterval") {
        .goDuration($0, default: "30s", help: "How often unfinished creations and deletions and expired pods are looked for.")
    }
    static let leaseMargin = key("leaseMargin") {
        .goDuration($0, default: "30s", help: "How long after a creation's deadline its replica keeps it before another takes it.")
    }
    static let podIPLookupWindow = key("podIPLookupWindow") {
        .goDuration($0, default: "4500ms", help: "How long get_podip_owner waits for a new pod's IP to appear.")
    }
    static let replicaID = key("replicaID") {
        .optionalText($0, help: "This replica's name in creation leases.", default: "HOSTNAME")
    }
    /// Upstream's keys the backend accepts and does not use.
    static let unusedKeys = ["podCacheDir", "testSshKey", "testUser"].map { name in
        key(name) { Setting<String?>.optionalText($0, help: "Accepted for compatibility with upstream's config.yaml; unused.") }
    }

    static let settings = SettingGroup(
        "Pods (config.yaml keys, each overridden by BACKEND_<KEY>)",
        [
            namespace, timeoutCreate, timeoutDelete, whitelistManifestRegex, defaultRestartPolicy, tokenByteLimit, nfsStorageRoot,
            testingHost, localRegistryURL, localRegistrySecret, ingressDomain, ingressWildcardSecret, podSubnet, hostnames,
            trustedProxies, manifestMaxBytes, manifestTimeout, manifestMaxRedirects, storageClassName, storageSize,
            ingressClassName, tokenRefreshWindow, tokenRetryInterval, sweepInterval, leaseMargin, podIPLookupWindow, replicaID,
        ] + unusedKeys)

    static func load(from source: ConfigurationSource) throws -> PodsSettings {
        PodsSettings(
            defaultRestartPolicy: try source.value(defaultRestartPolicy),
            timeoutCreate: try source.value(timeoutCreate),
            timeoutDelete: try source.value(timeoutDelete),
            namespace: try source.value(namespace),
            whitelistManifestRegex: try source.value(whitelistManifestRegex),
            tokenByteLimit: try source.value(tokenByteLimit),
            nfsStorageRoot: try source.value(nfsStorageRoot),
            testingHost: try source.value(testingHost),
            localRegistryURL: try source.value(localRegistryURL),
            localRegistrySecret: try source.value(localRegistrySecret),
            ingressDomain: try source.value(ingressDomain),
            ingressWildcardSecret: try source.value(ingressWildcardSecret),
            podSubnet: try source.value(podSubnet),
            hostnames: try source.value(hostnames),
            callers: try CallerAuthSettings.load(source),
            trustedProxies: try source.value(trustedProxies),
            manifest: ManifestSettings(
                maxBytes: try source.value(manifestMaxBytes),
                timeout: try source.value(manifestTimeout),
                maxRedirects: try source.value(manifestMaxRedirects)
            ),
            policy: try PodPolicy.load(source),
            storage: StorageSettings(storageClassName: try source.value(storageClassName), size: try source.value(storageSize)),
            ingressClassName: try source.value(ingressClassName),
            tokenRefreshWindow: try source.value(tokenRefreshWindow),
            tokenRetryInterval: try source.value(tokenRetryInterval),
            sweepInterval: try source.value(sweepInterval),
            leaseMargin: try source.value(leaseMargin),
            podIPLookupWindow: try source.value(podIPLookupWindow),
            lifetime: try PodLifetime.load(source)
        )
    }

    /// `key` of upstream's config.yaml, overridden by `BACKEND_<KEY>` (viper's rule: a blank value is unset).
    static func key<Value>(_ key: String, _ make: (String) -> Setting<Value>) -> Setting<Value> {
        make("BACKEND_" + key.uppercased()).fileKey(key)
    }

    static let defaultHostnames =
        #"[{"hostname":"silo7.sciencedata.dk","address":"10.0.0.20"},{"hostname":"silo1.sciencedata.dk","address":"10.0.0.14"}]"#

    /// `hostnameList`: a list of `{hostname, address}` (YAML or JSON), or `host=address` pairs
    /// separated by commas in the environment; address → hostname.
    static func parseHostnames(_ value: String) throws -> [String: String] {
        var pairs: [(String, String)] = []
        if value.hasPrefix("[") {
            guard let entries = (try? JSONValue.decode(Data(value.utf8)))?.arrayValue else {
                throw SettingRefusal(expected: "a list of {hostname, address}")
            }
            for entry in entries {
                guard let hostname = entry["hostname"]?.stringValue, let address = entry["address"]?.stringValue else {
                    throw SettingRefusal(expected: "every entry to have hostname and address")
                }
                pairs.append((hostname, address))
            }
        } else {
            for entry in value.split(separator: ",") {
                let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { throw SettingRefusal(expected: "hostname=address pairs separated by commas") }
                pairs.append((parts[0], parts[1]))
            }
        }
        var map: [String: String] = [:]
        for (hostname, address) in pairs {
            guard IPAddress(address) != nil else { throw SettingRefusal(expected: "an IP address for \(hostname), not \(address)") }
            map[address] = hostname
        }
        return map
    }
}
