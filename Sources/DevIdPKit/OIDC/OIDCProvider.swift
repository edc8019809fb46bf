import Crypto
import Essentials
import Foundation

/// The dev IdP as an OpenID provider, so that `make up` signs in to the console the way a
/// production IdP (Keycloak) would: authorization code flow with PKCE (S256 only), a login
/// form, ID tokens signed with ES256 and published as a JWKS, userinfo, and end-session.
///
/// For development only: any client id and any http(s) redirect URI are accepted (a real
/// provider registers both), and the access token is the user's token from the users file, so
/// the endpoint's `AUTH_API_URL` (`/information`) knows it like any other.
actor OIDCProvider {
    /// An issued code waiting for its exchange: single use, for 60 seconds.
    struct Grant: Sendable {
        let username: String
        let clientID: String
        let redirectURI: String
        let codeChallenge: String
        let nonce: String?
        let scope: String
        let expires: Date
    }

    /// What the token endpoint answers, or why it refuses (OAuth's error codes).
    enum Exchange: Sendable {
        case issued(accessToken: String, idToken: String, scope: String)
        case refused(error: String, description: String)
    }

    static let codeLifetime: TimeInterval = 60
    static let tokenLifetime: TimeInterval = 3600

    /// A new key each start: ID tokens are checked at sign-in, never kept.
    private let key: P256.Signing.PrivateKey
    /// The key's id in the JWKS and in ID tokens' headers.
    let keyID: String
    private var grants: [String: Grant] = [:]

    init() {
        key = P256.Signing.PrivateKey()
        keyID = Self.base64URL(Data(SHA256.hash(data: key.publicKey.rawRepresentation).prefix(8)))
    }

    /// A new single-use code for `grant`.
    func issueCode(for grant: Grant) -> String {
        grants = grants.filter { $0.value.expires > Date() }
        let code = Self.base64URL(Data((0..<32).map { _ in UInt8.random(in: 0...255) }))
        grants[code] = grant
        return code
    }

    /// The code exchanged: checked against the client, the redirect URI and the PKCE verifier.
    func exchange(
        code: String, clientID: String, redirectURI: String, verifier: String, issuer: String, claims: (String) async -> [String: JSONValue]?
    )
        async -> Exchange
    {
        guard let grant = grants.removeValue(forKey: code), grant.expires > Date() else {
            return .refused(error: "invalid_grant", description: "The code is unknown, used or expired.")
        }
        guard grant.clientID == clientID, grant.redirectURI == redirectURI else {
            return .refused(error: "invalid_grant", description: "The code was issued to another client or redirect URI.")
        }
        guard (43...128).contains(verifier.count), Self.base64URL(Data(SHA256.hash(data: Data(verifier.utf8)))) == grant.codeChallenge else {
            return .refused(error: "invalid_grant", description: "The code_verifier does not match the code_challenge.")
        }
        guard let user = await claims(grant.username), let accessToken = user["access_token"]?.stringValue else {
            return .refused(error: "invalid_grant", description: "The user has no token in the users file.")
        }
        let now = Date().timeIntervalSince1970.rounded(.down)
        var payload: [String: JSONValue] = [
            "iss": .string(issuer), "aud": .string(clientID), "sub": user["sub"] ?? .string(grant.username),
            "iat": .number(now), "exp": .number(now + Self.tokenLifetime), "preferred_username": .string(grant.username),
        ]
        if let email = user["email"] { payload["email"] = email }
        if let nonce = grant.nonce { payload["nonce"] = .string(nonce) }
        return .issued(accessToken: accessToken, idToken: sign(payload), scope: grant.scope)
    }

    /// A compact JWS, ES256 (the signature is r‖s, 64 bytes, as JWA asks).
    func sign(_ payload: [String: JSONValue]) -> String {
        let header: JSONValue = ["alg": "ES256", "typ": "JWT", "kid": .string(keyID)]
        let input = Self.base64URL(header.encoded()) + "." + Self.base64URL(JSONValue.object(payload).encoded())
        let signature = (try? key.signature(for: Data(input.utf8)).rawRepresentation) ?? Data()
        return input + "." + Self.base64URL(signature)
    }

    /// The public key as a JSON Web Key Set.
    var jwks: JSONValue {
        let raw = key.publicKey.rawRepresentation  // x ‖ y, 32 bytes each
        return [
            "keys": [
                [
                    "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": .string(keyID),
                    "x": .string(Self.base64URL(raw.prefix(32))), "y": .string(Self.base64URL(raw.suffix(32))),
                ]
            ]
        ]
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
