import Access
import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceKit
import TestSupport
import Testing

/// The shared middleware stack and routes, through a small test service.
@Suite("HTTP conventions")
struct HTTPConventionsTests {
    /// An IdP that knows one token; no network needed for routing tests.
    struct StaticIdP: IdentityProvider {
        func identify(token: String) async throws -> UserIdentity {
            guard token == "good-token" else { throw IdentityProviderError.unauthorized }
            return UserIdentity(subject: "s-1", username: "u")
        }
    }

    static func service(
        style: ErrorStyle = .envelope, rootPaths: [String] = ["/rexec"], maxBody: Int = 1024, timeout: Duration = .seconds(5),
        checks: [ReadinessCheck] = [], lifecycle: LifecycleState = LifecycleState()
    ) -> ServiceDefinition<IdentityRequestContext> {
        let access = EndpointAccess(
            authenticator: RequestAuthenticator(provider: StaticIdP(), dialect: .epGateway), settings: AccessSettings(), policy: .builtIn())
        typealias Test = Route<IdentityRequestContext>
        return ServiceDefinition(
            name: "test",
            settings: HTTPServerSettings(host: "127.0.0.1", port: 0, rootPaths: rootPaths, maxBodyBytes: maxBody, requestTimeout: timeout),
            errorStyle: style,
            openAPI: OpenAPIDocument(title: "Test", version: "1.2.3", description: "d"),
            readinessChecks: checks, metricsRegistry: PrometheusCollectorRegistry(), lifecycle: lifecycle,
            routes: [
                RootRoute.route(access: .open),
                Test.post("/form", "Echo a form.", access: .open).body(RawBody.self).handleRequest { request, _ in
                    let form = try await FormBody.read(from: request)
                    return JSONValue.object([
                        "requirments": .array(form.all("requirments").map(JSONValue.string)), "token": .string(form.first("token") ?? ""),
                    ])
                },
                Test.get("/slow", "Never in time.", access: .open).handle { _ in
                    try await Sleep.for(.seconds(30))
                    return JSONValue.string("late")
                },
                Test.get("/boom", "Fails unexpectedly.", access: .open).handle { _ -> JSONValue in throw CocoaError(.fileNoSuchFile) },
                Test.get("/whoami", "The caller.", access: .policy(RouteAccessLevelTests.whoami)).handle { call in
                    JSONValue.string(try call.context.requireIdentity().sub)
                },
                Test.get("/conflict", "Always 409.", access: .open).handle { _ -> JSONValue in throw APIError(.conflict, detail: "already there") },
                Test.post("/typed", "A typed body and query.", access: .open).query(TypedQuery.self).body(TypedBody.self).handle { call in
                    JSONValue.object(["port": .number(Double(call.body.port)), "verbose": .bool(call.query.verbose ?? false)])
                },
            ],
            guards: { access.middleware(for: $0) }
        )
    }

    struct TypedBody: JSONRequest, Validatable {
        var port: Int
        var name: String?

        func validate(_ checks: inout FieldChecks) {
            checks.range(port, "port", 0...65535)
        }
    }

    struct TypedQuery: QueryRequest {
        var verbose: Bool?
    }

