import Essentials
import Hummingbird

/// A Kubernetes `Status` failure: what the API server answers for every error.
public struct KubeStatus: Error, Sendable, Equatable {
    public let code: Int
    public let reason: String
    public let message: String
    public let details: JSONValue?

    public init(code: Int, reason: String, message: String, details: JSONValue? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public static func notFound(_ type: ResourceType, name: String) -> KubeStatus {
        KubeStatus(code: 404, reason: "NotFound", message: "\(type.resourceKey) \"\(name)\" not found", details: details(type, name))
    }

    public static func alreadyExists(_ type: ResourceType, name: String) -> KubeStatus {
        KubeStatus(code: 409, reason: "AlreadyExists", message: "\(type.resourceKey) \"\(name)\" already exists", details: details(type, name))
    }

    public static func conflict(_ type: ResourceType, name: String) -> KubeStatus {
        KubeStatus(
            code: 409, reason: "Conflict",
            message:
                "Operation cannot be fulfilled on \(type.resourceKey) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
            details: details(type, name)
        )
    }

    public static func invalid(_ type: ResourceType, name: String, field: String, message: String) -> KubeStatus {
        KubeStatus(
            code: 422, reason: "Invalid", message: "\(type.kind) \"\(name)\" is invalid: \(field): \(message)",
            details: [
                "name": .string(name), "group": .string(type.group), "kind": .string(type.kind),
                "causes": [["reason": "FieldValueInvalid", "message": .string(message), "field": .string(field)]],
            ]
        )
    }

    public static func badRequest(_ message: String) -> KubeStatus {
        KubeStatus(code: 400, reason: "BadRequest", message: message)
    }

    public static func gone(_ message: String) -> KubeStatus {
        KubeStatus(code: 410, reason: "Expired", message: message)
    }

    public static func forbidden(_ message: String) -> KubeStatus {
        KubeStatus(code: 403, reason: "Forbidden", message: message)
    }

    public static func unauthorized() -> KubeStatus {
        KubeStatus(code: 401, reason: "Unauthorized", message: "Unauthorized")
    }

    public static func methodNotAllowed(_ message: String) -> KubeStatus {
        KubeStatus(code: 405, reason: "MethodNotAllowed", message: message)
    }

    private static func details(_ type: ResourceType, _ name: String) -> JSONValue {
        ["name": .string(name), "group": .string(type.group), "kind": .string(type.plural)]
    }

    public var object: JSONValue {
        var fields: [String: JSONValue] = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .number(Double(code)),
        ]
        if let details { fields["details"] = details }
        return .object(fields)
    }

    public var response: Response {
        object.response(status: .init(code: code))
    }
}
