import Essentials
import Hummingbird

/// How a route reads its query string: not at all, or into a Codable type decoded as
/// FastAPI decodes its query parameters (numeric text for numbers, a repeated parameter as a
/// list where one is wanted, else its last value). Its OpenAPI parameters come from the type.
public protocol RouteQuery: Sendable {
    static func read(from request: Request) throws -> Self
    static var parameterDocumentation: [JSONValue] { get }
}

/// A route whose handler reads no query parameters (or reads them itself).
public struct NoQuery: RouteQuery {
    public static func read(from request: Request) throws -> NoQuery { NoQuery() }
    public static var parameterDocumentation: [JSONValue] { [] }
}

/// Query parameters as a Codable type; its properties are the parameters.
public protocol QueryRequest: RouteQuery, Decodable {}

extension QueryRequest {
    public static func read(from request: Request) throws -> Self {
        var object: [String: JSONValue] = [:]
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            switch object[name] {
            case nil: object[name] = .string(String(value))
            case .array(let values)?: object[name] = .array(values + [.string(String(value))])
            case let first?: object[name] = .array([first, .string(String(value))])
            }
        }
        return try RequestJSON.decode(Self.self, from: .object(object), at: [.key("query")], input: .text)
    }

    public static var parameterDocumentation: [JSONValue] {
        let schema = JSONSchema.of(Self.self)
        let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        return (schema["properties"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { name, property in
            ["name": .string(name), "in": "query", "required": .bool(required.contains(name)), "schema": property]
        }
    }
}
