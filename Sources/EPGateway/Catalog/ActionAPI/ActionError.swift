import Essentials
import Hummingbird
import ServiceKit

/// A failed action as CKAN reports it (`{"__type": …, "message": …}` or, for validation, a
/// list of messages per field), with CKAN's status codes; `ckanapi` turns each `__type` back
/// into its exception (`NotFound`, `NotAuthorized`, `ValidationError`, `SearchQueryError`).
struct ActionError: Error, Sendable, Equatable {
    var status: HTTPResponse.Status
    var type: String
    var message: String?
    /// Validation errors: field → messages.
    var fields: [String: [String]] = [:]

    static func notFound(_ message: String = "Not found") -> ActionError {
        ActionError(status: .notFound, type: "Not Found Error", message: message)
    }

    static func notAuthorized(_ message: String) -> ActionError {
        ActionError(status: .forbidden, type: "Authorization Error", message: "Access denied: \(message)")
    }

    static func validation(_ field: String, _ message: String) -> ActionError {
        ActionError(status: .conflict, type: "Validation Error", fields: [field: [message]])
    }

    static func searchQuery(_ message: String) -> ActionError {
        ActionError(status: .conflict, type: "Search Query Error", message: "Search Query is invalid: \(message)")
    }

    static func unknownAction(_ name: String) -> ActionError {
        ActionError(status: .badRequest, type: "Bad request - Action Error", message: "Bad request - Action name not known: \(name)")
    }

    static func badRequest(_ message: String) -> ActionError {
        ActionError(status: .badRequest, type: "Bad request - JSON Error", message: "Bad request - \(message)")
    }

    var errorObject: JSONValue {
        var object: [String: JSONValue] = ["__type": .string(type)]
        if let message { object["message"] = .string(message) }
        for (field, messages) in fields { object[field] = .array(messages.map(JSONValue.string)) }
        return .object(object)
    }
}

extension ActionError {
    /// Any error a route, the access check or the catalog raised, in CKAN's terms: 401 and 403
    /// are CKAN's 403 "Authorization Error" (it has no 401); 404 "Not Found Error"; refused
    /// input (400, 409, 422) a 409 "Validation Error" naming the field where one is known;
    /// anything else keeps its status.
    init(_ error: any Error) {
        if let error = error as? ActionError {
            self = error
            return
        }
        let failure: APIError
        switch error {
        case let error as any APIErrorConvertible: failure = error.apiError
        case let error as HTTPError: failure = APIError(error.status, detail: .string(error.body ?? error.status.reasonPhrase))
        case let error as any HTTPResponseError: failure = APIError(error.status, detail: .string(error.status.reasonPhrase))
        default: failure = APIError(.internalServerError, detail: "An unexpected error occurred. Please try again later.")
        }
        let text = Self.text(of: failure.detail)
        switch failure.status.code {
        case 401, 403: self = .notAuthorized(text)
        case 404: self = .notFound(text)
        case 400, 409, 422:
            self = ActionError(status: .conflict, type: "Validation Error", fields: Self.fields(of: failure.detail) ?? ["message": [text]])
        default: self = ActionError(status: failure.status, type: failure.status.reasonPhrase, message: text)
        }
    }

    /// A detail's words: the string itself, or FastAPI-style validation entries' messages.
    private static func text(of detail: JSONValue) -> String {
        if let text = detail.stringValue { return text }
        if let fields = fields(of: detail) {
            return fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: "; "))" }.joined(separator: ", ")
        }
        return String(decoding: detail.bytes(), as: UTF8.self)
    }

    /// `[{loc: [where, field], msg}]` → `{field: [msg]}`.
    private static func fields(of detail: JSONValue) -> [String: [String]]? {
        guard let entries = detail.arrayValue, !entries.isEmpty else { return nil }
        var fields: [String: [String]] = [:]
        for entry in entries {
            let field = entry["loc"]?.arrayValue?.last?.scalarDescription ?? "message"
            fields[field, default: []].append(entry["msg"]?.stringValue ?? "Invalid value")
        }
        return fields
    }
}
