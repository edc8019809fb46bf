import Essentials
import Foundation
import Identity
import ServiceKit

/// Everything the pods backend reads: upstream's config.yaml keys (docs/specs/pods-backend.md
/// §7), each overridable by `BACKEND_<KEY>`, plus our own keys for what upstream lacked
/// (caller authentication, proxies, manifest limits, pod policy). README's pods backend
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

    static func load(from source: ConfigurationSource) throws -> PodsSettings {
        let config = source.scoped(prefix: "BACKEND_")
        let restartPolicy = config.optionalString("defaultRestartPolicy") ?? "Never"
        guard ["Always", "OnFailure", "Never", ""].contains(restartPolicy) else {
            throw ConfigurationError(variable: "BACKEND_DEFAULTRESTARTPOLICY", value: restartPolicy, expected: "Always, OnFailure, Never or empty")
        }
        let whitelist = config.optionalString("whitelistManifestRegex") ?? #"https:\/\/raw[.]githubusercontent[.]com\/deic-dk\/pod_manifests"#
        guard (try? Regex("^(?:\(whitelist))")) != nil else {
            throw ConfigurationError(variable: "BACKEND_WHITELISTMANIFESTREGEX", value: whitelist, expected: "a regular expression")
        }
        let testingHost = config.optionalString("testingHost") ?? "10.0.0.20"
        guard IPAddress(testingHost) != nil else {
            throw ConfigurationError(variable: "BACKEND_TESTINGHOST", value: testingHost, expected: "an IP address")
        }
        let subnet = config.optionalString("podSubnetCidr") ?? "10.128.0.0/15"
        guard let podSubnet = IPAddressRange(subnet), subnet.contains("/") else {
            throw ConfigurationError(variable: "BACKEND_PODSUBNETCIDR", value: subnet, expected: "a CIDR such as 10.128.0.0/15")
        }
        let namespace = config.optionalString("namespace") ?? "sciencedata-dev"
        guard DNSName.isLabel(namespace) else {
            throw ConfigurationError(
                variable: "BACKEND_NAMESPACE", value: namespace, expected: "a DNS label (lower-case letters, digits and '-', at most 63)")
        }
        return PodsSettings(
            defaultRestartPolicy: restartPolicy,
            timeoutCreate: try config.goDuration("timeoutCreate", default: "1m30s"),
            timeoutDelete: try config.goDuration("timeoutDelete", default: "1m30s"),
            namespace: namespace,
            whitelistManifestRegex: whitelist,
            tokenByteLimit: try config.integer("tokenByteLimit", default: 4096, range: 1...(1 << 20)),
            nfsStorageRoot: config.optionalString("nfsStorageRoot") ?? "/tank/storage",
            testingHost: testingHost,
            localRegistryURL: config.optionalString("localRegistryURL") ?? "",
            localRegistrySecret: config.optionalString("localRegistrySecret") ?? "docker-registry-auth",
            ingressDomain: config.optionalString("ingressDomain") ?? "",
            ingressWildcardSecret: config.optionalString("ingressWildcardSecret") ?? "user-pods-wildcard",
            podSubnet: podSubnet,
            hostnames: try config.hostnames(),
            callers: try CallerAuthSettings.load(config),
            trustedProxies: try config.ranges("trustedProxies"),
            manifest: ManifestSettings(
                maxBytes: try config.integer("manifestMaxBytes", default: 262_144, range: 1024...(16 << 20)),
                timeout: try config.goDuration("manifestTimeout", default: "10s"),
                maxRedirects: try config.integer("manifestMaxRedirects", default: 3, range: 0...10)
            ),
            policy: try PodPolicy.load(config),
            storage: StorageSettings(
                storageClassName: config.optionalString("storageClassName") ?? "nfs",
                size: config.optionalString("storageSize") ?? "10Gi"
            ),
            ingressClassName: config.optionalString("ingressClassName"),
            tokenRefreshWindow: try config.goDuration("tokenRefreshWindow", default: "5m"),
            tokenRetryInterval: try config.goDuration("tokenRetryInterval", default: "1s"),
            sweepInterval: try config.goDuration("sweepInterval", default: "30s"),
            leaseMargin: try config.goDuration("leaseMargin", default: "30s"),
            podIPLookupWindow: try config.goDuration("podIPLookupWindow", default: "4500ms"),
            lifetime: try PodLifetime.load(source)
        )
    }
}

/// Readers for the pods backend's own kinds of setting, on its `BACKEND_`-scoped source.
extension ConfigurationSource {
    func ranges(_ key: String) throws -> [IPAddressRange] {
        try list(key).map { entry in
            guard let range = IPAddressRange(entry) else {
                throw ConfigurationError(variable: variable(key), value: entry, expected: "IP addresses or CIDRs, comma-separated")
            }
            return range
        }
    }

    /// Secrets given inline (comma-separated) and, with the `File` suffix, read from a file
    /// (a mounted Secret, one per line): several are accepted during a rotation.
    func secrets(_ key: String) throws -> [String] {
        var values = list(key)
        if let path = optionalString(key + "File") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(variable: variable(key + "File"), value: path, expected: "a readable file")
            }
            values += String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "," })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return values
    }

    /// `hostnameList`: a list of `{hostname, address}` (YAML or JSON), or `host=address`
    /// pairs separated by commas in the environment.
    func hostnames() throws -> [String: String] {
        let name = variable("hostnameList")
        let value =
            optionalString("hostnameList")
            ?? #"[{"hostname":"silo7.sciencedata.dk","address":"10.0.0.20"},{"hostname":"silo1.sciencedata.dk","address":"10.0.0.14"}]"#
        var pairs: [(String, String)] = []
        if value.hasPrefix("[") {
            guard let entries = (try? JSONValue.decode(Data(value.utf8)))?.arrayValue else {
                throw ConfigurationError(variable: name, value: value, expected: "a list of {hostname, address}")
            }
            for entry in entries {
                guard let hostname = entry["hostname"]?.stringValue, let address = entry["address"]?.stringValue else {
                    throw ConfigurationError(variable: name, value: value, expected: "every entry to have hostname and address")
                }
                pairs.append((hostname, address))
            }
        } else {
            for entry in value.split(separator: ",") {
                let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else {
                    throw ConfigurationError(variable: name, value: value, expected: "hostname=address pairs separated by commas")
                }
                pairs.append((parts[0], parts[1]))
            }
        }
        var map: [String: String] = [:]
        for (hostname, address) in pairs {
            guard IPAddress(address) != nil else {
                throw ConfigurationError(variable: name, value: address, expected: "an IP address for \(hostname)")
            }
            map[address] = hostname
        }
        return map
    }
}
