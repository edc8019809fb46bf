import Access
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// `POST /user/login` (JSON, ndp-ep ≥ 0.8.1) and `POST /token` (form, ndp-ep ≤ 0.8.0): both
/// forwarded to the IdP's `/user/login` at the host of `AUTH_API_URL`; the IdP's answer comes
/// back unchanged on success (docs/specs/ndp-ep.md §2.4). Passwords are never logged.
struct LoginRoutes: ServiceFeature {
    let idp: JSONUpstream

    init(authAPIURL: URL, timeout: Duration) {
        idp = JSONUpstream(base: AAIClient.base(of: authAPIURL), timeout: timeout)
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
        let answer: UpstreamAnswer
        do {
            answer = try await idp.call(.POST, "user/login", json: ["username": .string(username), "password": .string(password)])
        } catch {
            throw APIError(.badGateway, detail: "Authentication service is unavailable.")
        }
        switch answer.status {
        case 200:
            guard let token = answer.json, token["access_token"]?.stringValue != nil else {
                throw APIError(.badGateway, detail: "Authentication service returned an invalid login response.")
            }
            return token
        case 400, 401, 403:
            let said = answer.json
            throw APIError(.unauthorized, detail: said?["error"]?.stringValue ?? said?["detail"]?.stringValue ?? "Invalid username or password")
        default:
            throw APIError(.badGateway, detail: "Authentication service returned unexpected response (HTTP \(answer.status)).")
        }
    }
}
