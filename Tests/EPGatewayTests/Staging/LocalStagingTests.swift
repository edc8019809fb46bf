import Foundation
import Testing

@testable import EPGateway

/// Path confinement and the local methods on a real file system (a scratch folder with a
/// source root and a target root).
@Suite("Staging: paths and local methods")
struct LocalStagingTests {
    /// `source/` with `data/a.txt`, `data/sub/b.bin`, a symlink inside pointing out of the
    /// root; `target/`; and `outside/secret.txt`.
    struct Scratch {
        let root: URL
        var source: URL { root.appendingPathComponent("source") }
        var target: URL { root.appendingPathComponent("target") }
        var paths: StagingPaths { StagingPaths(sourceRoot: source.path, targetRoot: target.path) }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("staging-\(UUID().uuidString)")
            let manager = FileManager.default
            try manager.createDirectory(at: root.appendingPathComponent("source/data/sub"), withIntermediateDirectories: true)
            try manager.createDirectory(at: root.appendingPathComponent("target"), withIntermediateDirectories: true)
            try manager.createDirectory(at: root.appendingPathComponent("outside"), withIntermediateDirectories: true)
            try Data("alpha".utf8).write(to: root.appendingPathComponent("source/data/a.txt"))
            try Data((0..<3000).map { UInt8($0 % 256) }).write(to: root.appendingPathComponent("source/data/sub/b.bin"))
            try Data("secret".utf8).write(to: root.appendingPathComponent("outside/secret.txt"))
            try manager.createSymbolicLink(
                at: root.appendingPathComponent("source/escape"), withDestinationURL: root.appendingPathComponent("outside"))
            try manager.createSymbolicLink(
                at: root.appendingPathComponent("source/data/sub/leak"), withDestinationURL: root.appendingPathComponent("outside/secret.txt"))
        }

        func remove() {
            // Read-only copies need their write bit back before they can go.
            if let entries = FileManager.default.enumerator(atPath: root.path) {
                for case let path as String in entries {
                    try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: root.appendingPathComponent(path).path)
                }
            }
            try? FileManager.default.removeItem(at: root)
        }
    }

    static func mode(_ url: URL) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("escapes are refused: absolute paths, '..', NUL, symlinks out of the source root, a user name as a path")
    func refusals() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let paths = scratch.paths
        for bad in ["/etc/passwd", "../outside/secret.txt", "data/../../outside", "data/\u{0}x", "", "escape/secret.txt", "escape", "./data"] {
            #expect(throws: StagingPaths.Refusal.self, "\(bad)") { _ = try paths.source(bad) }
        }
        #expect(throws: StagingPaths.Refusal.sourceMissing("data/none.txt")) { _ = try paths.source("data/none.txt") }
        #expect(try paths.source("data/a.txt").lastPathComponent == "a.txt")
        for bad in ["/tmp/x", "../bob/x", "a/../../x", "a\u{0}", ""] {
            #expect(throws: StagingPaths.Refusal.self, "\(bad)") { _ = try paths.destination(bad, user: "alice") }
        }
        #expect(StagingPaths.folder(forUser: "alice@example.org") == "alice@example.org")
        for hostile in ["../bob", "..", ".hidden", "a/b", "x\u{0}"] {
            #expect(StagingPaths.folder(forUser: hostile).hasPrefix("user-"), "\(hostile)")
        }
        #expect(try paths.destination("runs/a.txt", user: "alice").path == scratch.target.appendingPathComponent("alice/runs/a.txt").path)
        #expect(!FileManager.default.fileExists(atPath: scratch.target.appendingPathComponent("alice").path), "checking creates nothing")
    }

    @Test("a staged symlink cannot be used to write through it into the source or elsewhere")
    func symlinkedFolderIsNotAWayOut() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let paths = scratch.paths
        try LocalStaging.symlink(try paths.source("data"), at: try paths.destination("linked", user: "alice"))
        #expect(throws: StagingPaths.Refusal.outsideRoot(field: "relative_path")) { _ = try paths.destination("linked/new.txt", user: "alice") }
        // The link itself, staged again, is "already there", not a way out.
        #expect(try paths.destination("linked", user: "alice").lastPathComponent == "linked")
    }

    @Test("local_copy: a tree copied read-only (files 0400, folders 0500), symlinks inside skipped, progress up to the total")
    func copyTree() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let paths = scratch.paths
        let destination = try paths.destination("staged/data", user: "alice")
        var reports: [LocalStaging.Progress] = []
        try LocalStaging.copy(try paths.source("data"), to: destination) { reports.append($0) }
        #expect(try Data(contentsOf: destination.appendingPathComponent("a.txt")) == Data("alpha".utf8))
        #expect(try Data(contentsOf: destination.appendingPathComponent("sub/b.bin")).count == 3000)
        #expect(!FileManager.default.fileExists(atPath: destination.appendingPathComponent("sub/leak").path))
        #expect(try Self.mode(destination) == 0o500 && Self.mode(destination.appendingPathComponent("sub")) == 0o500)
        #expect(try Self.mode(destination.appendingPathComponent("a.txt")) == 0o400)
        #expect(reports.last?.bytesDone == 3005 && reports.last?.bytesTotal == 3005)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: destination.deletingLastPathComponent().path)
        #expect(leftovers == ["data"], "no temporary left behind")
    }

    @Test("local_symlink: the link points at the source, whose mode and owner stay as they were")
    func symlinkLeavesSourceAlone() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let paths = scratch.paths
        let source = try paths.source("data/a.txt")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: source.path)
        let before = try FileManager.default.attributesOfItem(atPath: source.path)
        let link = try paths.destination("a-link.txt", user: "alice")
        try LocalStaging.symlink(source, at: link)
        let after = try FileManager.default.attributesOfItem(atPath: source.path)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == source.path)
        #expect(after[.posixPermissions] as? NSNumber == before[.posixPermissions] as? NSNumber)
        #expect(after[.ownerAccountID] as? NSNumber == before[.ownerAccountID] as? NSNumber)
        #expect(after[.groupOwnerAccountID] as? NSNumber == before[.groupOwnerAccountID] as? NSNumber)
        #expect(try Data(contentsOf: link) == Data("alpha".utf8))
    }

    @Test("a copy stopped part-way (a failed read, a cancelled job) leaves nothing at the destination and no temporary")
    func failedCopyLeavesNothing() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let paths = scratch.paths
        struct Stopped: Error {}
        let destination = try paths.destination("staged/data", user: "alice")
        #expect(throws: Stopped.self) {
            try LocalStaging.copy(try paths.source("data"), to: destination) { progress in
                if progress.bytesDone > 0 { throw Stopped() }  // after the first file, before the second
            }
        }
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination.deletingLastPathComponent().path).isEmpty)
        // Staged again, it completes.
        try LocalStaging.copy(try paths.source("data"), to: destination)
        #expect(try Data(contentsOf: destination.appendingPathComponent("sub/b.bin")).count == 3000)
    }
}
