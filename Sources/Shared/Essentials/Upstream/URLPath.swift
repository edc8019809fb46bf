import Foundation

extension String {
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
