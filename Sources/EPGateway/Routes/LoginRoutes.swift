import AsyncHTTPClient
import Essentials
import Foundation
import Hummingbird
import Identity
import NIOCore
import ServiceKit

/// `POST /user/login` (JSON, ndp-ep ≥ 0.8.1) and `POST /token` (form, ndp-ep ≤ 0.8.0): both
/// forwarded to the IdP's `/user/login` at the host of `AUTH_API_URL`; the IdP's answer comes
/// back unchanged on success (docs/specs/ndp-ep.md §2.4). Passwords are never logged.
struct LoginRoutes: Sendable {
    let loginURL: String
    let timeout: Duration
    var httpClient: HTTPClient = UpstreamHTTPClient.shared

    init(authAPIURL: URL, timeout: Duration) {
        self.loginURL = AAIClient.base(of: authAPIURL) + "/user/login"
        self.timeout = timeout
    }

    var collection: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.post("user/login") { request, _ in
            let object = try await JSONBody.object(from: request, expecting: "a JSON object with username and password is required")
            return try await login(
                username: try Self.field(object["username"]?.stringValue, "username"),
                password: try Self.field(object["password"]?.stringValue, "password"))
        }
        routes.post("token") { request, _ in
            let form = try await FormBody.read(from: request)
            return try await login(
                username: try Self.field(form.first("username"), "username"), password: try Self.field(form.first("password"), "password"))
        }
        return routes
    }

    static func field(_ value: String?, _ name: String) throws -> String {
        guard let value, !value.isEmpty else { throw APIError.validation("field required", field: name) }
        return value
    }

    func login(username: String, password: String) async throws -> JSONValue {
        var request = HTTPClientRequest(url: loginURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: JSONValue.object(["username": .string(username), "password": .string(password)]).bytes()))
        let status: Int
        let body: ByteBuffer
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            status = Int(response.status.code)
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw APIError(.badGateway, detail: "Authentication service is unavailable.")
        }
        let answer = try? JSONValue.decode(Data(buffer: body))
        switch status {
        case 200:
            guard let answer, answer["access_token"]?.stringValue != nil else {
                throw APIError(.badGateway, detail: "Authentication service returned an invalid login response.")
            }
            return answer
        case 400, 401, 403:
            let reason = answer?["error"]?.stringValue ?? answer?["detail"]?.stringValue ?? "Invalid username or password"
            throw APIError(.unauthorized, detail: reason)
        default:
            throw APIError(.badGateway, detail: "Authentication service returned unexpected response (HTTP \(status)).")
        }
    }

    static let operations: [OpenAPIDocument.Operation] = {
        let tokenAnswer = OpenAPIDocument.object(
            ["access_token": OpenAPIDocument.string, "token_type": OpenAPIDocument.string], required: ["access_token"])
        let errors: [Int: OpenAPIDocument.Operation.Response] = [
            401: .init("Wrong username or password", schema: OpenAPIDocument.errorDetail),
            422: .init("Missing field", schema: OpenAPIDocument.errorDetail),
            502: .init("Identity provider failure", schema: OpenAPIDocument.errorDetail),
        ]
        let credentials = OpenAPIDocument.object(
            ["username": ["type": "string", "minLength": 1], "password": ["type": "string", "minLength": 1]], required: ["username", "password"]
        )
        return [
            .init(
                "POST", "/user/login", summary: "Log in with username and password (JSON).", tags: ["user"],
                requestBody: OpenAPIDocument.jsonBody(credentials),
                responses: errors.merging([200: .init("The IdP's token answer", schema: tokenAnswer)]) { $1 }),
            .init(
                "POST", "/token", summary: "Log in with username and password (form).", tags: ["user"],
                requestBody: OpenAPIDocument.formBody(credentials),
                responses: errors.merging([200: .init("The IdP's token answer", schema: tokenAnswer)]) { $1 }),
        ]
    }()
}
