import Essentials
import ServiceKit

/// What a manifest may ask for (upstream applied any manifest as is, docs/specs/pods-backend.md W3). Roughly the
/// Kubernetes "baseline" Pod Security Standard, plus what a multi-user namespace needs:
/// no host namespaces, paths or ports, no privileged containers, capabilities only from an
/// allow-list, no service account or its token, limits on every container.
struct PodPolicy: Sendable {
    /// Baseline's list; upstream's manifests need AUDIT_WRITE and SYS_CHROOT (sshd).
    static let baselineCapabilities = [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    ]
    static let safeSysctls: Set<String> = [
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
    ]

    var allowedCapabilities: Set<String>
    /// Applied to containers that set none.
    var defaultRequests: [String: String]
    var defaultLimits: [String: String]

    static let allowedCapabilities = PodsSettings.key("allowedCapabilities") {
        Setting<[String]>.list($0, default: "baseline's list (and AUDIT_WRITE, SYS_CHROOT for sshd)", help: "Capabilities a manifest may add.")
    }
    static let cpuRequest = PodsSettings.key("podCPURequest") { .text($0, default: "100m", help: "The CPU request of a container that sets none.") }
    static let memoryRequest = PodsSettings.key("podMemoryRequest") {
        .text($0, default: "256Mi", help: "The memory request of a container that sets none.")
    }
    static let cpuLimit = PodsSettings.key("podCPULimit") { .text($0, default: "2", help: "The CPU limit of a container that sets none.") }
    static let memoryLimit = PodsSettings.key("podMemoryLimit") { .text($0, default: "4Gi", help: "The memory limit of a container that sets none.") }

    static let settings = SettingGroup("Pod policy", [allowedCapabilities, cpuRequest, memoryRequest, cpuLimit, memoryLimit])

    static func load(_ source: ConfigurationSource) throws -> PodPolicy {
        let listed = try source.value(allowedCapabilities)
        return PodPolicy(
            allowedCapabilities: Set(
                (listed.isEmpty ? baselineCapabilities : listed).map { $0.uppercased().replacingOccurrences(of: "CAP_", with: "") }),
            defaultRequests: ["cpu": try source.value(cpuRequest), "memory": try source.value(memoryRequest)],
            defaultLimits: ["cpu": try source.value(cpuLimit), "memory": try source.value(memoryLimit)]
        )
    }

    struct Violation: Error, CustomStringConvertible {
        let description: String
    }

    /// Refuses what must never run; the first violation is reported.
    func check(_ pod: JSONValue) throws {
        let spec = pod["spec"] ?? [:]
        for field in ["hostNetwork", "hostPID", "hostIPC"] where spec[field]?.boolValue == true {
            throw Violation(description: "spec.\(field) is not allowed")
        }
        if let account = spec["serviceAccountName"]?.stringValue ?? spec["serviceAccount"]?.stringValue, !account.isEmpty, account != "default" {
            throw Violation(description: "spec.serviceAccountName is not allowed (pods run without a service account)")
        }
        if spec["nodeName"]?.stringValue != nil {
            throw Violation(description: "spec.nodeName is not allowed (the scheduler places pods)")
        }
        for volume in spec["volumes"]?.arrayValue ?? [] where volume["hostPath"] != nil {
            throw Violation(description: "hostPath volume '\(volume["name"]?.stringValue ?? "?")' is not allowed")
        }
        for sysctl in spec["securityContext"]?["sysctls"]?.arrayValue ?? [] {
            let name = sysctl["name"]?.stringValue ?? "?"
            guard Self.safeSysctls.contains(name) else { throw Violation(description: "sysctl \(name) is not allowed") }
        }
        try checkSecurityContext(spec["securityContext"], at: "spec.securityContext")
        for kind in ["containers", "initContainers", "ephemeralContainers"] {
            for container in spec[kind]?.arrayValue ?? [] {
                let name = container["name"]?.stringValue ?? "?"
                let context = container["securityContext"]
                if context?["privileged"]?.boolValue == true {
                    throw Violation(description: "container \(name): privileged is not allowed")
                }
                if let procMount = context?["procMount"]?.stringValue, procMount != "Default" {
                    throw Violation(description: "container \(name): procMount \(procMount) is not allowed")
                }
                for capability in context?["capabilities"]?["add"]?.arrayValue ?? [] {
                    let value = (capability.stringValue ?? "").uppercased().replacingOccurrences(of: "CAP_", with: "")
                    guard allowedCapabilities.contains(value) else {
                        throw Violation(description: "container \(name): capability \(value) is not allowed")
                    }
                }
                for port in container["ports"]?.arrayValue ?? [] {
                    if let hostPort = port["hostPort"]?.doubleValue, hostPort != 0 {
                        throw Violation(description: "container \(name): hostPort is not allowed")
                    }
                }
                try checkSecurityContext(context, at: "container \(name)")
            }
        }
    }

