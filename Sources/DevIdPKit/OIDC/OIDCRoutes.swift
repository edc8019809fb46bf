import Essentials
import Foundation
import Hummingbird
import ServiceKit

/// The OpenID provider's routes (``OIDCProvider``): discovery, the authorization endpoint with
/// its login form, the token endpoint, userinfo, the JWKS and end-session. The issuer is the
/// address the request came to (`http://<Host>`), as a development provider on any port.
struct OIDCRoutes: Sendable {
    let provider: OIDCProvider
    let directory: DevIdPRoutes.Directory
    /// Confidential clients by id (`DEV_IDP_OIDC_CLIENTS`) with their secrets: these must
    /// authenticate at the token endpoint, and their tokens are not readable cross-origin
    /// (a confidential client's server calls it). Every other client id is a public client.
    var confidentialClients: [String: String] = [:]

    var routes: [Route<BasicServiceRequestContext>] {
        typealias Dev = Route<BasicServiceRequestContext>
        let object = JSONSchema.anyObject
        return [
            Dev.get("/.well-known/openid-configuration", "OpenID provider metadata.", access: .open).tags("oidc")
                .answers(200, "Metadata", schema: object)
                .handleRequest { request, _ in Self.browserReadable(Self.metadata(issuer: Self.issuer(of: request)).response()) },
            Dev.get("/oidc/authorize", "The authorization endpoint: a login form (code flow, PKCE S256).", access: .open).tags("oidc")
                .answers(200, "The login form", schema: JSONSchema.string, contentType: "text/html").responds(302, "Back to the client with an error")
                .responds(400, "No usable redirect_uri")
                .handleRequest { request, _ in authorize(AuthorizationRequest(form: FormBody(parsing: request.uri.query ?? ""))) },
            Dev.post("/oidc/authorize", "The login form's answer: back to the client with a code.", access: .open).tags("oidc")
                .answers(302, "To the redirect_uri with code and state", schema: JSONSchema.string, contentType: "text/plain")
                .responds(200, "The form again, with an error").responds(400, "No usable redirect_uri")
                .handleRequest { request, _ in try await login(FormBody.read(from: request)) },
            Dev.post("/oidc/token", "The token endpoint: a code and its PKCE verifier → access and ID tokens.", access: .open).tags("oidc")
                .answers(200, "Tokens", schema: object).responds(400, "OAuth error", schema: object)
                .handleRequest { request, _ in try await token(FormBody.read(from: request), request: request, issuer: Self.issuer(of: request)) },
            Dev.get("/oidc/userinfo", "The signed-in user's claims (Bearer access token).", access: .open).tags("oidc")
                .answers(200, "Claims", schema: object).responds(401, "No or unknown token", schema: object)
                .handleRequest { request, _ in await userinfo(request) },
            Dev.get("/oidc/jwks", "The keys ID tokens are signed with.", access: .open).tags("oidc").answers(200, "JWKS", schema: object)
                .handle { _ in Self.browserReadable(await provider.jwks.response()) },
            Dev.get("/oidc/logout", "End-session: back to post_logout_redirect_uri.", access: .open).tags("oidc")
                .answers(200, "Signed out", schema: JSONSchema.string, contentType: "text/html").responds(302, "To post_logout_redirect_uri")
                .handleRequest { request, _ in
                    let target = FormBody(parsing: request.uri.query ?? "").first("post_logout_redirect_uri").flatMap(Self.webURL)
                    return target.map(Self.redirect) ?? Self.html("<h1>Signed out</h1><p>You are signed out of the development IdP.</p>")
                },
        ]
    }

    // MARK: Endpoints

    /// What a client asks at the authorization endpoint.
    struct AuthorizationRequest: Sendable {
        var fields: [String: String]

        /// From a query string or a form (`+` is a space in both): the last value of each name.
        init(form: FormBody) {
            fields = [:]
            for (name, value) in form.fields { fields[name] = value }
        }

        var clientID: String { fields["client_id"] ?? "" }
        var redirectURI: URL? { fields["redirect_uri"].flatMap(OIDCRoutes.webURL) }
        var state: String? { fields["state"] }

