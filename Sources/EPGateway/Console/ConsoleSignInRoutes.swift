import Access
import Essentials
import Foundation
import Hummingbird
import Identity
import NIOCore
import ServiceKit

/// The console as a confidential OpenID client (`OIDC_CLIENT_SECRET` set): the browser still
/// runs the authorization code flow with PKCE and a nonce, but this endpoint reads the
/// provider's metadata and exchanges the code with the client's secret, so the provider needs
/// no CORS and the secret never reaches a browser. The routes are open like `/user/login`:
/// they act for someone not yet signed in, hold no session, and forward only to the provider
/// named by `OIDC_ISSUER` (the code, its PKCE verifier and the redirect URI are what bind an
/// exchange to the browser that started it).
struct ConsoleSignInRoutes: ServiceFeature {
    let settings: ConsoleSettings.OIDC
    let metadata: ProviderMetadataCache
    let timeout: Duration

    init(settings: ConsoleSettings.OIDC, timeout: Duration = .seconds(15)) {
        self.settings = settings
        self.timeout = timeout
        metadata = ProviderMetadataCache(issuer: settings.issuer, timeout: timeout)
    }

    /// What the browser needs of the provider's metadata (OpenID Connect Discovery §3).
    struct Provider: JSONAnswer {
        var issuer: String
        var authorization_endpoint: String
        var end_session_endpoint: String?
    }

    /// What the console posts after the provider sent the browser back with a code.
    struct Exchange: JSONRequest, Validatable {
        var code: String
        var code_verifier: String
        var redirect_uri: String

        func validate(_ checks: inout FieldChecks) {
            checks.length(code, "code", 1...4096)
            // RFC 7636 §4.1: 43 to 128 unreserved characters.
            checks.pattern(code_verifier, "code_verifier", "^[A-Za-z0-9._~-]{43,128}$", message: "must be 43 to 128 unreserved characters (RFC 7636)")
            let target = URL(string: redirect_uri)
            if !["http", "https"].contains(target?.scheme ?? "") || target?.host == nil || !(target?.path.hasSuffix("/ui/auth/callback") ?? false) {
                checks.fail("redirect_uri", "must be the console's http(s) …/ui/auth/callback address")
            }
        }
    }

    /// The provider's tokens for the console: the access token it calls the API with and the ID
    /// token whose nonce it checks. A refresh token, if the provider issued one, is not passed on.
    struct Tokens: JSONAnswer {
        var access_token: String
        var id_token: String?
        var token_type: String?
        var expires_in: Int?
        var scope: String?
    }

    var routes: [Route<IdentityRequestContext>] {
        let access = PolicyAccess.policy(.user, .read, .fixed(.public))
        return [
            Route.get("/ui/auth/provider", "The console's OpenID provider: where to send the browser to sign in and out.", access: access)
                .tags("console").answers(200, "The provider's endpoints", schema: JSONSchema.of(Provider.self))
                .responds(502, "The provider's metadata could not be read")
                .handle { _ in try await metadata.current() },
            Route.post("/ui/auth/token", "The console's authorization code exchanged at the provider with the client's secret.", access: access)
                .tags("console").body(JSONInput<Exchange>.self).answers(200, "The tokens", schema: JSONSchema.of(Tokens.self))
                .responds(400, "The provider refused the code").responds(502, "The provider could not be reached or refused this client")
                .handle { call in try await exchange(call.body.value) },
        ]
    }

