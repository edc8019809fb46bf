import Foundation
import ZIPFoundation

/// The code a kbatch submission ships (a zip of the folder given to `--code`), unpacked for a
/// local run as the init container unpacks it into `/code` on a cluster. A zip is someone
/// else's file: only regular files and folders are written, every path must stay inside the
/// destination (no absolute paths, no `..`), links are skipped, and the bytes written are
/// counted as they come, so a zip that lies about its sizes cannot fill the disk.
struct CodeBundle: Sendable {
    let zip: Data
    /// The most bytes all files may have once unpacked.
    let limit: Int

    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads the zip's table of contents and checks its declared sizes and paths, so a bundle
    /// that cannot be unpacked is refused at submission rather than failing a pod later.
    func check() throws {
        let archive = try open()
        var total: UInt64 = 0
        for entry in archive {
            _ = try Self.relativePath(entry.path)
            total += entry.uncompressedSize
            guard total <= UInt64(limit) else { throw Refused(description: "the code unpacks to more than \(limit) bytes") }
        }
    }

    /// Unpacks into `folder` (created if missing).
    func unpack(into folder: URL) throws {
        let archive = try open()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var written = 0
        for entry in archive {
            let path = try Self.relativePath(entry.path)
            guard !path.isEmpty else { continue }
            let target = folder.appendingPathComponent(path)
            switch entry.type {
            case .directory:
                try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            case .file:
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                guard FileManager.default.createFile(atPath: target.path, contents: nil) else {
                    throw Refused(description: "cannot write \(path)")
                }
                let handle = try FileHandle(forWritingTo: target)
                defer { try? handle.close() }
                _ = try archive.extract(entry, skipCRC32: false) { chunk in
                    written += chunk.count
                    guard written <= limit else { throw Refused(description: "the code unpacks to more than \(limit) bytes") }
                    try handle.write(contentsOf: chunk)
                }
                // Keep the owner's execute bit, as unzip does; nothing else of the zip's modes.
                let mode = (entry.fileAttributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o644
                try FileManager.default.setAttributes([.posixPermissions: (mode & 0o100) != 0 ? 0o755 : 0o644], ofItemAtPath: target.path)
            case .symlink:
                continue
            }
        }
    }

    private func open() throws -> Archive {
        do {
            return try Archive(data: zip, accessMode: .read)
        } catch {
            throw Refused(description: "the code is not a readable zip (\(error))")
        }
    }

    /// The entry's path inside the destination, or a refusal if it would leave it.
    static func relativePath(_ path: String) throws -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !path.hasPrefix("/"), !path.contains("\\"), !parts.contains(where: { $0 == ".." }) else {
            throw Refused(description: "the code has an entry outside its folder: \(path)")
        }
        return parts.filter { $0 != "." }.joined(separator: "/")
    }
}
