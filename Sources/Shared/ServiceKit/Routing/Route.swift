import Essentials
import HTTPTypes
import Hummingbird

/// One route, declared once: its method and path, who may call it, what it does, and the
/// types of its query, body and answer. The router registration, the access middleware, the
/// OpenAPI operation (schemas from the types), the docs' route tables and the tests' access
/// checks all read this value.
///
/// ```swift
/// Route<IdentityRequestContext>.post("/organization", "Create an organization", access: .policy(.organization, .create, .fixed(.public)))
///     .body(NewOrganization.self)
///     .responds(409, "The name is taken")
///     .handle(status: .created) { call in try await create(call.body, user: call.context.identity) }
/// ```
public struct Route<Context: ServiceRequestContext>: Sendable {
    public let method: HTTPRequest.Method
    /// As the router matches it: `/organization/{name}`, `/s3/objects/{bucket}/**`.
    public let path: String
    public let access: Context.Access
    public let operation: OpenAPIDocument.Operation
    /// Middleware that answers before the access check (what FastAPI validates first, a redirect).
    public let before: [any MiddlewareProtocol<Request, Response, Context>]
    /// The route streams its request body: it bounds it itself, past the body limit, and the
    /// request timeout bounds the gaps in the body instead of the whole request.
    public let streamsBody: Bool
    let respond: @Sendable (Request, Context) async throws -> Response

    public func respond(to request: Request, context: Context) async throws -> Response {
        try await respond(request, context)
    }

    /// `GET /status/rexec`.
    public var name: String { "\(method.rawValue) \(path)" }

    public static func get(_ path: String, _ summary: String, access: Context.Access) -> RouteBuilder<Context, NoQuery, NoBody> {
        RouteBuilder(method: .get, path: path, summary: summary, access: access)
    }

    public static func post(_ path: String, _ summary: String, access: Context.Access) -> RouteBuilder<Context, NoQuery, NoBody> {
        RouteBuilder(method: .post, path: path, summary: summary, access: access)
    }

    public static func put(_ path: String, _ summary: String, access: Context.Access) -> RouteBuilder<Context, NoQuery, NoBody> {
        RouteBuilder(method: .put, path: path, summary: summary, access: access)
    }

    public static func patch(_ path: String, _ summary: String, access: Context.Access) -> RouteBuilder<Context, NoQuery, NoBody> {
        RouteBuilder(method: .patch, path: path, summary: summary, access: access)
    }

    public static func delete(_ path: String, _ summary: String, access: Context.Access) -> RouteBuilder<Context, NoQuery, NoBody> {
        RouteBuilder(method: .delete, path: path, summary: summary, access: access)
    }

    public static func on(
        _ method: HTTPRequest.Method, _ path: String, _ summary: String, access: Context.Access
    ) -> RouteBuilder<Context, NoQuery, NoBody> {
        RouteBuilder(method: method, path: path, summary: summary, access: access)
    }
}

/// What a handler gets: the decoded query and body, the request and its context.
public struct RouteCall<Context: ServiceRequestContext, Query: RouteQuery, Body: RouteBody> {
    public let query: Query
    public let body: Body
    public let request: Request
    public let context: Context

    /// A path parameter (`{name}`), which the router guarantees.
    public func parameter(_ name: String) throws -> String {
        try context.parameters.require(name)
    }
}

/// Declares a route step by step; ``handle(status:_:)`` ends it.
public struct RouteBuilder<Context: ServiceRequestContext, Query: RouteQuery, Body: RouteBody>: Sendable {
    let method: HTTPRequest.Method
    let path: String
    let summary: String
    let access: Context.Access
    var tags: [String] = []
    var responses: [Int: OpenAPIDocument.Operation.Response] = [:]
    var parameters: [JSONValue] = []
    var requestBody: JSONValue?
    var before: [any MiddlewareProtocol<Request, Response, Context>] = []
    var streamsBody = false
    var documentedPaths: [String]?

    init(method: HTTPRequest.Method, path: String, summary: String, access: Context.Access) {
        self.method = method
        self.path = path.hasPrefix("/") ? path : "/" + path
        self.summary = summary
        self.access = access
    }

    private func with<NewQuery, NewBody>(_: NewQuery.Type, _: NewBody.Type) -> RouteBuilder<Context, NewQuery, NewBody> {
        var next = RouteBuilder<Context, NewQuery, NewBody>(method: method, path: path, summary: summary, access: access)
        next.tags = tags
        next.responses = responses
        next.parameters = parameters
        next.requestBody = requestBody
        next.before = before
        next.streamsBody = streamsBody
        next.documentedPaths = documentedPaths
        return next
    }

    /// The query parameters, as a Codable type.
    public func query<NewQuery: RouteQuery>(_ type: NewQuery.Type) -> RouteBuilder<Context, NewQuery, Body> {
        with(type, Body.self)
    }

