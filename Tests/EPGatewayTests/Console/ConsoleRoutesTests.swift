import Essentials
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import ServiceKit
import Testing

@testable import EPGateway

/// The web console's serving: its page for every path below `ui/` under each root path, the
/// relative redirect, content-hashed assets with long caching, conditional requests, the
/// Content-Security-Policy, the configuration written into the page, and `UI_ENABLED`.
@Suite("Web console serving")
struct ConsoleRoutesTests {
    static func app(_ environment: [String: String] = [:], rootPaths: [String] = ["/ep/api", "/ep"]) throws -> some ApplicationProtocol {
        let settings = try EPSettings.load(
            from: ConfigurationSource(environment: ["AUTH_API_URL": "http://127.0.0.1:9/information"].merging(environment) { $1 }))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return buildApplication(
            NDPEndpointAPI.definition(
                settings: settings, http: HTTPServerSettings(port: 0, rootPaths: rootPaths), logger: logger,
                metricsRegistry: PrometheusCollectorRegistry()),
            logger: logger
        )
    }

    static func text(_ response: TestResponse) -> String { String(buffer: response.body) }

    @Test("every path below ui/ is the page, with asset links under the root the request came by")
    func pageUnderEachRoot() async throws {
        try await Self.app().test(.router) { client in
            for (root, path) in [("/ep", "/ep/ui/"), ("/ep", "/ep/ui/datasets/sea-surface"), ("/ep/api", "/ep/api/ui/search"), ("", "/ui/")] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(response.headers[.cacheControl] == "no-cache")
                    let page = Self.text(response)
                    #expect(page.contains("src=\"\(root)/ui/assets/console."), "\(path)")
                    #expect(page.contains("\"root\":\"\(root)\""), "\(path)")
                }
            }
        }
    }

    @Test("ui without its slash moves to ui/ by a relative Location")
    func bareRedirects() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/ep/ui", method: .get) { response in
                #expect(response.status == .movedPermanently)
                #expect(response.headers[.location] == "ui/")
            }
        }
    }

    @Test("assets: hashed names cached for a year, 304 on a matching ETag, 404 for a name that is not one")
    func assets() async throws {
        let script = try #require(EmbeddedAsset.console.first { $0.name == "console.js" }.map(ServedAsset.init))
        #expect(script.cacheName == "console.\(script.fingerprint).js")
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/ep/ui/assets/\(script.cacheName)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(Self.text(response).contains("textContent"))
            }
            try await client.execute(uri: "/ep/ui/assets/\(script.cacheName)", method: .get, headers: [.ifNoneMatch: "\"\(script.fingerprint)\""]) {
                response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
            for name in ["console.js", "console.0000000000000000.js", "index.html", "..%2Fconsole.js"] {
                try await client.execute(uri: "/ep/ui/assets/\(name)", method: .get) { response in
                    #expect(response.status == .notFound, "\(name)")
                }
            }
        }
    }

    @Test("the policy allows no inline script, framing or foreign connections; OIDC adds its provider")
    func contentSecurityPolicy() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/ep/ui/", method: .get) { response in
                let policy = try #require(response.headers[.contentSecurityPolicy])
                #expect(policy.contains("script-src 'self';") && policy.contains("connect-src 'self';"))
                #expect(!policy.contains("unsafe-inline") && policy.contains("frame-ancestors 'none'"))
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
            }
        }
        let oidc = ["OIDC_ENABLED": "true", "OIDC_ISSUER": "https://idp.example.org:8443/realms/NDP/", "OIDC_CLIENT_ID": "console"]
        try await Self.app(oidc).test(.router) { client in
            try await client.execute(uri: "/ep/ui/", method: .get) { response in
                #expect(response.headers[.contentSecurityPolicy]?.contains("connect-src 'self' https://idp.example.org:8443;") == true)
                #expect(Self.text(response).contains("\"issuer\":\"https://idp.example.org:8443/realms/NDP\""))
                #expect(Self.text(response).contains("\"confidential\":false"))
            }
            // A public client has no token-exchange route.
            try await client.execute(uri: "/ep/ui/auth/token", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .notFound || response.status == .methodNotAllowed)
            }
        }
        // A confidential client: the browser never calls the provider, and the secret is in no page.
        try await Self.app(oidc.merging(["OIDC_CLIENT_SECRET": "s3cret-of-the-console"]) { $1 }).test(.router) { client in
            try await client.execute(uri: "/ep/ui/", method: .get) { response in
                #expect(response.headers[.contentSecurityPolicy]?.contains("connect-src 'self';") == true)
                #expect(Self.text(response).contains("\"confidential\":true"))
                #expect(!Self.text(response).contains("s3cret"))
            }
        }
    }

    @Test("client credentials for HTTP Basic are form-encoded before base64 (RFC 6749 §2.3.1)")
    func basicCredentials() {
        let encoded = ConsoleSignInRoutes.basicCredentials("console app", "a+b:c/%")
        #expect(String(decoding: Data(base64Encoded: encoded) ?? Data(), as: UTF8.self) == "console%20app:a%2Bb%3Ac%2F%25")
    }

    @Test("configuration text cannot close the script element it is written into")
    func configurationIsInert() async throws {
        let hostile = "</script><script>alert(1)</script>&"
        try await Self.app(["EP_NAME": hostile, "ORGANIZATION": "<!--"]).test(.router) { client in
            try await client.execute(uri: "/ep/ui/", method: .get) { response in
                let page = Self.text(response)
                #expect(!page.contains("alert(1)</script>") && !page.contains("<!--"))
                #expect(page.contains("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\\u0026"))
            }
        }
    }

    @Test("UI_ENABLED=false: no console routes")
    func turnedOff() async throws {
        try await Self.app(["UI_ENABLED": "false"]).test(.router) { client in
            for path in ["/ep/ui", "/ep/ui/", "/ep/ui/search"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .notFound, "\(path)")
                }
            }
        }
    }
}
