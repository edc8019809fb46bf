import Crypto
import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import ServiceKit

/// Checks a request's credential against ``CallerAuthSettings`` and says who the caller is.
/// Failures are 401 with a `{detail}` body that names the problem, never the secret.
struct CallerAuthenticator: Sendable {
    static let secretHeader = HTTPField.Name("X-Backend-Secret")!
    static let adminHeader = HTTPField.Name("X-Backend-Admin-Secret")!
    static let timestampHeader = HTTPField.Name("X-Backend-Timestamp")!
    static let signatureHeader = HTTPField.Name("X-Backend-Signature")!

    let settings: CallerAuthSettings
    /// Set when `idp` is among the modes.
    let users: RequestAuthenticator?
    let now: @Sendable () -> Date

    init(settings: CallerAuthSettings, users: RequestAuthenticator?, now: @escaping @Sendable () -> Date = Date.init) {
        self.settings = settings
        self.users = users
        self.now = now
    }

    /// - Parameters:
    ///   - path: the route path without the root prefix (`/create_pod`), with its query.
    ///   - body: the raw request body (HMAC covers it).
    func authenticate(_ request: Request, path: String, body: [UInt8]) async throws -> Caller {
        let headers = request.headers
        if let admin = headers[Self.adminHeader] {
            guard Self.matchesAny(admin, settings.adminSecrets) else { throw Self.unauthorized("invalid admin credential") }
            return .admin
        }
        if let secret = headers[Self.secretHeader] {
            guard settings.modes.contains(.secret) else {
                throw Self.unauthorized("shared-secret authentication is not enabled; see BACKEND_AUTHMODES")
            }
            guard Self.matchesAny(secret, settings.siloSecrets) else { throw Self.unauthorized("invalid silo secret") }
            return .silo
        }
        if let signature = headers[Self.signatureHeader] {
            guard settings.modes.contains(.hmac) else { throw Self.unauthorized("HMAC authentication is not enabled; see BACKEND_AUTHMODES") }
            try verifySignature(signature, timestamp: headers[Self.timestampHeader], method: request.method.rawValue, path: path, body: body)
            return .silo
        }
        if BearerToken.from(headers) != nil, let users, settings.modes.contains(.idp) {
            let identity = try await users.authenticate(token: BearerToken.from(headers))
            guard let id = userID(of: identity) else { throw Self.unauthorized("the token's identity has no \(settings.idpUserField.rawValue)") }
            return .user(id)
        }
        if settings.modes.contains(.none) { return .anonymous }
        throw Self.unauthorized("no credential: send \(acceptedCredentials)")
    }

    private var acceptedCredentials: String {
        var kinds: [String] = []
        if settings.modes.contains(.secret) { kinds.append("X-Backend-Secret") }
        if settings.modes.contains(.hmac) { kinds.append("X-Backend-Timestamp and X-Backend-Signature") }
        if settings.modes.contains(.idp) { kinds.append("Authorization: Bearer <token>") }
        return kinds.joined(separator: ", or ")
    }

    private func userID(of identity: UserIdentity) -> String? {
        switch settings.idpUserField {
        case .username: identity.username
        case .email: identity.email
        case .sub: identity.subject
        }
    }

    /// `hex(HMAC-SHA256(secret, "<timestamp>\n<METHOD>\n<path>\n<hex SHA-256 of body>"))`.
    static func signature(secret: String, timestamp: String, method: String, path: String, body: [UInt8]) -> String {
        let bodyHash = SHA256.hash(data: body).hexString
        let message = "\(timestamp)\n\(method)\n\(path)\n\(bodyHash)"
        let code = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Data(code).hexString
    }

    private func verifySignature(_ signature: String, timestamp: String?, method: String, path: String, body: [UInt8]) throws {
        guard let timestamp, let seconds = Double(timestamp) else {
            throw Self.unauthorized("X-Backend-Timestamp (Unix seconds) is required with a signature")
        }
        let skew = abs(now().timeIntervalSince1970 - seconds)
        guard skew <= settings.hmacMaxSkew.seconds else {
            throw Self.unauthorized("request timestamp is \(Int(skew)) s away from the server's clock (limit \(Int(settings.hmacMaxSkew.seconds)) s)")
        }
        let given = signature.lowercased()
        let valid = settings.siloSecrets.contains { secret in
            Self.constantTimeEqual(Self.signature(secret: secret, timestamp: timestamp, method: method, path: path, body: body), given)
        }
        guard valid else { throw Self.unauthorized("invalid request signature") }
    }

    private static func matchesAny(_ given: String, _ secrets: [String]) -> Bool {
        // Every secret is compared in full, so timing tells nothing about which matched.
        var matched = false
        for secret in secrets where constantTimeEqual(secret, given) { matched = true }
        return matched
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let left = Array(SHA256.hash(data: Data(a.utf8)))
        let right = Array(SHA256.hash(data: Data(b.utf8)))
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func unauthorized(_ reason: String) -> APIError {
        APIError(.unauthorized, detail: "Not authenticated: \(reason)")
    }
}
