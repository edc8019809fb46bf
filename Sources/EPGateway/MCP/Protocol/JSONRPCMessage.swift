import Essentials

/// One JSON-RPC 2.0 message as a client posts it to `/mcp`: a request (with an `id`) or a
/// notification (without one). Responses a client sends (to server requests) carry no
/// `method`; this server makes no requests of clients, so it accepts and ignores them.
struct JSONRPCMessage: Sendable {
    /// A number or a string, echoed as it came.
    var id: JSONValue?
    var method: String?
    var params: JSONValue

    var isNotification: Bool { id == nil && method != nil }

    /// Why a body is not one JSON-RPC message (answered with `-32600`/`-32700`).
    struct Invalid: Error {
        let code: Int
        let message: String
    }

    init(_ json: JSONValue) throws(Invalid) {
        guard case .object(let fields) = json else {
            // 2025-06-18 removed batches; no client of today sends one.
            throw Invalid(code: JSONRPCError.invalidRequest, message: "Invalid Request: one JSON-RPC message per POST (no batches)")
        }
        guard fields["jsonrpc"] == "2.0" else {
            throw Invalid(code: JSONRPCError.invalidRequest, message: "Invalid Request: jsonrpc must be \"2.0\"")
        }
        switch fields["id"] {
        case nil: id = nil
        case .string?, .number?: id = fields["id"]
        default: throw Invalid(code: JSONRPCError.invalidRequest, message: "Invalid Request: id must be a string or a number")
        }
        switch fields["method"] {
        case .string(let name)?: method = name
        case nil where fields["result"] != nil || fields["error"] != nil: method = nil
        default: throw Invalid(code: JSONRPCError.invalidRequest, message: "Invalid Request: method must be a string")
        }
        params = fields["params"] ?? [:]
        guard params.objectValue != nil else {
            throw Invalid(code: JSONRPCError.invalidParams, message: "Invalid params: params must be an object")
        }
    }

    static func result(id: JSONValue?, _ result: JSONValue) -> JSONValue {
        ["jsonrpc": "2.0", "id": id ?? .null, "result": result]
    }

    static func error(id: JSONValue?, code: Int, message: String) -> JSONValue {
        ["jsonrpc": "2.0", "id": id ?? .null, "error": ["code": .number(Double(code)), "message": .string(message)]]
    }
}

/// JSON-RPC's error codes (and MCP's use of them).
enum JSONRPCError {
    static let parse = -32700
    static let invalidRequest = -32600
    static let methodNotFound = -32601
    static let invalidParams = -32602
    static let internalError = -32603
    /// MCP: a resource that does not exist.
    static let resourceNotFound = -32002

    /// A failure the handler of one method reports as a JSON-RPC error.
    struct Failure: Error {
        let code: Int
        let message: String
    }
}
