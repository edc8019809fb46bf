import Crypto
import Foundation

/// A file of the web console, compiled into the binary by the EmbedConsoleAssets build plugin
/// (the list is `EmbeddedAsset.console`, generated from `Console/Assets`).
struct EmbeddedAsset: Sendable {
    /// The file's name in `Console/Assets`: `console.js`.
    let name: String
    let base64: String
}

/// A console file as it is served: its bytes decoded once, and named by its content so a
/// browser may keep it for a year (`console.0f3a….js`, new whenever the content changes).
struct ServedAsset: Sendable {
    let name: String
    let bytes: [UInt8]
    let fingerprint: String

    init(_ asset: EmbeddedAsset) {
        self.init(name: asset.name, bytes: Data(base64Encoded: asset.base64).map { [UInt8]($0) } ?? [])
    }

    init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
        fingerprint = Self.fingerprint(bytes)
    }

    /// The first 12 bytes of the content's SHA-256, in hex: the cache names of the assets and
    /// the page's ETag.
    static func fingerprint(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).prefix(12).map { String(format: "%02x", $0) }.joined()
    }

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
