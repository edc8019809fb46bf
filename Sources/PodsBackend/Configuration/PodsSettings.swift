import Essentials
import Foundation
import Identity
import ServiceKit

/// Everything the pods backend reads: upstream's config.yaml keys (specs/pods-backend.md
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
        let reader = Reader(source: source)
        let restartPolicy = reader.text("defaultRestartPolicy", "Never")
        guard ["Always", "OnFailure", "Never", ""].contains(restartPolicy) else {
            throw ConfigurationError(variable: "BACKEND_DEFAULTRESTARTPOLICY", value: restartPolicy, expected: "Always, OnFailure, Never or empty")
        }
        let whitelist = reader.text("whitelistManifestRegex", #"https:\/\/raw[.]githubusercontent[.]com\/deic-dk\/pod_manifests"#)
        guard (try? Regex("^(?:\(whitelist))")) != nil else {
            throw ConfigurationError(variable: "BACKEND_WHITELISTMANIFESTREGEX", value: whitelist, expected: "a regular expression")
        }
        let testingHost = reader.text("testingHost", "10.0.0.20")
        guard IPAddress(testingHost) != nil else {
            throw ConfigurationError(variable: "BACKEND_TESTINGHOST", value: testingHost, expected: "an IP address")
        }
        let subnet = reader.text("podSubnetCidr", "10.128.0.0/15")
        guard let podSubnet = IPAddressRange(subnet), subnet.contains("/") else {
            throw ConfigurationError(variable: "BACKEND_PODSUBNETCIDR", value: subnet, expected: "a CIDR such as 10.128.0.0/15")
        }
        let namespace = reader.text("namespace", "sciencedata-dev")
        guard DNSName.isLabel(namespace) else {
            throw ConfigurationError(variable: "BACKEND_NAMESPACE", value: namespace, expected: "a DNS label (lower-case letters, digits and '-', at most 63)")
        }
        return PodsSettings(
            defaultRestartPolicy: restartPolicy,
            timeoutCreate: try reader.duration("timeoutCreate", "1m30s"),
            timeoutDelete: try reader.duration("timeoutDelete", "1m30s"),
            namespace: namespace,
            whitelistManifestRegex: whitelist,
            tokenByteLimit: try reader.integer("tokenByteLimit", 4096, range: 1...(1 << 20)),
            nfsStorageRoot: reader.text("nfsStorageRoot", "/tank/storage"),
            testingHost: testingHost,
            localRegistryURL: reader.text("localRegistryURL", ""),
            localRegistrySecret: reader.text("localRegistrySecret", "docker-registry-auth"),
            ingressDomain: reader.text("ingressDomain", ""),
            ingressWildcardSecret: reader.text("ingressWildcardSecret", "user-pods-wildcard"),
            podSubnet: podSubnet,
            hostnames: try reader.hostnames(),
            callers: try CallerAuthSettings.load(reader),
            trustedProxies: try reader.ranges("trustedProxies"),
            manifest: ManifestSettings(
                maxBytes: try reader.integer("manifestMaxBytes", 262_144, range: 1024...(16 << 20)),
                timeout: try reader.duration("manifestTimeout", "10s"),
                maxRedirects: try reader.integer("manifestMaxRedirects", 3, range: 0...10)
            ),
            policy: try PodPolicy.load(reader),
            storage: StorageSettings(
                storageClassName: reader.text("storageClassName", "nfs"),
                size: reader.text("storageSize", "10Gi")
            ),
            ingressClassName: reader.optional("ingressClassName"),
            tokenRefreshWindow: try reader.duration("tokenRefreshWindow", "5m"),
            tokenRetryInterval: try reader.duration("tokenRetryInterval", "1s"),
            sweepInterval: try reader.duration("sweepInterval", "30s"),
            leaseMargin: try reader.duration("leaseMargin", "30s"),
            podIPLookupWindow: try reader.duration("podIPLookupWindow", "4500ms")
        )
    }

    /// Reads `BACKEND_<KEY>` for a config.yaml key; blank values count as unset (viper).
    struct Reader {
        let source: ConfigurationSource

        static func variable(_ key: String) -> String { "BACKEND_" + key.uppercased() }

        func optional(_ key: String) -> String? {
            source.rawSkippingBlank(Self.variable(key))?.trimmingCharacters(in: .whitespaces)
        }

        func text(_ key: String, _ defaultValue: String) -> String {
            optional(key) ?? defaultValue
        }

        func list(_ key: String) -> [String] {
            (optional(key) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        func duration(_ key: String, _ defaultValue: String) throws -> Duration {
            let value = text(key, defaultValue)
            guard let duration = GoDuration.parse(value), duration >= .zero else {
                throw ConfigurationError(variable: Self.variable(key), value: value, expected: "a Go duration such as 90s, 1m30s or 500ms")
            }
            return duration
        }

        func integer(_ key: String, _ defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
            guard let value = optional(key) else { return defaultValue }
            guard let number = Int(value), range.contains(number) else {
                throw ConfigurationError(variable: Self.variable(key), value: value, expected: "an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }

        func bool(_ key: String, _ defaultValue: Bool) throws -> Bool {
            guard let value = optional(key) else { return defaultValue }
            return try BooleanSetting.parse(value, variable: Self.variable(key))
        }

        func ranges(_ key: String) throws -> [IPAddressRange] {
            try list(key).map { entry in
                guard let range = IPAddressRange(entry) else {
                    throw ConfigurationError(variable: Self.variable(key), value: entry, expected: "IP addresses or CIDRs, comma-separated")
                }
                return range
            }
        }

        /// A secret given inline or, with the `File` suffix, read from a file (a mounted Secret).
        func secret(_ key: String) throws -> [String] {
            var values = list(key)
            if let path = optional(key + "File") {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ConfigurationError(variable: Self.variable(key + "File"), value: path, expected: "a readable file")
                }
                values += String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "," })
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            return values
        }

        /// `hostnameList`: a list of `{hostname, address}` (YAML or JSON), or `host=address`
        /// pairs separated by commas in the environment.
        func hostnames() throws -> [String: String] {
            let variable = Self.variable("hostnameList")
            let value = optional("hostnameList") ?? #"[{"hostname":"silo7.sciencedata.dk","address":"10.0.0.20"},{"hostname":"silo1.sciencedata.dk","address":"10.0.0.14"}]"#
            var pairs: [(String, String)] = []
            if value.hasPrefix("[") {
                guard let entries = (try? JSONValue.decode(Data(value.utf8)))?.arrayValue else {
                    throw ConfigurationError(variable: variable, value: value, expected: "a list of {hostname, address}")
                }
                for entry in entries {
                    guard let hostname = entry["hostname"]?.stringValue, let address = entry["address"]?.stringValue else {
                        throw ConfigurationError(variable: variable, value: value, expected: "every entry to have hostname and address")
                    }
                    pairs.append((hostname, address))
                }
            } else {
                for entry in value.split(separator: ",") {
                    let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard parts.count == 2 else { throw ConfigurationError(variable: variable, value: value, expected: "hostname=address pairs separated by commas") }
                    pairs.append((parts[0], parts[1]))
                }
            }
            var map: [String: String] = [:]
            for (hostname, address) in pairs {
                guard IPAddress(address) != nil else {
                    throw ConfigurationError(variable: variable, value: address, expected: "an IP address for \(hostname)")
                }
                map[address] = hostname
            }
            return map
        }
    }
}
