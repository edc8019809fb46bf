import Essentials
import Foundation
import ServiceKit

/// Data staging (docs/specs/anchors-platforms.md §B): `STAGING_ENABLED`, the methods offered
/// (`STAGING_ALLOWED_METHODS`, a JSON list as the prototype's `ALLOWED_METHODS`), the source
/// storage and the users' areas (`STAGING_SOURCE_ROOT`, `STAGING_TARGET_ROOT`), and the
/// users' Jupyter servers (`STAGING_JUPYTER_URL`, `{username}` replaced by the user's name).
struct StagingSettings: Sendable, Equatable {
    var enabled: Bool
    var allowedMethods: [StagingMethod]
    var sourceRoot: String
    var targetRoot: String
    /// nil: `jupyter_copy` is not offered.
    var jupyterURL: String?
    /// `STAGING_MAX_RUNNING`: jobs copying at once; later ones wait as `queued`.
    var maxRunning: Int
    /// `STAGING_JUPYTER_CHUNK_MB`: a file larger than this goes to Jupyter in chunks of it.
    var jupyterChunkSize: Int
    /// `STAGING_JUPYTER_TIMEOUT_SECONDS`: budget of one Jupyter call (one chunk).
    var jupyterTimeout: Duration

    static let disabled = StagingSettings(
        enabled: false, allowedMethods: [], sourceRoot: "", targetRoot: "", jupyterURL: nil, maxRunning: 2, jupyterChunkSize: 4 << 20,
        jupyterTimeout: .seconds(60))

    static func load(from source: ConfigurationSource) throws -> StagingSettings {
        guard try source.bool("STAGING_ENABLED", default: false) else { return .disabled }
        let jupyterURL = source.optionalString("STAGING_JUPYTER_URL")
        var settings = StagingSettings(
            enabled: true, allowedMethods: [], sourceRoot: try directory("STAGING_SOURCE_ROOT", in: source),
            targetRoot: try directory("STAGING_TARGET_ROOT", in: source), jupyterURL: jupyterURL,
            maxRunning: try source.integer("STAGING_MAX_RUNNING", default: 2, range: 1...64),
            jupyterChunkSize: try source.integer("STAGING_JUPYTER_CHUNK_MB", default: 4, range: 1...256) << 20,
            jupyterTimeout: try source.seconds("STAGING_JUPYTER_TIMEOUT_SECONDS", default: 60, range: 1...3600))
        settings.allowedMethods = try methods(source.optionalString("STAGING_ALLOWED_METHODS"), jupyterURL: jupyterURL)
        return settings
    }

    /// The list as given, or every method this deployment can do (`jupyter_copy` only with a
    /// Jupyter URL). Unknown names are refused at start-up, not at the first request.
    static func methods(_ text: String?, jupyterURL: String?) throws -> [StagingMethod] {
        let variable = "STAGING_ALLOWED_METHODS"
        guard let text else { return StagingMethod.allCases.filter { $0 != .jupyterCopy || jupyterURL != nil } }
        let expected = "a JSON list of local_copy, local_symlink, direct_download, jupyter_copy"
        guard let names = (try? JSONValue.decode(Data(text.utf8)))?.arrayValue?.map(\.stringValue) else {
            throw ConfigurationError(variable: variable, value: text, expected: expected)
        }
        var methods: [StagingMethod] = []
        for name in names {
            guard let name, let method = StagingMethod(rawValue: name) else {
                throw ConfigurationError(variable: variable, value: text, expected: expected)
            }
            if method == .jupyterCopy, jupyterURL == nil {
                throw ConfigurationError(
                    variable: "STAGING_JUPYTER_URL", value: "", expected: "the users' Jupyter server URL when jupyter_copy is allowed")
            }
            if !methods.contains(method) { methods.append(method) }
        }
        return methods
    }

    private static func directory(_ variable: String, in source: ConfigurationSource) throws -> String {
        let path = source.string(variable, default: "")
        var isDirectory: ObjCBool = false
        guard path.hasPrefix("/"), FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigurationError(variable: variable, value: path, expected: "an existing folder, as an absolute path (STAGING_ENABLED=true)")
        }
        return path
    }

    /// The user's Jupyter server: `{username}` in `STAGING_JUPYTER_URL` replaced by the name,
    /// percent-encoded.
    func jupyterServer(for username: String) -> URL? {
        // A name that would read as a path step must not choose another server path.
        guard let jupyterURL, !["", ".", ".."].contains(username) else { return nil }
        let name = username.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? username
        return URL(string: jupyterURL.replacingOccurrences(of: "{username}", with: name))
    }
}

/// How data is staged (the prototype's method names).
enum StagingMethod: String, Sendable, CaseIterable, Codable {
    case localCopy = "local_copy"
    case localSymlink = "local_symlink"
    case directDownload = "direct_download"
    case jupyterCopy = "jupyter_copy"
}
