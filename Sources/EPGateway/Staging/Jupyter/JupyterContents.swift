import AsyncHTTPClient
import Essentials
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceKit

/// A user's Jupyter server, through its contents API (`/api/contents/<path>`, the token in
/// `Authorization: token …`), as `jupyter_copy` uses it: every file goes up base64-encoded (so
/// binary files arrive intact), in chunks of `chunkSize` when larger (the `chunk` field that
/// Jupyter's large-file manager appends: 1, 2, …, -1 for the last), under a temporary name that
/// is renamed into place only when everything is there. A failed upload removes its
/// temporary; a killed process may leave a `name.staging-*.partial`, never a partial file
/// under the name the user asked for.
struct JupyterContents: Sendable {
    /// The single-user server (`…/user/<name>/` behind a hub).
    let jupyter: JSONUpstream
    let token: String
    let chunkSize: Int

    init(server: URL, token: String, http: HTTPClient, timeout: Duration, chunkSize: Int) {
        jupyter = JSONUpstream(base: server.absoluteString, timeout: timeout, http: http)
        self.token = token
        self.chunkSize = chunkSize
    }

    enum Failure: Error, APIErrorConvertible, Equatable {
        case refusedToken
        case answered(status: Int, path: String, reason: String)
        case unreachable(String)

        var apiError: APIError {
            switch self {
            case .refusedToken: APIError(.badRequest, detail: "The Jupyter server refused the jupyter_token.")
            case .answered(let status, let path, let reason):
                APIError(.badGateway, detail: "The Jupyter server answered HTTP \(status) for '\(path)': \(reason.prefix(300))")
            case .unreachable(let reason): APIError(.badGateway, detail: "The Jupyter server is unreachable: \(reason.prefix(300))")
            }
        }
    }

    /// Whether something exists at `path`.
    func exists(_ path: [String]) async throws -> Bool {
        let (status, _) = try await call(.GET, path, query: "content=0")
        return status == 200
    }

    /// Uploads `source` (a file or a folder tree; symlinks in it skipped, as the local copy
    /// does) to `path`, reporting the bytes sent after each chunk.
    func upload(_ source: URL, to path: [String], progress: @Sendable (Int64) throws -> Void) async throws {
        for depth in 1..<path.count where try await !exists(Array(path.prefix(depth))) {
            try await makeFolder(Array(path.prefix(depth)))
        }
        // Not a dot name: Jupyter refuses to create hidden files unless configured to.
        let temporary = Array(path.dropLast()) + ["\(path.last!).staging-\(UUID().uuidString.prefix(8)).partial"]
        var sent: Int64 = 0
        do {
            try await put(source, at: temporary, sent: &sent, progress: progress)
            let (status, reason) = try await call(.PATCH, temporary, body: ["path": .string(path.joined(separator: "/"))])
            guard status == 200 else { throw Failure.answered(status: status, path: path.joined(separator: "/"), reason: reason) }
        } catch {
            _ = try? await call(.DELETE, temporary)
            throw error
        }
    }

    private func put(_ source: URL, at path: [String], sent: inout Int64, progress: @Sendable (Int64) throws -> Void) async throws {
        let type = try FileManager.default.attributesOfItem(atPath: source.path)[.type] as? FileAttributeType
        switch type {
        case .typeDirectory?:
            try await makeFolder(path)
            for name in try FileManager.default.contentsOfDirectory(atPath: source.path).sorted() {
                try await put(source.appendingPathComponent(name), at: path + [name], sent: &sent, progress: progress)
            }
        case .typeRegular?:
            try await putFile(source, at: path, sent: &sent, progress: progress)
        default:
            return
        }
    }

    private func putFile(_ source: URL, at path: [String], sent: inout Int64, progress: @Sendable (Int64) throws -> Void) async throws {
        let file = try FileHandle(forReadingFrom: source)
        defer { try? file.close() }
        let size = (try FileManager.default.attributesOfItem(atPath: source.path)[.size] as? NSNumber)?.int64Value ?? 0
        var model: [String: JSONValue] = ["type": "file", "format": "base64"]
        if size <= Int64(chunkSize) {
            model["content"] = .string(try await read(file, upTo: chunkSize).base64EncodedString())
            try await save(model, at: path)
            sent += size
            try progress(sent)
            return
        }
        var number = 1
        var done: Int64 = 0
        while done < size {
            let chunk = try await read(file, upTo: chunkSize)
            guard !chunk.isEmpty else { break }
            done += Int64(chunk.count)
            model["content"] = .string(chunk.base64EncodedString())
            model["chunk"] = .number(Double(done >= size ? -1 : number))
            try await save(model, at: path)
            number += 1
            sent += Int64(chunk.count)
            try progress(sent)
        }
    }

    /// Reads off the cooperative threads: a disk read may block.
    private func read(_ file: FileHandle, upTo count: Int) async throws -> Data {
        try await NIOThreadPool.singleton.runIfActive { try file.read(upToCount: count) ?? Data() }
    }

    private func makeFolder(_ path: [String]) async throws {
        try await save(["type": "directory"], at: path)
    }

    private func save(_ model: [String: JSONValue], at path: [String]) async throws {
        let (status, reason) = try await call(.PUT, path, body: .object(model))
        guard status == 200 || status == 201 else { throw Failure.answered(status: status, path: path.joined(separator: "/"), reason: reason) }
    }

    /// One contents-API call: the status and, on failure, Jupyter's `message`.
    private func call(_ method: HTTPMethod, _ path: [String], query: String? = nil, body: JSONValue? = nil) async throws -> (Int, String) {
        var url = "api/contents/" + path.map(Self.encoded).joined(separator: "/")
        if let query { url += "?" + query }
        let answer: UpstreamAnswer
        do {
            answer = try await jupyter.call(method, url, headers: [("Authorization", "token \(token)")], json: body)
        } catch {
            throw Failure.unreachable("\(error)")
        }
        if answer.status == 401 || answer.status == 403 { throw Failure.refusedToken }
        return (answer.status, answer.isSuccess ? "" : answer.reason("message"))
    }

    static func encoded(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/", ";", "?", "#"])) ?? component
    }
}
