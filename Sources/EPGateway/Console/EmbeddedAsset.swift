import Foundation

/// A file of the web console, compiled into the binary by the EmbedConsoleAssets build plugin
/// (the list is `EmbeddedAsset.console`, generated from `Console/Assets`).
struct EmbeddedAsset: Sendable {
    /// The file's name in `Console/Assets`: `console.js`.
    let name: String
    /// A hash of the content, which names the file for long-lived caching.
    let fingerprint: String
    let base64: String

    /// The file's bytes.
    var bytes: [UInt8] { Data(base64Encoded: base64).map { [UInt8]($0) } ?? [] }

    /// The name it is served under: `console.0f3a….js`, new whenever the content changes,
    /// so a browser may keep it for a year.
    var cacheName: String {
        guard let dot = name.lastIndex(of: ".") else { return "\(name).\(fingerprint)" }
        return "\(name[..<dot]).\(fingerprint)\(name[dot...])"
    }

    var contentType: String {
        switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "json": "application/json"
        default: "application/octet-stream"
        }
    }
}