    static func app(_ service: ServiceDefinition<IdentityRequestContext>, logger: Logger = quietLogger) -> some ApplicationProtocol {
        buildApplication(service, logger: logger)
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()

    static func json(_ buffer: ByteBuffer) throws -> JSONValue {
        try JSONValue.decode(Data(buffer: buffer))
    }

    @Test("a well-formed X-Correlation-ID is echoed; otherwise one is generated")
    func correlationID() async throws {
        try await Self.app(Self.service()).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get, headers: [CorrelationIDHeader.name: "abc-123"]) { response in
                #expect(response.headers[CorrelationIDHeader.name] == "abc-123")
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                let id = try #require(response.headers[CorrelationIDHeader.name])
                #expect(UUID(uuidString: id) != nil)
            }
            let tooLong = String(repeating: "x", count: 200)
            try await client.execute(uri: "/nope", method: .get, headers: [CorrelationIDHeader.name: tooLong]) { response in
                let id = try #require(response.headers[CorrelationIDHeader.name])
                #expect(id != tooLong && UUID(uuidString: id) != nil)
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("routes answer with and without the root path", arguments: ["/healthz", "/rexec/healthz", "/api/x/healthz"])
    func rootPath(path: String) async throws {
        try await Self.app(Self.service(rootPaths: ["/rexec", "/api/x"])).test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("the bare prefix reaches /, and look-alike prefixes do not strip")
    func rootPathEdges() async throws {
        try await Self.app(Self.service()).test(.router) { client in
            try await client.execute(uri: "/rexec", method: .get) { response in
                let json = try Self.json(response.body)
                #expect(json == .string(RootRoute.message))
            }
            try await client.execute(uri: "/rexec?x=1", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/rexecutor/healthz", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("EP errors use the envelope with the path as sent")
    func envelope() async throws {
        try await Self.app(Self.service()).test(.router) { client in
            try await client.execute(uri: "/rexec/conflict", method: .get, headers: [CorrelationIDHeader.name: "cid-1"]) { response in
                #expect(response.status == .conflict)
                let body = try Self.json(response.body)
                #expect(body["error"] == "Conflict")
                #expect(body["detail"] == "already there")
                #expect(body["correlation_id"] == "cid-1")
                #expect(body["path"] == "/rexec/conflict")
                let timestamp = try #require(body["timestamp"]?.stringValue)
                #expect(timestamp.hasSuffix("+00:00"))
            }
        }
    }

    @Test("FastAPI-style services answer {detail}; unknown routes are not wrapped")
    func detailStyle() async throws {
        try await Self.app(Self.service(style: .detail)).test(.router) { client in
            try await client.execute(uri: "/conflict", method: .get) { response in
                let json = try Self.json(response.body)
                #expect(json == ["detail": "already there"])
            }
            try await client.execute(uri: "/missing", method: .get) { response in
                #expect(response.status == .notFound)
                let json = try Self.json(response.body)
                #expect(json == ["detail": "Not Found"])
            }
        }
    }

    @Test("a known path with another method is 405 with Allow, in either style and under the root path")
    func methodNotAllowed() async throws {
        for style in [ErrorStyle.detail, .envelope] {
            try await Self.app(Self.service(style: style)).test(.router) { client in
                for uri in ["/form", "/rexec/form"] {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect(response.status == .methodNotAllowed)
                        #expect(response.headers[.allow] == "POST")
                        let json = try Self.json(response.body)
                        #expect(json["detail"] == "Method Not Allowed")
                    }
                }
                try await client.execute(uri: "/form/extra", method: .get) { response in #expect(response.status == .notFound) }
            }
        }
    }

    @Test("unexpected errors become a generic 500 that leaks nothing")
    func unexpectedError() async throws {
        try await Self.app(Self.service()).test(.router) { client in
            try await client.execute(uri: "/boom", method: .get) { response in
                #expect(response.status == .internalServerError)
                let body = try Self.json(response.body)
                #expect(body["detail"] == "An unexpected error occurred. Please try again later.")
                #expect(body["error"] == "InternalServerError")
            }
        }
    }

    @Test("bodies over the limit get 413, declared or streamed")
    func bodyLimit() async throws {
        try await Self.app(Self.service(maxBody: 1024)).test(.live) { client in
            let big = ByteBuffer(repeating: UInt8(ascii: "a"), count: 4096)
            try await client.execute(uri: "/form", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: big) {
                response in
                #expect(response.status == .contentTooLarge)
                let json = try Self.json(response.body)
                #expect(json["detail"] == "Request body exceeds the limit of 1024 bytes.")
            }
            let small = ByteBuffer(string: "requirments=python%3D%3D3.11&requirments=numpy%3E%3D1.26&token=a+b")
            try await client.execute(uri: "/form", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: small) {
                response in
                #expect(response.status == .ok)
                let json = try Self.json(response.body)
                #expect(json == ["requirments": ["python==3.11", "numpy>=1.26"], "token": "a b"])
            }
        }
        // Without Content-Length the limit is enforced while reading.
        try await Self.app(Self.service(maxBody: 1024)).test(.router) { client in
            let big = ByteBuffer(repeating: UInt8(ascii: "a"), count: 4096)
            try await client.execute(uri: "/form", method: .post, headers: [.transferEncoding: "chunked"], body: big) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
    }

    @Test("a handler that overruns the request timeout is cancelled with 503")
    func requestTimeout() async throws {
        try await Self.app(Self.service(timeout: .milliseconds(100))).test(.router) { client in
            let started = ContinuousClock.now
            try await client.execute(uri: "/slow", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let json = try Self.json(response.body)
                #expect(json["detail"] == "Request timed out after 0.1 seconds.")
            }
            #expect(ContinuousClock.now - started < .seconds(20))
        }
    }

    @Test(
        "bearer tokens: scheme is case-insensitive; missing or empty → 401 Not authenticated",
        arguments: [
            ("Bearer good-token", 200), ("bearer good-token", 200), ("BEARER   good-token ", 200),
            ("Bearer", 401), ("Bearer   ", 401), ("Basic good-token", 401), ("Bearer bad-token", 401),
        ])
    func bearer(header: String, status: Int) async throws {
        try await Self.app(Self.service()).test(.router) { client in
            try await client.execute(uri: "/whoami", method: .get, headers: [.authorization: header]) { response in
                #expect(Int(response.status.code) == status)
                if status == 200 {
                    let json = try Self.json(response.body)
                    #expect(json == "s-1")
                }
            }
        }
    }

    @Test("no Authorization header → 401 Not authenticated with WWW-Authenticate")
    func missingAuthorization() async throws {
        try await Self.app(Self.service()).test(.router) { client in
            try await client.execute(uri: "/whoami", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                let json = try Self.json(response.body)
                #expect(json["detail"] == "Not authenticated")
            }
        }
    }

    @Test("/readyz reports each dependency and 503 when one is down or the process drains")
    func readiness() async throws {
        let lifecycle = LifecycleState()
        let checks = [
            ReadinessCheck(name: "good") {},
            ReadinessCheck(name: "bad") { throw CancellationError() },
            ReadinessCheck(name: "hung", timeout: .milliseconds(50)) { try await Sleep.for(.seconds(30)) },
        ]
        try await Self.app(Self.service(checks: checks, lifecycle: lifecycle)).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try Self.json(response.body)
                #expect(body["status"] == "not_ready")
                #expect(body["checks"]?["good"]?["status"] == "up")
                #expect(body["checks"]?["bad"]?["status"] == "down")
                #expect(body["checks"]?["hung"]?["error"] == "no answer within 0.05 s")
            }
        }
        try await Self.app(Self.service(checks: [ReadinessCheck(name: "good") {}], lifecycle: lifecycle)).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
            }
            lifecycle.beginDraining()
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let json = try Self.json(response.body)
                #expect(json["status"] == "draining")
            }
        }
    }

    @Test("/metrics speaks the Prometheus text format")
    func metrics() async throws {
        let service = Self.service()
        Counter(label: "test_marker_total", factory: PrometheusMetricsFactory(registry: service.metricsRegistry)).increment()
        try await Self.app(service).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                #expect(String(buffer: response.body).contains("test_marker_total 1"))
            }
        }
    }

