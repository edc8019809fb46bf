import Foundation

/// The rexec server's Python package and pinned requirements, read once at start-up: the
/// Kubernetes runtime ships them to pods in a ConfigMap (no git clone at pod start), the
/// local runtime runs them from their folder.
struct ServerCode: Sendable {
    let folder: URL
    /// `rexec_server/<name>.py` contents by file name, plus `requirements.txt`.
    let files: [String: String]

    static func load(from folder: URL) throws -> ServerCode {
        let package = folder.appendingPathComponent("rexec_server")
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: package.path) where name.hasSuffix(".py") {
            files[name] = try String(contentsOf: package.appendingPathComponent(name), encoding: .utf8)
        }
        files["requirements.txt"] = try String(contentsOf: folder.appendingPathComponent("requirements.txt"), encoding: .utf8)
        return ServerCode(folder: folder, files: files)
    }

    var requirementsFile: URL { folder.appendingPathComponent("requirements.txt") }
}
