import Access
import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import ServiceKit

/// The web console at `<ROOT_PATH>/ui/` (docs/console.md): one HTML page for every path below
/// it (the console routes in the browser), and its scripts and styles under content-hashed
/// names. The page is public like `/docs`; everything it shows comes from the API's own
/// routes, called with the user's token, under the same policy (the console decides nothing).
struct ConsoleRoutes: ServiceFeature {
    /// The page for each root path the endpoint answers under ("" for none).
    let pages: [String: ConsolePage]
    let assets: [String: ServedAsset]
    let contentSecurityPolicy: String

    init(
        settings: ConsoleSettings, rootPaths: [String], version: String, status: EPSettings.StatusSettings,
        capabilities: ConsolePage.Configuration.Capabilities, embedded: [EmbeddedAsset] = EmbeddedAsset.console
    ) {
        let files = embedded.map(ServedAsset.init)
        let template = files.first { $0.name == "index.html" }.map { String(decoding: $0.bytes, as: UTF8.self) } ?? ""
        let served = files.filter { $0.name != "index.html" }
        var pages: [String: ConsolePage] = [:]
        for root in [""] + rootPaths {
            pages[root] = ConsolePage(
                template: template, assets: served,
                configuration: .init(
                    root: root, version: version, epName: status.epName, organization: status.organization,
                    oidc: settings.oidc.usable ? settings.oidc : nil, capabilities: capabilities, services: settings.services))
        }
        self.pages = pages
        assets = Dictionary(served.map { ($0.cacheName, $0) }, uniquingKeysWith: { first, _ in first })
        contentSecurityPolicy = Self.contentSecurityPolicy(
            connectTo: (settings.oidc.usable && !settings.oidc.confidential ? [settings.oidc.issuer] : []).compactMap(ConsoleSettings.origin)
                + settings.services.origins)
    }

    /// Scripts and styles from the endpoint only, no inline script or style, no framing, and
    /// calls only to the endpoint and to `origins`: the OpenID provider (whose token endpoint a
    /// public client calls from the browser; a confidential one's only this endpoint calls) and
    /// the platform's other services the console shows.
    static func contentSecurityPolicy(connectTo origins: [String]) -> String {
        var connect = ["'self'"]
        for origin in origins where !connect.contains(origin) { connect.append(origin) }
        return [
            "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
            "connect-src \(connect.joined(separator: " "))", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
        ].joined(separator: "; ")
    }

    var routes: [Route<IdentityRequestContext>] {
        let access = PolicyAccess.policy(.status, .read, .fixed(.public))
        return [
            Route.get("/ui", "The web console: redirects to `ui/`.", access: access).tags("console")
                .responds(301, "To the console's page", contentType: "text/plain")
                .handleRequest { request, context in
                    // The router matches `/ui/` here too: only the bare path moves.
                    context.requestPath.hasSuffix("/") ? page(request, context: context) : Self.redirectToSlash()
                },
            Route.get("/ui/assets/{file}", "A script, style or image of the console (content-hashed name, cacheable for a year).", access: access)
                .tags("console").answers(200, "The file", schema: JSONSchema.string, contentType: "application/octet-stream")
                .responds(404, "No such file").responds(304, "Not modified")
                .handleRequest { request, context in try asset(request, context: context) },
            Route.get("/ui/**", "The web console's page, for every path below `ui/` (the console routes in the browser).", access: access)
                .tags("console").documented(as: "/ui/{page}")
                .answers(200, "HTML", schema: JSONSchema.string, contentType: "text/html").responds(304, "Not modified")
                .handleRequest { request, context in page(request, context: context) },
        ]
    }

    /// A relative `Location`, so the scheme, host and port the browser used (a proxy's, a
    /// port-forward's) stay as they are.
    static func redirectToSlash() -> Response {
        Response(
            status: .movedPermanently, headers: [.location: "ui/", .contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: "ui/\n")))
    }

    func page(_ request: Request, context: IdentityRequestContext) -> Response {
        // The root this request came under: what RootPathResponder took off its path.
        let stripped = request.uri.path
        let original = context.requestPath.isEmpty ? stripped : context.requestPath
        let root = original.hasSuffix(stripped) ? String(original.dropLast(stripped.count)) : ""
        guard let page = pages[root] ?? pages[""] else { return Response(status: .notFound) }
        // The page is small and changes with a new binary: browsers check it each time (304).
        return answer(request, bytes: page.html, etag: page.etag, contentType: "text/html; charset=utf-8", cacheControl: "no-cache")
    }

    func asset(_ request: Request, context: IdentityRequestContext) throws -> Response {
        let name = try context.parameters.require("file")
        guard let asset = assets[name] else {
            throw APIError(.notFound, detail: "No console file \(name)")
        }
        return answer(
            request, bytes: asset.bytes, etag: "\"\(asset.fingerprint)\"", contentType: asset.contentType,
            cacheControl: "public, max-age=31536000, immutable")
    }

    private func answer(_ request: Request, bytes: [UInt8], etag: String, contentType: String, cacheControl: String) -> Response {
        var headers: HTTPFields = [
            .contentType: contentType, .cacheControl: cacheControl, .eTag: etag,
            .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff",
            .referrerPolicy: "no-referrer", .xFrameOptions: "DENY",
        ]
        if let condition = request.headers[.ifNoneMatch],
            condition.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag })
        {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
}