    @Test("/openapi.json lists the service's and the shared operations; /docs renders them")
    func openAPI() async throws {
        try await Self.app(Self.service()).test(.router) { client in
            try await client.execute(uri: "/rexec/openapi.json", method: .get) { response in
                let document = try Self.json(response.body)
                #expect(document["openapi"] == "3.1.0")
                #expect(document["info"]?["version"] == "1.2.3")
                #expect(document["servers"] == [["url": "/rexec"]])
                let paths = try #require(document["paths"]?.objectValue)
                #expect(Set(paths.keys).isSuperset(of: ["/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"]))
                #expect(document["paths"]?["/"]?["get"]?["operationId"] == "get_root")
            }
            try await client.execute(uri: "/docs", method: .get) { response in
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = String(buffer: response.body)
                #expect(html.contains("/rexec/openapi.json") && html.contains("/readyz"))
            }
        }
    }

    @Test("CORS preflight reflects the origin, as upstream")
    func cors() async throws {
        try await Self.app(Self.service()).test(.router) { client in
            try await client.execute(
                uri: "/whoami", method: .options,
                headers: [.origin: "https://ui.example.org", .accessControlRequestMethod: "GET"]
            ) { response in
                #expect(response.headers[.accessControlAllowOrigin] == "https://ui.example.org")
                #expect(response.headers[.accessControlAllowCredentials] == "true")
            }
        }
    }

