import Access
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
struct LoginRoutes: ServiceFeature {
    let loginURL: String
    let timeout: Duration
    var httpClient: HTTPClient = UpstreamHTTPClient.shared

    init(authAPIURL: URL, timeout: Duration) {
        self.loginURL = AAIClient.base(of: authAPIURL) + "/user/login"
        self.timeout = timeout
    }

    /// Both routes are `user read` of a public object: anyone may try to log in.
    var routes: [Route<IdentityRequestContext>] {
        let access = PolicyAccess.policy(.user, .read, .fixed(.public))
        return [
            Route.post("/user/login", "Log in with username and password (JSON).", access: access).tags("user")
                .body(JSONInput<Credentials>.self).answers(200, "The IdP's token answer", schema: JSONSchema.of(TokenAnswer.self))
                .responds(401, "Wrong username or password").responds(502, "Identity provider failure")
                .handle { call in try await login(username: call.body.value.username, password: call.body.value.password) },
            Route.post("/token", "Log in with username and password (form).", access: access).tags("user")
                .body(FormInput<Credentials>.self).answers(200, "The IdP's token answer", schema: JSONSchema.of(TokenAnswer.self))
                .responds(401, "Wrong username or password").responds(502, "Identity provider failure")
                .handle { call in try await login(username: call.body.value.username, password: call.body.value.password) },
        ]
    }

    /// What both routes take: two non-empty strings.
    struct Credentials: Decodable, Sendable, Validatable {
        var username: String
        var password: String

        func validate(_ checks: inout FieldChecks) {
            checks.length(username, "username", 1...Int.max)
            checks.length(password, "password", 1...Int.max)
        }
    }

    /// The IdP's answer, passed on unchanged (it has these keys, and often `roles` and `groups`).
    struct TokenAnswer: Decodable {
        var access_token: String
        var token_type: String?
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
}