        /// Why the request cannot go on (OAuth's error code and a description), or nil.
        var problem: (error: String, description: String)? {
            if fields["response_type"] != "code" { return ("unsupported_response_type", "Only response_type=code is supported.") }
            if clientID.isEmpty { return ("invalid_request", "client_id is required.") }
            if (fields["code_challenge"] ?? "").isEmpty || fields["code_challenge_method"] != "S256" {
                return ("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256.")
            }
            if !(fields["scope"] ?? "").split(separator: " ").contains("openid") { return ("invalid_scope", "The scope must include openid.") }
            return nil
        }
    }

    func authorize(_ request: AuthorizationRequest, error message: String? = nil) -> Response {
        // An unusable redirect URI gets a page here, never a redirect (RFC 6749 §4.1.2.1).
        guard let redirect = request.redirectURI else {
            return Self.html("<h1>Bad request</h1><p>redirect_uri is missing or not http(s).</p>", status: .badRequest)
        }
        if let problem = request.problem {
            return Self.redirect(
                Self.adding(["error": problem.error, "error_description": problem.description, "state": request.state], to: redirect))
        }
        let hidden = ["response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method"]
            .compactMap { name in request.fields[name].map { "<input type=\"hidden\" name=\"\(name)\" value=\"\(MarkupText.escape($0))\">" } }
            .joined(separator: "\n")
        let errorLine = message.map { "<p class=\"error\" role=\"alert\">\(MarkupText.escape($0))</p>" } ?? ""
        return Self.html(
            """
            <h1>Development IdP</h1>
            <p>Sign in to <strong>\(MarkupText.escape(request.clientID))</strong> (users: config/dev-idp-users.yaml).</p>
            \(errorLine)
            <form method="post" action="authorize">
            \(hidden)
            <p><label for="username">Username</label><br><input id="username" name="username" autocomplete="username" required autofocus></p>
            <p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
            <p><button type="submit">Sign in</button></p>
            </form>
            """)
    }

    func login(_ form: FormBody) async -> Response {
        let request = AuthorizationRequest(form: form)
        let fields = request.fields
        guard let redirect = request.redirectURI, request.problem == nil else { return authorize(request) }
        guard let username = fields["username"], let password = fields["password"],
            await directory.user(username: username, password: password) != nil
        else {
            return authorize(request, error: "Invalid username or password.")
        }
        let code = await provider.issueCode(
            for: .init(
                username: username, clientID: request.clientID, redirectURI: redirect.absoluteString, codeChallenge: fields["code_challenge"] ?? "",
                nonce: fields["nonce"], scope: fields["scope"] ?? "openid", expires: Date().addingTimeInterval(OIDCProvider.codeLifetime)))
        return Self.redirect(Self.adding(["code": code, "state": request.state], to: redirect))
    }

    func token(_ form: FormBody, request: Request, issuer: String) async -> Response {
        guard form.first("grant_type") == "authorization_code" else {
            return Self.oauthError("unsupported_grant_type", "Only grant_type=authorization_code is supported.")
        }
        let client = ClientAuthentication(form: form, authorization: request.headers[.authorization])
        guard let code = form.first("code"), let clientID = client?.id ?? form.first("client_id"), let redirectURI = form.first("redirect_uri"),
            let verifier = form.first("code_verifier")
        else {
            return Self.oauthError("invalid_request", "code, client_id, redirect_uri and code_verifier are required.")
        }
        // RFC 6749 §5.2: a confidential client that does not prove itself, or a secret for a
        // client that has none, is invalid_client (401 when it tried HTTP Basic).
        let confidential = confidentialClients[clientID]
        guard client?.secret == confidential else {
            let viaBasic = client?.viaBasic == true
            var refused = JSONValue.object([
                "error": "invalid_client",
                "error_description": .string(confidential == nil ? "This client has no secret." : "The client's credentials are missing or wrong."),
            ]).response(status: viaBasic ? .unauthorized : .badRequest)
            if viaBasic { refused.headers[.wwwAuthenticate] = "Basic realm=\"dev-idp\"" }
            return refused
        }
        let outcome = await provider.exchange(code: code, clientID: clientID, redirectURI: redirectURI, verifier: verifier, issuer: issuer) {
            username in
            guard let user = await directory.user(named: username), let token = user.tokens.first else { return nil }
            return user.object.merging(["access_token": .string(token)]) { $1 }
        }
        switch outcome {
        case .refused(let error, let description):
            return Self.oauthError(error, description)
        case .issued(let accessToken, let idToken, let scope):
            var response = JSONValue.object([
                "access_token": .string(accessToken), "token_type": "Bearer", "expires_in": .number(OIDCProvider.tokenLifetime),
                "id_token": .string(idToken), "scope": .string(scope),
            ]).response()
            response.headers[.cacheControl] = "no-store"
            return confidential == nil ? Self.browserReadable(response) : response
        }
    }

