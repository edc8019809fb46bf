import Foundation

extension String {
    /// Without its trailing slashes (`https://h/x//` → `https://h/x`): a base URL or an origin
    /// as settings take them, so `appendingPathString` and comparisons see one form.
    public var withoutTrailingSlashes: String {
        var text = self
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// This base URL + `/` + `path`, with exactly one slash between them whether or not the
    /// base ends with one (`http://h/rexec/` + `spawn` → `http://h/rexec/spawn`).
    public func appendingPathString(_ path: String) -> String {
        let base = hasSuffix("/") ? String(dropLast()) : self
        return path.isEmpty ? base : base + "/" + path
    }
}

extension URL {
    public func appendingPathString(_ path: String) -> String {
        absoluteString.appendingPathString(path)
    }
}