    /// Fills in requests and limits per resource without making them inconsistent: a limit
    /// alone is kept (Kubernetes then requests the limit); a request alone gets the default
    /// limit, raised to the request when the request is larger.
    func withDefaults(_ resources: JSONValue) -> JSONValue {
        var requests = resources["requests"]?.objectValue ?? [:]
        var limits = resources["limits"]?.objectValue ?? [:]
        for resource in Set(defaultRequests.keys).union(defaultLimits.keys) {
            switch (requests[resource], limits[resource]) {
            case (_, .some):
                continue
            case (.some(let request), .none):
                guard let limit = defaultLimits[resource] else { continue }
                let requested = request.scalarDescription.flatMap(Quantity.parse) ?? 0
                limits[resource] = requested > (Quantity.parse(limit) ?? 0) ? request : .string(limit)
            case (.none, .none):
                if let request = defaultRequests[resource] { requests[resource] = .string(request) }
                if let limit = defaultLimits[resource] { limits[resource] = .string(limit) }
            }
        }
        var result = resources
        result["requests"] = .object(requests)
        result["limits"] = .object(limits)
        return result
    }

    private func checkSecurityContext(_ context: JSONValue?, at place: String) throws {
        if context?["seccompProfile"]?["type"]?.stringValue == "Unconfined" {
            throw Violation(description: "\(place): an Unconfined seccomp profile is not allowed")
        }
        if context?["appArmorProfile"]?["type"]?.stringValue == "Unconfined" {
            throw Violation(description: "\(place): an Unconfined AppArmor profile is not allowed")
        }
    }

    /// What every pod gets whatever its manifest says: our namespace, no service-account
    /// token, and requests/limits where a container sets none.
    func enforce(_ pod: inout JSONValue, namespace: String) {
        pod["metadata"]?["namespace"] = .string(namespace)
        pod["spec"]?["automountServiceAccountToken"] = .bool(false)
        pod["spec"]?["enableServiceLinks"] = .bool(false)
        pod["spec"]?["serviceAccountName"] = nil
        pod["spec"]?["serviceAccount"] = nil
        for kind in ["containers", "initContainers"] {
            guard let containers = pod["spec"]?[kind]?.arrayValue else { continue }
            pod["spec"]?[kind] = .array(
                containers.map { container in
                    var container = container
                    container["resources"] = withDefaults(container["resources"] ?? [:])
                    return container
                })
        }
    }
}

/// Kubernetes resource quantities (`100m`, `2`, `256Mi`, `1G`, `1e3`) as numbers, for
/// comparing a request with a limit.
enum Quantity {
    static func parse(_ text: String) -> Double? {
        let suffixes: [(String, Double)] = [
            ("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776), ("Pi", 1_125_899_906_842_624),
            ("Ei", 1_152_921_504_606_846_976), ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("k", 1e3), ("M", 1e6), ("G", 1e9),
            ("T", 1e12), ("P", 1e15), ("E", 1e18),
        ]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, scale) in suffixes where trimmed.hasSuffix(suffix) {
            return Double(trimmed.dropLast(suffix.count)).map { $0 * scale }
        }
        return Double(trimmed)
    }
}
