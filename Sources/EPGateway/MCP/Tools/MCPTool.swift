import Access
import AccessPolicy
import Essentials
import HTTPTypes
import NIOHTTP1
import ServiceKit

/// One MCP tool made from one declared route (or one of the paths a catch-all route is
/// documented under): what `tools/list` shows of it, and how a call's arguments become the
/// route's path, query and JSON body.
struct MCPTool: Sendable {
    let name: String
    let description: String
    /// What the policy decides for it: `create dataset (public)`.
    let access: String
    let inputSchema: JSONValue
    /// The success answer's schema as an object (an array or scalar answer is wrapped as
    /// `{"result": …}`, since structured content is an object); nil where the answer is not JSON.
    let outputSchema: JSONValue?
    let wrapsResult: Bool
    let annotations: JSONValue
    let call: HTTPCall

    /// Where the arguments go.
    struct HTTPCall: Sendable {
        let method: HTTPRequest.Method
        /// `/s3/objects/{bucket}/{key}/metadata`.
        let pathTemplate: String
        let pathParameters: [String]
        /// The path parameter that may hold slashes (a catch-all route's tail, an object key).
        let tailParameter: String?
        let queryParameters: [String]
        /// Top-level properties of the JSON body; nil when the route takes no body.
        let bodyProperties: [String]?
        /// The whole body is one argument (`body`) when its schema has no properties to list.
        let wholeBody: Bool
        var bodyEncoding: BodyEncoding = .json
    }

    /// How the body's arguments are sent: as a JSON object, or as form fields (a list repeated).
    enum BodyEncoding: Sendable {
        case json
        case form
    }

    /// A request's body, as its route takes it.
    enum Body: Sendable, Equatable {
        case json(JSONValue)
        case form(FormBody)
    }

    var listing: JSONValue {
        var fields: [String: JSONValue] = [
            "name": .string(name), "description": .string(description), "inputSchema": inputSchema, "annotations": annotations,
        ]
        if let outputSchema { fields["outputSchema"] = outputSchema }
        return .object(fields)
    }

    /// What a call's arguments name that this tool does not take, or lacks that it needs.
    func problems(in arguments: [String: JSONValue]) -> String? {
        Self.problems(in: arguments, schema: inputSchema)
    }

    /// The arguments checked against an input schema's `required` and `properties` (the
    /// property schemas themselves are the route's to check: it answers 422 naming the field).
    static func problems(in arguments: [String: JSONValue], schema: JSONValue) -> String? {
        let required = schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if let missing = required.first(where: { arguments[$0] == nil || arguments[$0] == .null }) {
            return "'\(missing)' is a required property"
        }
        let known = Set(schema["properties"]?.objectValue?.keys.map { $0 } ?? [])
        let unknown = arguments.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            return "unknown argument\(unknown.count == 1 ? "" : "s") \(unknown.map { "'\($0)'" }.joined(separator: ", ")); this tool takes "
                + (known.isEmpty ? "none" : known.sorted().joined(separator: ", "))
        }
        return nil
    }

    /// The path and query the arguments make (`/dataset/sea%20temp?x=1`), and the JSON body.
    func request(_ arguments: [String: JSONValue]) -> (target: String, body: Body?) {
        var path = call.pathTemplate
        for name in call.pathParameters {
            let value = arguments[name].flatMap(Self.text) ?? ""
            let encoded =
                name == call.tailParameter
                ? value.split(separator: "/", omittingEmptySubsequences: false).map { Self.encodeSegment(String($0)) }.joined(separator: "/")
                : Self.encodeSegment(value)
            path = path.replacingOccurrences(of: "{\(name)}", with: encoded)
        }
        var query: [(String, String)] = []
        for name in call.queryParameters {
            guard let value = arguments[name], value != .null else { continue }
            for item in value.arrayValue ?? [value] { if let text = Self.text(item) { query.append((name, text)) } }
        }
        if !query.isEmpty {
            path += "?" + FormBody(fields: query).encoded
        }
        guard let properties = call.bodyProperties else { return (path, nil) }
        if call.wholeBody { return (path, .json(arguments["body"] ?? [:])) }
        let given = arguments.filter { properties.contains($0.key) }
        switch call.bodyEncoding {
        case .json:
            return (path, .json(.object(given)))
        case .form:
            var fields: [(name: String, value: String)] = []
            for (name, value) in given.sorted(by: { $0.key < $1.key }) {
                for item in value.arrayValue ?? [value] { if let text = Self.text(item) { fields.append((name, text)) } }
            }
            return (path, .form(FormBody(fields: fields)))
        }
    }

    /// A scalar as a query or path value: numbers without a needless `.0`, booleans as JSON's.
    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .null, .array, .object: nil
        }
    }

    private static let segmentAllowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:@!$&'()*+,;=".utf8)

    static func encodeSegment(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if segmentAllowed.contains(byte) {
                encoded.append(Character(UnicodeScalar(byte)))
            } else {
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }
}
