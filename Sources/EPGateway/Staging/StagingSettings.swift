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

    // MARK: Declarations

    static let enabled = Setting<Bool>.boolean(
        "STAGING_ENABLED", default: false, help: "Data staging (/stage-data, /config); jobs are kept in the catalog database.")
    static let allowedMethods = Setting<[StagingMethod]?>(
        "STAGING_ALLOWED_METHODS", help: "The methods offered, a JSON list (the prototype's ALLOWED_METHODS).",
        accepts: "JSON list of local_copy, local_symlink, direct_download, jupyter_copy",
        defaultDescription: "every method (jupyter_copy only with STAGING_JUPYTER_URL)",
        parse: { text in
            let expected = "a JSON list of local_copy, local_symlink, direct_download, jupyter_copy"
            guard let names = (try? JSONValue.decode(Data(text.utf8)))?.arrayValue?.map(\.stringValue) else {
                throw SettingRefusal(expected: expected)
            }
            var methods: [StagingMethod] = []
            for name in names {
                guard let name, let method = StagingMethod(rawValue: name) else { throw SettingRefusal(expected: expected) }
                if !methods.contains(method) { methods.append(method) }
            }
            return methods
        }, fallback: { _ in nil }
    ).blankMeansDefault()
    static let sourceRoot = folder("STAGING_SOURCE_ROOT", help: "The storage data is staged from (read only).")
    static let targetRoot = folder("STAGING_TARGET_ROOT", help: "The users' areas (<root>/<username>/...) data is staged to.")
    static let jupyterURL = Setting<String?>.optionalText(
        "STAGING_JUPYTER_URL", help: "The users' Jupyter servers for jupyter_copy, {username} replaced by the user's name.", accepts: "URL template")
    static let maxRunning = Setting<Int>.integer(
        "STAGING_MAX_RUNNING", default: 2, range: 1...64, help: "Jobs copying at once; later ones wait as queued.")
    static let jupyterChunkSize = Setting<Int>.integer(
        "STAGING_JUPYTER_CHUNK_MB", default: 4, range: 1...256, help: "A file larger than this goes to Jupyter in chunks of it.")
    static let jupyterTimeout = Setting<Duration>.seconds(
        "STAGING_JUPYTER_TIMEOUT_SECONDS", default: 60, range: 1...3600, help: "Budget of one Jupyter call (one chunk).")

    static let settings = SettingGroup(
        "Data staging",
        [
            enabled, allowedMethods, sourceRoot, targetRoot, jupyterURL, maxRunning, jupyterChunkSize,
            jupyterTimeout,
        ])

    static func load(from source: ConfigurationSource) throws -> StagingSettings {
        guard try source.value(enabled) else { return .disabled }
        let jupyterURL = try source.value(Self.jupyterURL)
        let offered = StagingMethod.allCases.filter { $0 != .jupyterCopy || jupyterURL != nil }
        let methods = try source.value(allowedMethods) ?? offered
        if methods.contains(.jupyterCopy), jupyterURL == nil {
            throw source.refusal(Self.jupyterURL, expected: "the users' Jupyter server URL when jupyter_copy is allowed")
        }
        return StagingSettings(
            enabled: true, allowedMethods: methods, sourceRoot: try source.value(sourceRoot), targetRoot: try source.value(targetRoot),
            jupyterURL: jupyterURL, maxRunning: try source.value(maxRunning),
            jupyterChunkSize: try source.value(jupyterChunkSize) << 20, jupyterTimeout: try source.value(jupyterTimeout))
    }

    /// An existing folder, as an absolute path; required once staging is on.
    private static func folder(_ name: String, help: String) -> Setting<String> {
        let expected = "an existing folder, as an absolute path (STAGING_ENABLED=true)"
        let check: @Sendable (String) throws -> String = { path in
            var isDirectory: ObjCBool = false
            guard path.hasPrefix("/"), FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SettingRefusal(expected: expected)
            }
            return path
        }
        return Setting(name, help: help, accepts: "folder path", defaultDescription: "none (required with STAGING_ENABLED)", parse: check) { source in
            throw source.refusal(Setting<String?>.optionalText(name, help: help), expected: expected)
        }
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