    /// The request body, as a Codable type (``JSONRequest``, ``FormRequest``) or ``RawBody``.
    public func body<NewBody: RouteBody>(_ type: NewBody.Type) -> RouteBuilder<Context, Query, NewBody> {
        with(Query.self, type)
    }

    public func tags(_ names: String...) -> Self {
        var copy = self
        copy.tags += names
        return copy
    }

    /// Another answer the route may give; errors get the error body's schema.
    public func responds(_ status: Int, _ description: String, schema: JSONValue? = nil, contentType: String = "application/json") -> Self {
        var copy = self
        // `JSONValue` takes `nil` as JSON's null: say "no schema" explicitly.
        let documented: JSONValue? = schema ?? (status >= 400 ? OpenAPIDocument.errorDetail : Optional<JSONValue>.none)
        copy.responses[status] = .init(description, schema: documented, contentType: contentType)
        return copy
    }

    /// The success answer, for handlers that build the response themselves.
    public func answers(_ status: Int, _ description: String, schema: JSONValue, contentType: String = "application/json") -> Self {
        responds(status, description, schema: schema, contentType: contentType)
    }

    /// Parameters the handler reads itself (documented only).
    public func parameter(_ name: String, in place: String = "query", required: Bool = false, schema: JSONValue = JSONSchema.string) -> Self {
        var copy = self
        copy.parameters.append(["name": .string(name), "in": .string(place), "required": .bool(required), "schema": schema])
        return copy
    }

    /// A request body the handler reads itself (documented only).
    public func documentedBody(_ schema: JSONValue, contentType: String = "application/json", required: Bool = true) -> Self {
        var copy = self
        copy.requestBody = ["required": .bool(required), "content": .object([contentType: ["schema": schema]])]
        return copy
    }

    /// Middleware that runs before the access check.
    public func before(_ middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        var copy = self
        copy.before.append(middleware)
        return copy
    }

    /// The route streams its request body (``Route/streamsBody``).
    public func streamingBody() -> Self {
        var copy = self
        copy.streamsBody = true
        return copy
    }

    /// How a catch-all route (`/x/**`) appears in the OpenAPI document: the paths it serves.
    public func documented(as paths: String...) -> Self {
        var copy = self
        copy.documentedPaths = paths
        return copy
    }

    /// The route, answering what `handler` returns with `status` (a ``Response`` keeps its own).
    public func handle<Answer: RouteAnswer>(
        status: HTTPResponse.Status = .ok, _ handler: @escaping @Sendable (RouteCall<Context, Query, Body>) async throws -> Answer
    ) -> Route<Context> {
        var responses = self.responses
        if let answer = Answer.answerDocumentation, responses[status.code] == nil {
            responses[status.code] = .init(status.reasonPhrase, schema: answer.schema, contentType: answer.contentType)
        }
        if responses.keys.allSatisfy({ $0 >= 300 }) { responses[status.code] = .init(status.reasonPhrase) }
        if Query.self != NoQuery.self || Body.requestBodyDocumentation != nil, responses[422] == nil {
            responses[422] = .init("Invalid request: FastAPI's detail list of {type, loc, msg, input}", schema: OpenAPIDocument.errorDetail)
        }
        let pathParameters: [JSONValue] = RoutePath.parameters(in: documentedPaths?.first ?? path).map { name in
            ["name": .string(name), "in": "path", "required": true, "schema": JSONSchema.string]
        }
        let operation = OpenAPIDocument.Operation(
            method.rawValue, path, summary: summary, tags: tags, security: access.mayNeedCredential ? .bearer : .none,
            parameters: pathParameters + Query.parameterDocumentation + parameters, requestBody: Body.requestBodyDocumentation ?? requestBody,
            responses: responses, documentedPaths: documentedPaths)
        return Route(
            method: method, path: path, access: access, operation: operation, before: before, streamsBody: streamsBody,
            respond: { request, context in
                let query = try Query.read(from: request)
                let body = try await Body.read(from: request)
                let answer = try await handler(RouteCall(query: query, body: body, request: request, context: context))
                return try answer.makeResponse(status: status)
            })
    }
}

extension RouteBuilder where Query == NoQuery, Body: UndecodedBody {
    /// A handler written against the request and its context, which reads what it needs itself.
    public func handleRequest<Answer: RouteAnswer>(
        status: HTTPResponse.Status = .ok, _ handler: @escaping @Sendable (Request, Context) async throws -> Answer
    ) -> Route<Context> {
        handle(status: status) { call in try await handler(call.request, call.context) }
    }
}

/// Route path templates.
public enum RoutePath {
    /// `{bucket}` and `{key}` of `/s3/objects/{bucket}/{key}`.
    public static func parameters(in path: String) -> [String] {
        path.split(separator: "/").compactMap { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? String(part.dropFirst().dropLast()) : nil
        }
    }
}
