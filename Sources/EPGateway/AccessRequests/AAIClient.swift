import AsyncHTTPClient
import Essentials
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import ServiceKit

/// The AAI's group and role calls (docs/specs/ndp-ep.md §3.1): at the scheme and host of
/// `AUTH_API_URL`, made with the deciding admin's own token, so the AAI checks the admin's
/// rights itself. Answers map as upstream's: 400/401 → 401, 403 → 403, 404 → 404, anything
/// else (or no answer within the timeout) → 502.
struct AAIClient: Sendable {
    let base: String
    let timeout: Duration
    var http: HTTPClient = UpstreamHTTPClient.shared

    init(authAPIURL: URL, timeout: Duration = .seconds(15)) {
        base = Self.base(of: authAPIURL)
        self.timeout = timeout
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
        try await post("/group/add-user", ["group_name": .string(group), "username": .string(username)], token: token)
    }

    /// `POST /role/assign {role_name, username, group_name}`.
    func assignRole(_ role: String, to username: String, inGroup group: String, token: String) async throws {
        try await post("/role/assign", ["role_name": .string(role), "username": .string(username), "group_name": .string(group)], token: token)
    }

    private func post(_ path: String, _ body: JSONValue, token: String) async throws {
        let status: Int
        let text: String
        do {
            let answer = try await http.exchange(
                .POST, base + path, headers: [("Authorization", "Bearer \(token)")], json: body, timeout: timeout, limit: 64 << 10)
            (status, text) = (answer.status, answer.text)
        } catch {
            throw APIError(.badGateway, detail: "The AAI did not answer \(path): \(error)")
        }
        guard !(200..<300).contains(status) else { return }
        let reason = (try? JSONValue.decode(Data(text.utf8))).flatMap { $0["detail"]?.stringValue ?? $0["error"]?.stringValue } ?? text
        let answer: HTTPResponse.Status =
            switch status {
            case 400, 401: .unauthorized
            case 403: .forbidden
            case 404: .notFound
            default: .badGateway
            }
        throw APIError(answer, detail: "The AAI refused \(path) (HTTP \(status)): \(reason.prefix(300))")
    }
}
