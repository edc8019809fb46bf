import Crypto
import Essentials
import Foundation
import ServiceKit

/// Where a staging request may read and write (docs/specs/anchors-platforms.md §B.3, and
/// what the prototype got wrong): the source inside the source root, the destination inside
/// the user's own folder of the target root, both after following symlinks. Absolute paths,
/// `..`, NUL and symlinks leading out of a root are refused before anything is created.
struct StagingPaths: Sendable {
    /// The source storage (`STAGING_SOURCE_ROOT`), resolved.
    let sourceRoot: URL
    /// The users' areas (`STAGING_TARGET_ROOT`), resolved; each user has `<root>/<user>`.
    let targetRoot: URL

    /// Answered 400 with the description (the prototype's text for a missing source).
    enum Refusal: Error, Equatable, CustomStringConvertible, APIErrorConvertible {
        case invalidPath(field: String, reason: String)
        case sourceMissing(String)
        case outsideRoot(field: String)

        var description: String {
            switch self {
            case .invalidPath(let field, let reason): "Invalid \(field): \(reason)"
            case .sourceMissing(let path): "Source path does not exist: \(path)"
            case .outsideRoot(let field): "Invalid \(field): it leads outside the area it must stay in"
            }
        }

        var apiError: APIError { APIError(.badRequest, detail: description) }
    }

    init(sourceRoot: String, targetRoot: String) {
        self.sourceRoot = URL(fileURLWithPath: sourceRoot).resolvingSymlinksInPath().standardizedFileURL
        self.targetRoot = URL(fileURLWithPath: targetRoot).resolvingSymlinksInPath().standardizedFileURL
    }

    /// A relative path's components, or a refusal: not empty, not absolute, no `..`, `.` or
    /// empty components, no NUL, at most 4096 bytes.
    static func components(_ path: String, field: String) throws -> [String] {
        guard !path.isEmpty, path.utf8.count <= 4096 else { throw Refusal.invalidPath(field: field, reason: "empty or too long") }
        guard !path.contains("\u{0}") else { throw Refusal.invalidPath(field: field, reason: "contains NUL") }
        guard !path.hasPrefix("/") else { throw Refusal.invalidPath(field: field, reason: "must be relative to its root") }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !parts.isEmpty, !parts.contains(".."), !parts.contains(".") else {
            throw Refusal.invalidPath(field: field, reason: "must not contain '..' or '.'")
        }
        return parts
    }

    /// The source, existing and inside the source root once every symlink is followed.
    func source(_ path: String) throws -> URL {
        let parts = try Self.components(path, field: "local_path_on_storage")
        let joined = parts.reduce(sourceRoot) { $0.appendingPathComponent($1) }
        guard FileManager.default.fileExists(atPath: joined.path) else { throw Refusal.sourceMissing(path) }
        let resolved = joined.resolvingSymlinksInPath().standardizedFileURL
        guard Self.isInside(resolved, sourceRoot) else { throw Refusal.outsideRoot(field: "local_path_on_storage") }
        return resolved
    }

    /// A user's folder name: the name as given when it is a safe file name, else a digest,
    /// so no user name can reach outside the target root or into another user's folder.
    static func folder(forUser user: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-")
        if (1...128).contains(user.count), user.allSatisfy(allowed.contains), user != ".", user != "..", !user.hasPrefix(".") { return user }
        return "user-" + SHA256.hash(data: Array(user.utf8)).hexString.prefix(16)
    }

    /// The destination `<target>/<user>/<relative_path>` (not created): its existing part,
    /// with symlinks followed, must stay inside the user's folder.
    func destination(_ relativePath: String, user: String) throws -> URL {
        let parts = try Self.components(relativePath, field: "relative_path")
        let userRoot = targetRoot.appendingPathComponent(Self.folder(forUser: user))
        let destination = parts.reduce(userRoot) { $0.appendingPathComponent($1) }
        // The deepest part that exists decides where a write would land.
        var existing = destination
        while !FileManager.default.fileExists(atPath: existing.path), existing.path.count > userRoot.path.count {
            existing.deleteLastPathComponent()
        }
        if FileManager.default.fileExists(atPath: existing.path) {
            let resolved = existing.resolvingSymlinksInPath().standardizedFileURL
            let resolvedUserRoot =
                FileManager.default.fileExists(atPath: userRoot.path) ? userRoot.resolvingSymlinksInPath().standardizedFileURL : userRoot
            guard Self.isInside(resolved, resolvedUserRoot) || (existing == destination && Self.isSymlink(existing)) else {
                throw Refusal.outsideRoot(field: "relative_path")
            }
            guard resolvedUserRoot == userRoot || Self.isInside(resolvedUserRoot, targetRoot) else {
                throw Refusal.outsideRoot(field: "relative_path")
            }
        }
        return destination
    }

    static func isInside(_ path: URL, _ root: URL) -> Bool {
        let path = path.path
        let root = root.path
        return path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    static func isSymlink(_ url: URL) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: url.path)[.type] as? FileAttributeType) == .typeSymbolicLink
    }
}
