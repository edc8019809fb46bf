import Essentials

/// A service's OpenAPI 3.1 description, written from its routes' declarations (``Route``):
/// one operation a route, its schemas from the route's types.
public struct OpenAPIDocument: Sendable {
    public struct Operation: Sendable {
        public enum Security: Sendable { case none, bearer }

        public var method: String
        public var path: String
        public var summary: String
        public var tags: [String]
        public var security: Security
        public var parameters: [JSONValue]
        public var requestBody: JSONValue?
        public var responses: [Int: Response]
        /// The paths a catch-all route (`/x/**`) is listed under; nil: its own path.
        public var documentedPaths: [String]?

        public struct Response: Sendable {
            public var description: String
            public var schema: JSONValue?
            public var contentType: String

            public init(_ description: String, schema: JSONValue? = nil, contentType: String = "application/json") {
                self.description = description
                self.schema = schema
                self.contentType = contentType
            }
        }

        public init(
            _ method: String, _ path: String, summary: String, tags: [String] = [], security: Security = .none,
            parameters: [JSONValue] = [], requestBody: JSONValue? = nil, responses: [Int: Response], documentedPaths: [String]? = nil
        ) {
            self.method = method.lowercased()
            self.path = path
            self.summary = summary
            self.tags = tags
            self.security = security
            self.parameters = parameters
            self.requestBody = requestBody
            self.responses = responses
            self.documentedPaths = documentedPaths
        }

        var json: JSONValue {
            var fields: [String: JSONValue] = [
                "summary": .string(summary),
                "operationId": .string(Self.operationID(method: method, path: path)),
                "responses": .object(
                    Dictionary(
                        uniqueKeysWithValues: responses.map { code, response in
                            var entry: [String: JSONValue] = ["description": .string(response.description)]
                            if let schema = response.schema {
                                entry["content"] = .object([response.contentType: ["schema": schema]])
                            }
                            return (String(code), JSONValue.object(entry))
                        })
                ),
            ]
            if !tags.isEmpty { fields["tags"] = .array(tags.map(JSONValue.string)) }
            if !parameters.isEmpty { fields["parameters"] = .array(parameters) }
            if let requestBody { fields["requestBody"] = requestBody }
            fields["security"] = security == .bearer ? [["BearerAuth": []]] : []
            return .object(fields)
        }

        static func operationID(method: String, path: String) -> String {
            let words = path.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
            return ([method] + (words.isEmpty ? ["root"] : words)).joined(separator: "_")
        }
    }

    public var title: String
    public var version: String
    public var description: String
    public var operations: [Operation]

    public init(title: String, version: String, description: String, operations: [Operation] = []) {
        self.title = title
        self.version = version
        self.description = description
        self.operations = operations
    }

    /// The document; `servers` lists the root path so "Try it" calls go through the prefix.
    public func json(rootPath: String?) -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for operation in operations {
            for path in operation.documentedPaths ?? [operation.path] {
                var entry = operation
                entry.path = path
                paths[path, default: [:]][operation.method] = entry.json
            }
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": .string(title), "version": .string(version), "description": .string(description)],
            "servers": [["url": .string(rootPath ?? "/")]],
            "paths": .object(paths.mapValues(JSONValue.object)),
            "components": ["securitySchemes": ["BearerAuth": ["type": "http", "scheme": "bearer"]]],
        ]
    }

    // MARK: Schema helpers

    public static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map(JSONValue.string)) }
        return .object(schema)
    }

    public static let string: JSONValue = ["type": "string"]
    public static let integer: JSONValue = ["type": "integer"]
    public static let boolean: JSONValue = ["type": "boolean"]
    public static let anyObject: JSONValue = ["type": "object"]
    public static let errorDetail: JSONValue = object(["detail": [:]], required: ["detail"])

    public static func jsonBody(_ schema: JSONValue, required: Bool = true) -> JSONValue {
        ["required": .bool(required), "content": ["application/json": ["schema": schema]]]
    }

    public static func formBody(_ schema: JSONValue) -> JSONValue {
        ["required": true, "content": ["application/x-www-form-urlencoded": ["schema": schema]]]
    }
}