    @Test("request logs carry the correlation id and never the token")
    func accessLogs() async throws {
        let logs = LogCapture()
        try await Self.app(Self.service(), logger: logs.logger()).test(.router) { client in
            try await client.execute(
                uri: "/whoami?token=good-token", method: .get,
                headers: [.authorization: "Bearer good-token", CorrelationIDHeader.name: "trace-me"]
            ) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(logs.text.contains("trace-me"))
        #expect(logs.text.contains("/whoami"))
        #expect(!logs.text.contains("good-token"))
    }
}

/// Each route is declared once: its access, its body and query types and its answer make the
/// router's middleware, the OpenAPI document and the route tables.
@Suite("Declared routes")
struct RouteAccessLevelTests {
    static let whoami = PolicyBinding(.status, .read, .fixed(.protected))

    @Test("a route's access is enforced: the policy-bound route needs a token, the open ones do not")
    func enforced() async throws {
        try await HTTPConventionsTests.app(HTTPConventionsTests.service()).test(.router) { client in
            try await client.execute(uri: "/whoami", method: .get) { response in #expect(response.status == .unauthorized) }
            try await client.execute(uri: "/whoami", method: .get, headers: [.authorization: "Bearer good-token"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/", method: .get) { response in #expect(response.status == .ok) }
        }
    }

    @Test("the OpenAPI document is written from the declarations: schemas from the types, 401 and 403 from the access")
    func documented() throws {
        let service = HTTPConventionsTests.service()
        let document = service.document.json(rootPath: nil)
        let typed = try #require(document["paths"]?["/typed"]?["post"])
        #expect(typed["requestBody"]?["content"]?["application/json"]?["schema"]?["required"] == ["port"])
        #expect(typed["parameters"]?[0]?["name"] == "verbose")
        #expect(typed["responses"]?["422"] != nil)
        let whoami = try #require(document["paths"]?["/whoami"]?["get"])
        #expect(whoami["responses"]?["401"] != nil && whoami["responses"]?["403"] != nil)
        #expect(whoami["security"] == [["BearerAuth": []]])
        expectWellDeclaredRoutes(service, governedByPolicy: false)
    }

    @Test("a typed body takes what pydantic's lax mode takes (\"port\": \"9092\") and refuses the rest with FastAPI's 422")
    func typedBody() async throws {
        try await HTTPConventionsTests.app(HTTPConventionsTests.service()).test(.router) { client in
            try await client.execute(uri: "/typed?verbose=yes", method: .post, body: ByteBuffer(string: #"{"port": "9092"}"#)) { response in
                #expect(response.status == .ok)
                let body = try HTTPConventionsTests.json(response.body)
                #expect(body == ["port": 9092, "verbose": true])
            }
            try await client.execute(uri: "/typed", method: .post, body: ByteBuffer(string: #"{"port": "x", "name": 3}"#)) { response in
                #expect(response.status == .unprocessableContent)
                let body = try HTTPConventionsTests.json(response.body)
                let detail = body["detail"]
                #expect(detail?.arrayValue?.map { $0["type"] } == ["int_parsing", "string_type"])
                #expect(detail?[0]?["loc"] == ["body", "port"])
            }
            try await client.execute(uri: "/typed", method: .post, body: ByteBuffer(string: "not json")) { response in
                #expect(response.status == .unprocessableContent)
                let body = try HTTPConventionsTests.json(response.body)
                #expect(body["detail"]?[0]?["type"] == "json_invalid")
            }
            try await client.execute(uri: "/typed", method: .post) { response in
                #expect(response.status == .unprocessableContent)
                let body = try HTTPConventionsTests.json(response.body)
                #expect(body["detail"]?[0]?["loc"] == ["body"])
            }
        }
    }

    @Test("a route that is not bound to the policy, or declared twice, is named")
    func misdeclared() {
        var service = HTTPConventionsTests.service()
        service.routes.append(service.routes[0])
        withKnownIssue {
            expectWellDeclaredRoutes(service, governedByPolicy: true)
        } matching: { issue in
            let text = issue.comments.map(\.rawValue).joined()
            return text.contains("GET / is declared twice") || text.contains("is not bound to the access policy")
        }
    }
}
