import Essentials
import Foundation
import HTTPTypes
import ServiceKit

/// The AAI's group and role calls (docs/specs/ndp-ep.md §3.1): at the scheme and host of
/// `AUTH_API_URL`, made with the deciding admin's own token, so the AAI checks the admin's
/// rights itself. Answers map as upstream's: 400/401 → 401, 403 → 403, 404 → 404, anything
/// else (or no answer within the timeout) → 502.
struct AAIClient: Sendable {
    let upstream: JSONUpstream

    init(authAPIURL: URL, timeout: Duration = .seconds(15)) {
        upstream = JSONUpstream(base: Self.base(of: authAPIURL), timeout: timeout, answerLimit: 64 << 10)
    }

    /// `https://idp.example.org/temp/information` → `https://idp.example.org`.
    static func base(of authAPIURL: URL) -> String {
        var components = URLComponents()
        components.scheme = authAPIURL.scheme
        components.host = authAPIURL.host
        components.port = authAPIURL.port
        return components.string ?? authAPIURL.absoluteString
    }

    /// `POST /group/add-user {group_name, username}`.
    func addUser(_ username: String, toGroup group: String, token: String) async throws {
        try await post("group/add-user", ["group_name": .string(group), "username": .string(username)], token: token)
    }

    /// `POST /role/assign {role_name, username, group_name}`.
    func assignRole(_ role: String, to username: String, inGroup group: String, token: String) async throws {
        try await post("role/assign", ["role_name": .string(role), "username": .string(username), "group_name": .string(group)], token: token)
    }

    private func post(_ path: String, _ body: JSONValue, token: String) async throws {
        let answer: UpstreamAnswer
        do {
            answer = try await upstream.call(.POST, path, headers: [("Authorization", "Bearer \(token)")], json: body)
        } catch {
            throw APIError(.badGateway, detail: "The AAI did not answer /\(path): \(error)")
        }
        guard !answer.isSuccess else { return }
        let status: HTTPResponse.Status =
            switch answer.status {
            case 400, 401: .unauthorized
            case 403: .forbidden
            case 404: .notFound
            default: .badGateway
            }
        throw APIError(status, detail: "The AAI refused /\(path) (HTTP \(answer.status)): \(answer.reason("detail", "error"))")
    }
}