    func userinfo(_ request: Request) async -> Response {
        let header = request.headers[.authorization] ?? ""
        guard header.lowercased().hasPrefix("bearer "), let user = await directory.user(forToken: String(header.dropFirst(7))) else {
            var refused = JSONValue.object(["error": "invalid_token"]).response(status: .unauthorized)
            refused.headers[.wwwAuthenticate] = "Bearer error=\"invalid_token\""
            return Self.browserReadable(refused)
        }
        var claims = user.object
        claims["preferred_username"] = .string(user.username)
        return Self.browserReadable(JSONValue.object(claims).response())
    }

    // MARK: Pieces

    /// How a client proved itself at the token endpoint: HTTP Basic (its id and secret
    /// form-encoded, RFC 6749 §2.3.1) or `client_secret` in the form; nil when it did not try.
    struct ClientAuthentication: Equatable {
        var id: String
        var secret: String?
        var viaBasic: Bool

        init?(form: FormBody, authorization: String?) {
            if let authorization, authorization.lowercased().hasPrefix("basic ") {
                let decoded =
                    Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces))
                    .map { String(decoding: $0, as: UTF8.self) } ?? ""
                let parts = decoded.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(FormBody.decode)
                self.init(id: parts.first ?? "", secret: parts.count > 1 ? parts[1] : "", viaBasic: true)
            } else if let secret = form.first("client_secret") {
                self.init(id: form.first("client_id") ?? "", secret: secret, viaBasic: false)
            } else {
                return nil
            }
        }

        init(id: String, secret: String?, viaBasic: Bool) {
            self.id = id
            self.secret = secret
            self.viaBasic = viaBasic
        }
    }

    static func metadata(issuer: String) -> JSONValue {
        [
            "issuer": .string(issuer), "authorization_endpoint": .string(issuer + "/oidc/authorize"),
            "token_endpoint": .string(issuer + "/oidc/token"), "userinfo_endpoint": .string(issuer + "/oidc/userinfo"),
            "jwks_uri": .string(issuer + "/oidc/jwks"), "end_session_endpoint": .string(issuer + "/oidc/logout"),
            "response_types_supported": ["code"], "grant_types_supported": ["authorization_code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"], "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "email"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "preferred_username"],
        ]
    }

    /// `http://<Host>`: the address the caller used.
    static func issuer(of request: Request) -> String {
        "http://" + (request.head.authority ?? "127.0.0.1")
    }

    static func webURL(_ text: String) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            return nil
        }
        return url
    }

    static func adding(_ parameters: [String: String?], to url: URL) -> URL {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false) ?? URLComponents()
        var items = components.queryItems ?? []
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) { if let value { items.append(URLQueryItem(name: name, value: value)) } }
        components.queryItems = items
        return components.url ?? url
    }

    static func redirect(_ url: URL) -> Response {
        Response(status: .found, headers: [.location: url.absoluteString, .cacheControl: "no-store"])
    }

    static func oauthError(_ error: String, _ description: String) -> Response {
        browserReadable(JSONValue.object(["error": .string(error), "error_description": .string(description)]).response(status: .badRequest))
    }

    /// Discovery, the token endpoint, userinfo and the JWKS are called by browsers from other
    /// origins (a console's public client), so any origin may read them.
    static func browserReadable(_ response: Response) -> Response {
        var response = response
        response.headers[.accessControlAllowOrigin] = "*"
        return response
    }

    static func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        let page = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Development IdP</title><link rel="icon" href="data:,"><style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}
            input{width:100%;padding:.4rem;font:inherit}button{font:inherit;padding:.4rem 1rem}.error{color:#a4262c}</style></head>
            <body>\(body)</body></html>
            """
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: page)))
    }
}