    func exchange(_ request: Exchange) async throws -> Tokens {
        let provider = try await metadata.metadata()
        let form = FormBody(fields: [
            ("grant_type", "authorization_code"), ("code", request.code), ("redirect_uri", request.redirect_uri),
            ("code_verifier", request.code_verifier), ("client_id", settings.clientID),
        ])
        let answer: UpstreamAnswer
        do {
            answer = try await JSONUpstream(base: provider.tokenEndpoint, timeout: timeout, answerLimit: 256 << 10).call(
                .POST, "",
                headers: [
                    ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
                    ("Authorization", "Basic " + Self.basicCredentials(settings.clientID, settings.clientSecret ?? "")),
                ],
                body: ByteBuffer(string: form.encoded))
        } catch {
            throw APIError(.badGateway, detail: "The identity provider's token endpoint did not answer: \(error)")
        }
        let said = answer.json
        let error = said?["error"]?.stringValue
        switch answer.status {
        case 200:
            guard let tokens = answer.decode(Tokens.self) else {
                throw APIError(.badGateway, detail: "The identity provider's token endpoint answered without an access token.")
            }
            return tokens
        case 401 where error == "invalid_client", 400 where error == "invalid_client" || error == "unauthorized_client":
            // The operator's configuration, not the user's sign-in.
            throw APIError(
                .badGateway,
                detail: "The identity provider refused this endpoint's client (\(error ?? "")): check OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.")
        case 400:
            throw APIError(
                .badRequest,
                detail: said?["error_description"]?.stringValue ?? "The identity provider refused the code (\(error ?? "invalid_grant")).")
        default:
            throw APIError(.badGateway, detail: "The identity provider's token endpoint answered HTTP \(answer.status).")
        }
    }

    /// RFC 6749 §2.3.1: the id and secret form-encoded, then joined and base64'd.
    static func basicCredentials(_ id: String, _ secret: String) -> String {
        Data("\(FormBody.encode(id)):\(FormBody.encode(secret))".utf8).base64EncodedString()
    }
}

/// The provider's metadata, read from `<issuer>/.well-known/openid-configuration` when first
/// needed and again after an hour (or after a failure), so a provider that starts after the
/// endpoint, or moves an endpoint, is followed without a restart.
actor ProviderMetadataCache {
    struct Metadata: Sendable {
        var browser: ConsoleSignInRoutes.Provider
        var tokenEndpoint: String
        var read: ContinuousClock.Instant
    }

    let issuer: String
    let upstream: JSONUpstream
    private var cached: Metadata?
    static let lifetime: Duration = .seconds(3600)

    /// - Parameter issuer: without trailing slashes (as ``ConsoleSettings`` reads it).
    init(issuer: String, timeout: Duration) {
        self.issuer = issuer
        upstream = JSONUpstream(base: issuer, timeout: timeout, answerLimit: 256 << 10)
    }

    func current() async throws -> ConsoleSignInRoutes.Provider { try await metadata().browser }

    func metadata() async throws -> Metadata {
        if let cached, ContinuousClock.now - cached.read < Self.lifetime { return cached }
        let answer: UpstreamAnswer
        do {
            answer = try await upstream.call(.GET, ".well-known/openid-configuration", headers: [("Accept", "application/json")])
        } catch {
            throw APIError(.badGateway, detail: "Could not reach the identity provider at \(issuer): \(error). Check OIDC_ISSUER.")
        }
        guard answer.isSuccess, let json = answer.json, let authorization = json["authorization_endpoint"]?.stringValue,
            let token = json["token_endpoint"]?.stringValue
        else {
            throw APIError(
                .badGateway, detail: "The identity provider at \(issuer) has no usable OpenID metadata (HTTP \(answer.status)). Check OIDC_ISSUER.")
        }
        // OpenID Connect Discovery §4.3: the metadata's issuer is the one asked.
        let issued = json["issuer"]?.stringValue ?? ""
        guard issued.withoutTrailingSlashes == issuer else {
            throw APIError(.badGateway, detail: "The identity provider says its issuer is \(issued), not \(issuer). Check OIDC_ISSUER.")
        }
        let metadata = Metadata(
            browser: .init(issuer: issued, authorization_endpoint: authorization, end_session_endpoint: json["end_session_endpoint"]?.stringValue),
            tokenEndpoint: token, read: .now)
        cached = metadata
        return metadata
    }
}
