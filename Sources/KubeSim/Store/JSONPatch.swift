import Essentials

/// RFC 6902 JSON patch (`application/json-patch+json`): add, remove, replace, test, copy, move.
enum JSONPatch {
    static func apply(_ patch: JSONValue, to target: JSONValue) throws -> JSONValue {
        guard let operations = patch.arrayValue else { throw KubeStatus.badRequest("json patch must be a list of operations") }
        var document = target
        for operation in operations {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw KubeStatus.badRequest("json patch operation needs op and path")
            }
            let pointer = try Self.pointer(path)
            switch op {
            case "add": document = try set(document, pointer, try value(operation), inserting: true)
            case "replace":
                _ = try get(document, pointer)
                document = try set(document, pointer, try value(operation), inserting: false)
            case "remove": document = try remove(document, pointer)
            case "test":
                guard try get(document, pointer) == (try value(operation)) else {
                    throw KubeStatus(code: 422, reason: "Invalid", message: "test operation failed at \(path)")
                }
            case "copy", "move":
                guard let from = operation["from"]?.stringValue else { throw KubeStatus.badRequest("\(op) needs from") }
                let source = try Self.pointer(from)
                let moved = try get(document, source)
                if op == "move" { document = try remove(document, source) }
                document = try set(document, pointer, moved, inserting: true)
            default: throw KubeStatus.badRequest("unknown json patch op \(op)")
            }
        }
        return document
    }

    private static func value(_ operation: JSONValue) throws -> JSONValue {
        guard let value = operation["value"] else { throw KubeStatus.badRequest("json patch operation needs a value") }
        return value
    }

    private static func pointer(_ path: String) throws -> [String] {
        guard path.isEmpty || path.hasPrefix("/") else { throw KubeStatus.badRequest("invalid json pointer \(path)") }
        return path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            .map { $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~") }
    }

    private static func get(_ document: JSONValue, _ pointer: [String]) throws -> JSONValue {
        var current = document
        for token in pointer {
            switch current {
            case .object(let fields):
                guard let next = fields[token] else { throw missing(pointer) }
                current = next
            case .array(let items):
                guard let index = Int(token), items.indices.contains(index) else { throw missing(pointer) }
                current = items[index]
            default: throw missing(pointer)
            }
        }
        return current
    }

    private static func set(_ document: JSONValue, _ pointer: [String], _ value: JSONValue, inserting: Bool) throws -> JSONValue {
        guard let token = pointer.first else { return value }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var fields):
            if rest.isEmpty {
                fields[token] = value
            } else {
                guard let child = fields[token] else { throw missing(pointer) }
                fields[token] = try set(child, rest, value, inserting: inserting)
            }
            return .object(fields)
        case .array(var items):
            if rest.isEmpty {
                if token == "-" {
                    items.append(value)
                    return .array(items)
                }
                guard let index = Int(token), index >= 0, index <= items.count else { throw missing(pointer) }
                if inserting {
                    items.insert(value, at: index)
                } else {
                    guard index < items.count else { throw missing(pointer) }
                    items[index] = value
                }
            } else {
                guard let index = Int(token), items.indices.contains(index) else { throw missing(pointer) }
                items[index] = try set(items[index], rest, value, inserting: inserting)
            }
            return .array(items)
        default:
            throw missing(pointer)
        }
    }

    private static func remove(_ document: JSONValue, _ pointer: [String]) throws -> JSONValue {
        guard let token = pointer.first else { return .null }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var fields):
            guard let child = fields[token] else { throw missing(pointer) }
            fields[token] = rest.isEmpty ? nil : try remove(child, rest)
            return .object(fields)
        case .array(var items):
            guard let index = Int(token), items.indices.contains(index) else { throw missing(pointer) }
            if rest.isEmpty { items.remove(at: index) } else { items[index] = try remove(items[index], rest) }
            return .array(items)
        default:
            throw missing(pointer)
        }
    }

    private static func missing(_ pointer: [String]) -> KubeStatus {
        KubeStatus(code: 422, reason: "Invalid", message: "json patch path /\(pointer.joined(separator: "/")) does not exist")
    }
}
