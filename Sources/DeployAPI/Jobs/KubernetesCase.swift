import Essentials

/// Kubernetes objects as the kbatch client writes and reads them: the Python client's
/// `to_dict()`, snake_case (`ttl_seconds_after_finished`) with every unset field null, and
/// Kubernetes' own JSON, camelCase (`ttlSecondsAfterFinished`). kbatch-proxy accepts either
/// and answers snake_case (docs/specs/anchors-platforms.md §A.2); so do we.
///
/// Field names convert; the keys of free-form maps (labels, annotations, ConfigMap data,
/// resource quantities, node selectors) do not. A few field names hold acronyms the Python
/// client spells its own way (`hostIP` is `host_ip`, `podIPs` is `pod_i_ps`): a table keeps them.
enum KubernetesCase {
    /// Fields whose value is a map with keys of the user's choosing, in both spellings.
    static let freeFormMaps: Set<String> = [
        "labels", "annotations", "data", "binaryData", "binary_data", "stringData", "string_data", "nodeSelector", "node_selector",
        "limits", "requests", "matchLabels", "match_labels", "capacity", "allocatable", "hard", "used", "volumeAttributes",
        "volume_attributes", "parameters", "options",
    ]

    /// camelCase names the generic rule would not produce from the Python client's snake_case.
    static let irregular: [String: String] = [
        "host_ip": "hostIP", "pod_ip": "podIP", "host_i_ps": "hostIPs", "pod_i_ps": "podIPs", "host_pid": "hostPID", "host_ipc": "hostIPC",
        "cluster_ip": "clusterIP", "cluster_i_ps": "clusterIPs", "external_i_ps": "externalIPs", "load_balancer_ip": "loadBalancerIP",
        "_continue": "continue", "_exec": "exec", "_from": "from", "_not": "not", "_ref": "$ref", "_schema": "$schema",
    ]
    static let irregularSnake: [String: String] = Dictionary(uniqueKeysWithValues: irregular.map { ($1, $0) })

    /// Kubernetes' JSON: camelCase field names, nulls dropped (an unset field).
    static func camel(_ value: JSONValue) -> JSONValue {
        convert(value, name: camelName, droppingNulls: true)
    }

    /// The Python client's spelling, for answers: snake_case field names.
    static func snake(_ value: JSONValue) -> JSONValue {
        convert(value, name: snakeName, droppingNulls: false)
    }

    private static func convert(_ value: JSONValue, name: (String) -> String, droppingNulls: Bool) -> JSONValue {
        switch value {
        case .array(let items):
            return .array(items.map { convert($0, name: name, droppingNulls: droppingNulls) })
        case .object(let fields):
            var converted: [String: JSONValue] = [:]
            for (key, field) in fields {
                if droppingNulls, field == .null { continue }
                if freeFormMaps.contains(key), case .object(let map) = field {
                    converted[name(key)] = .object(droppingNulls ? map.filter { $0.value != .null } : map)
                } else {
                    converted[name(key)] = convert(field, name: name, droppingNulls: droppingNulls)
                }
            }
            return .object(converted)
        default:
            return value
        }
    }

    static func camelName(_ key: String) -> String {
        if let irregular = irregular[key] { return irregular }
        guard key.contains("_") else { return key }
        var result = ""
        var upperNext = false
        for character in key {
            if character == "_" {
                upperNext = !result.isEmpty
            } else if upperNext {
                result += character.uppercased()
                upperNext = false
            } else {
                result.append(character)
            }
        }
        return result
    }

    static func snakeName(_ key: String) -> String {
        if let irregular = irregularSnake[key] { return irregular }
        guard key.contains(where: \.isUppercase) else { return key }
        var result = ""
        for character in key {
            if character.isUppercase {
                if !result.isEmpty { result.append("_") }
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
