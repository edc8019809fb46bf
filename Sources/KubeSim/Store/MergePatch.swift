import Essentials

/// Patch documents applied to stored objects.
enum MergePatch {
    /// RFC 7386 JSON merge patch: objects merge recursively, `null` deletes, anything else replaces.
    static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let patchFields) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in patchFields {
            if value == .null {
                result[key] = nil
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }

    /// Strategic merge patch, simplified: like a merge patch, except that lists of objects
    /// with a `name` (containers, ports, env, volumes) merge element-wise by name, and
    /// `$patch: delete` / `$retainKeys` directives are honoured or dropped.
    static func applyStrategic(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(var patchFields) = patch else { return patch }
        if patchFields["$patch"] == "replace" {
            patchFields["$patch"] = nil
            return .object(patchFields)
        }
        var result = target.objectValue ?? [:]
        for (key, value) in patchFields where !key.hasPrefix("$") {
            if key.hasPrefix("$setElementOrder/") || key.hasPrefix("$deleteFromPrimitiveList/") { continue }
            switch value {
            case .null:
                result[key] = nil
            case .array(let patchItems) where isNamedList(patchItems) && isNamedList(result[key]?.arrayValue ?? []):
                result[key] = .array(mergeNamedLists(patchItems, into: result[key]?.arrayValue ?? []))
            case .object:
                result[key] = applyStrategic(value, to: result[key] ?? .null)
            default:
                result[key] = value
            }
        }
        return .object(result)
    }

    private static func isNamedList(_ items: [JSONValue]) -> Bool {
        !items.isEmpty && items.allSatisfy { $0["name"]?.stringValue != nil || $0["$patch"] != nil }
    }

    private static func mergeNamedLists(_ patchItems: [JSONValue], into existing: [JSONValue]) -> [JSONValue] {
        var result = existing
        for item in patchItems {
            guard let name = item["name"]?.stringValue else { continue }
            let index = result.firstIndex { $0["name"]?.stringValue == name }
            if item["$patch"] == "delete" {
                if let index { result.remove(at: index) }
            } else if let index {
                result[index] = applyStrategic(item, to: result[index])
            } else {
                result.append(applyStrategic(item, to: .null))
            }
        }
        return result
    }
}
