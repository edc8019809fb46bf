import Essentials
import Foundation

/// The console's one HTML page (`index.html` of the assets, answered for every path below
/// `<root>/ui/`), rendered once per root path the endpoint serves: asset references become
/// root-relative cache names, and the console's configuration is written into the page as
/// JSON that no browser executes (the Content-Security-Policy allows no inline script).
struct ConsolePage: Sendable {
    let html: [UInt8]
    let etag: String

    /// What the console's script reads from the page.
    struct Configuration: Encodable, Sendable {
        var root: String
        var version: String
        var epName: String
        var organization: String
        /// Present when sign-in at an OpenID provider is configured.
        var oidc: ConsoleSettings.OIDC?
        /// The endpoint's optional routes that are mounted, so the console offers only those.
        var capabilities: Capabilities
        /// The platform's other services the console calls.
        var services: ConsoleSettings.Services = .none

        struct Capabilities: Encodable, Sendable {
            var staging: Bool
            var rexec: Bool
            /// The MCP server at `<root>/mcp`.
            var mcp: Bool = false
        }

        enum CodingKeys: String, CodingKey {
            case root, version
            case epName = "ep_name"
            case organization, oidc, capabilities, services
        }
    }

    init(template: String, assets: [ServedAsset], configuration: Configuration) {
        var page = template.replacingOccurrences(of: "{{root}}", with: MarkupText.escape(configuration.root))
        for asset in assets {
            page = page.replacingOccurrences(
                of: "{{asset:\(asset.name)}}", with: MarkupText.escape("\(configuration.root)/ui/assets/\(asset.cacheName)"))
        }
        page = page.replacingOccurrences(of: "{{config}}", with: Self.scriptSafeJSON(configuration))
        html = Array(page.utf8)
        etag = "\"\(ServedAsset.fingerprint(html))\""
    }

    /// JSON for a `<script type="application/json">` element: `<`, `>` and `&` as `\u` escapes,
    /// so no value can close the element or open a comment.
    static func scriptSafeJSON(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
        return text.replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
    }
}
