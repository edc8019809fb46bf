import CLinuxFiles
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The `local_copy` and `local_symlink` methods (docs/specs/anchors-platforms.md §B.3), done
/// so that nothing half-done ever looks complete and the source is never changed:
///
/// - a copy is written under a temporary name beside its destination, made read-only (files
///   0400, folders 0500) and only then renamed into place, in one step; an interrupted copy
///   leaves at most a `.staging-*` temporary, never a partial file at the destination;
/// - a symlink is created and nothing else: the prototype's chmod/chown of the link followed
///   it and changed the source's own mode and owner.
///
/// Symlinks inside a copied tree are skipped: following them could read outside the source
/// root, and copying them would give the user links they could not have made.
enum LocalStaging {
    struct Progress: Sendable {
        var bytesDone: Int64
        var bytesTotal: Int64
    }

    /// The bytes a copy of `source` will write (regular files only; symlinks are skipped).
    static func size(of source: URL) throws -> Int64 {
        try size(atPath: source.path)
    }

    // Inside, paths are strings joined by hand: URL.appendingPathComponent asks the file
    // system whether each name is a folder, a stat per entry that showed in the profile.
    private static func size(atPath source: String) throws -> Int64 {
        var info = stat()
        guard lstat(source, &info) == 0 else { throw failure(errno, source) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return Int64(info.st_size)
        case S_IFDIR: return try entries(of: source).reduce(0) { $0 + (try size(atPath: source + "/" + $1)) }
        default: return 0
        }
    }

    /// Copies `source` (a file or a folder tree) to `destination`, read-only, reporting
    /// progress after every MiB; the destination's parent folders are made as needed. An
    /// error thrown by `progress` (a cancelled job) stops the copy like a failed read.
    /// `total`: the source's ``size(of:)`` when the caller has it already (a tree's takes a walk).
    static func copy(_ source: URL, to destination: URL, total: Int64? = nil, progress: (Progress) throws -> Void = { _ in }) throws {
        let parent = destination.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let temporary = parent.appendingPathComponent(temporaryPrefix(of: destination) + UUID().uuidString.prefix(8))
        var state = Progress(bytesDone: 0, bytesTotal: try total ?? size(of: source))
        do {
            try progress(state)
            let isTree = try copyItem(source.path, to: temporary.path, state: &state, progress: progress)
            try flush(temporary.path, isTree: isTree)
            try FileManager.default.moveItem(at: temporary, to: destination)
        } catch {
            remove(temporary)
            throw error
        }
    }

    /// Removes the temporaries copies to `destination` left when their process died (found
    /// by name: `.<name>.staging-*` beside it).
    static func removeTemporaries(of destination: URL) {
        let parent = destination.deletingLastPathComponent()
        let prefix = temporaryPrefix(of: destination)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] where name.hasPrefix(prefix) {
            remove(parent.appendingPathComponent(name))
        }
    }

    /// A copy to `destination` is written as `.<name>.staging-<random>` beside it.
    private static func temporaryPrefix(of destination: URL) -> String {
        ".\(destination.lastPathComponent).staging-"
    }

    /// Removes a temporary copy, read-only folders and all (best effort).
    private static func remove(_ temporary: URL) {
        try? makeRemovable(temporary.path)
        try? FileManager.default.removeItem(at: temporary)
    }

    /// Copies one entry, read-only from the start: a file is created 0400 (its descriptor
    /// stays writable), a folder 0700 and set to 0500 once its entries are in. Returns whether
    /// it was a folder.
    @discardableResult
    private static func copyItem(
        _ source: String, to destination: String, state: inout Progress, progress: (Progress) throws -> Void
    ) throws
        -> Bool
    {
        var info = stat()
        guard lstat(source, &info) == 0 else { throw failure(errno, source) }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            try copyFile(source, to: destination, state: &state, progress: progress)
            return false
        case S_IFDIR:
            guard mkdir(destination, 0o700) == 0 else { throw failure(errno, destination) }
            for name in try entries(of: source) {
                try copyItem(source + "/" + name, to: destination + "/" + name, state: &state, progress: progress)
            }
            guard chmod(destination, 0o500) == 0 else { throw failure(errno, destination) }
            return true
        default:
            return false  // symlinks, sockets, devices: not staged
        }
    }

    /// A folder's entry names, sorted (so copies and progress run in a stable order).
    private static func entries(of folder: String) throws -> [String] {
        guard let directory = opendir(folder) else { throw failure(errno, folder) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// One file, copied by the kernel (`copy_file_range`: no bytes through this process, and
    /// reflinks where the filesystem has them) a MiB at a time, or by read/write where the
    /// kernel cannot (another filesystem on old kernels, special files).
    private static func copyFile(_ source: String, to destination: String, state: inout Progress, progress: (Progress) throws -> Void) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure(errno, source) }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o400)
        guard output >= 0 else { throw failure(errno, destination) }
        defer { close(output) }
        var kernelCopy = true
        var buffer: [UInt8] = []
        while true {
            var count = kernelCopy ? linux_copy_file_range(input, output, 1 << 20) : -1
            if count < 0, kernelCopy, [EXDEV, ENOSYS, EINVAL, EOPNOTSUPP].contains(errno) {
                kernelCopy = false
                buffer = [UInt8](repeating: 0, count: 1 << 20)
            }
            if !kernelCopy {
                count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if count > 0 {
                    var written = 0
                    while written < count {
                        let step = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, count - written) }
                        guard step > 0 else { throw failure(errno, destination) }
                        written += step
                    }
                }
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(errno, kernelCopy ? destination : source)
            }
            if count == 0 { break }
            state.bytesDone += Int64(count)
            try progress(state)
        }
    }

    /// Makes the copy durable before it is renamed into place: `fsync` for one file, one
    /// `syncfs` of the target filesystem for a tree (ten thousand fsyncs cost more than the copy).
    private static func flush(_ path: String, isTree: Bool) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(errno, path) }
        defer { close(descriptor) }
        guard (isTree ? linux_syncfs(descriptor) : fsync(descriptor)) == 0 else { throw failure(errno, path) }
    }

    /// A failed system call on a file: the system's words and the file's name (not its full
    /// path, which would show the server's layout in the job's error).
    struct FileFailure: Error, CustomStringConvertible {
        let code: Int32
        let name: String
        var description: String {
            let words = "\(String(cString: strerror(code))) (\(name))"
            return isOutOfSpace ? Self.outOfSpacePrefix + words : words
        }
        /// The user's area is full: the job's error starts with this, and its answer is 507.
        static let outOfSpacePrefix = "Insufficient storage: "
        var isOutOfSpace: Bool { code == ENOSPC || code == EDQUOT }
    }

    static func failure(_ code: Int32, _ path: String) -> FileFailure {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return FileFailure(code: code, name: name.hasPrefix(".") ? "the staging copy" : name)
    }

    /// Opens the read-only folders of a copy again (0700), so it can be removed: removing a
    /// file takes write permission on its folder, not on the file.
    private static func makeRemovable(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return }
        guard chmod(path, 0o700) == 0 else { throw failure(errno, path) }
        for name in try entries(of: path) { try makeRemovable(path + "/" + name) }
    }

    /// A symlink at `destination` to `source`; the source is not touched.
    static func symlink(_ source: URL, at destination: URL) throws {
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: destination, withDestinationURL: source)
    }
}
