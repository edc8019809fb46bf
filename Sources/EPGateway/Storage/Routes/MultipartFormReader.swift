import Foundation
import Hummingbird
import NIOCore
import ServiceKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `multipart/form-data` request body read part by part as it arrives, so a file part of
/// any size streams through without being held: ``next()`` hands out each part's start, its
/// bytes in pieces, and its end.
///
/// Boundaries are found with `memchr` and `memcmp` over the bytes at hand, keeping back only a possible
/// partial boundary at the end: a byte-at-a-time parser (MultipartKit's) moved under 1 MB/s
/// in a debug build and would be the bottleneck of a large upload.
struct MultipartFormReader {
    /// A part's `Content-Disposition` and `Content-Type`.
    struct Part: Sendable, Equatable {
        var name: String
        var filename: String?
        var contentType: String?
    }

    enum Event: Equatable {
        case start(Part)
        case bytes(ByteBuffer)
        case end
    }

    private enum Phase {
        /// Before the first boundary (a preamble is allowed and ignored).
        case preamble
        /// Just after a boundary: `\r\n` (a part follows) or `--` (the last one).
        case afterBoundary
        case headers
        case body
        case done
    }

    private var body: RequestBody.AsyncIterator
    /// `\r\n--boundary`: what ends a part's body.
    private let delimiter: [UInt8]
    private var buffer = ByteBuffer()
    private var phase = Phase.preamble
    private var finishedInput = false

    /// A part's headers are at most this long.
    static let headerLimit = 16 << 10

    /// Refuses a request that is not `multipart/form-data` with a boundary (422, the field
    /// named as FastAPI does for a missing form).
    init(request: Request) throws {
        guard let contentType = request.headers[.contentType], let boundary = Self.boundary(of: contentType) else {
            throw APIError.validation("Expected a multipart/form-data body", field: "file")
        }
        body = request.body.makeAsyncIterator()
        delimiter = Array("\r\n--\(boundary)".utf8)
        // The first boundary has no line break before it: pretend it has one.
        buffer.writeString("\r\n")
    }

    /// The next event; nil once the last part has ended.
    mutating func next() async throws -> Event? {
        while true {
            switch phase {
            case .done:
                return nil
            case .preamble:
                if let index = find(delimiter) {
                    buffer.moveReaderIndex(forwardBy: index + delimiter.count)
                    phase = .afterBoundary
                    continue
                }
                // Keep only what may be the start of a boundary.
                buffer.moveReaderIndex(forwardBy: max(0, buffer.readableBytes - delimiter.count))
            case .afterBoundary:
                if buffer.readableBytes >= 2 {
                    let marker = buffer.readString(length: 2)
                    if marker == "--" {
                        phase = .done
                        return nil
                    }
                    guard marker == "\r\n" else { throw Self.malformed("a boundary is followed by neither a line break nor --") }
                    phase = .headers
                    continue
                }
            case .headers:
                if let index = find(Array("\r\n\r\n".utf8)) {
                    let text = buffer.readString(length: index) ?? ""
                    buffer.moveReaderIndex(forwardBy: 4)
                    phase = .body
                    return .start(Self.part(from: Self.headerLines(text)))
                }
                if buffer.readableBytes > Self.headerLimit { throw Self.malformed("a part's headers exceed \(Self.headerLimit) bytes") }
            case .body:
                if let index = find(delimiter) {
                    if index > 0 { return .bytes(buffer.readSlice(length: index)!) }
                    buffer.moveReaderIndex(forwardBy: delimiter.count)
                    phase = .afterBoundary
                    return .end
                }
                let safe = buffer.readableBytes - (delimiter.count - 1)
                if safe > 0 { return .bytes(buffer.readSlice(length: safe)!) }
            }
            try await readMore()
        }
    }

    /// Appends the next piece of the body; the bytes already handed out are dropped first.
    private mutating func readMore() async throws {
        guard !finishedInput, var chunk = try await body.next() else {
            finishedInput = true
            throw phase == .preamble ? Self.malformed("no part was found") : Self.malformed("the body ended inside a part")
        }
        // Start a fresh buffer holding only the unread tail (at most a boundary's length, or
        // an incomplete header), so no earlier part's bytes stay alive or get copied again.
        var next = ByteBuffer()
        next.reserveCapacity(buffer.readableBytes + chunk.readableBytes)
        next.writeBuffer(&buffer)
        next.writeBuffer(&chunk)
        buffer = next
    }

    /// The offset of `needle` among the readable bytes: `memchr` finds each candidate first
    /// byte, `memcmp` checks the rest (both C speed, whatever the build).
    private func find(_ needle: [UInt8]) -> Int? {
        buffer.withUnsafeReadableBytes { haystack in
            needle.withUnsafeBytes { needle in
                guard haystack.count >= needle.count, let base = haystack.baseAddress, let first = needle.first else { return nil }
                var offset = 0
                let lastStart = haystack.count - needle.count
                while offset <= lastStart {
                    guard let found = memchr(base + offset, Int32(first), lastStart - offset + 1) else { return nil }
                    let index = base.distance(to: UnsafeRawPointer(found))
                    if memcmp(found, needle.baseAddress!, needle.count) == 0 { return index }
                    offset = index + 1
                }
                return nil
            }
        }
    }

    private static func malformed(_ reason: String) -> APIError {
        APIError(.badRequest, detail: "Malformed multipart body: \(reason).")
    }

    /// `Name: value` lines; a line without a colon is skipped.
    static func headerLines(_ text: String) -> [(String, String)] {
        text.components(separatedBy: "\r\n").compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[colon...].dropFirst()).trimmingCharacters(in: .whitespaces))
        }
    }

    /// Reads and drops the rest of the body, so that an early answer reaches a client still
    /// sending (HTTP/1.1 clients read the answer only after sending everything).
    mutating func drain() async {
        while (try? await body.next()) != nil {}
    }

    /// The `boundary` parameter of a `multipart/form-data` content type.
    static func boundary(of contentType: String) -> String? {
        let (type, parameters) = headerParameters(contentType)
        guard type.lowercased() == "multipart/form-data", let boundary = parameters["boundary"], !boundary.isEmpty, boundary.count <= 200
        else { return nil }
        return boundary
    }

    static func part(from headers: [(String, String)]) -> Part {
        var part = Part(name: "")
        for (name, value) in headers {
            switch name.lowercased() {
            case "content-disposition":
                let parameters = headerParameters(value).parameters
                part.name = parameters["name"] ?? ""
                part.filename = parameters["filename"]
            case "content-type":
                part.contentType = value.trimmingCharacters(in: .whitespaces)
            default: continue
            }
        }
        return part
    }

    /// `type; a=1; b="x; y"` → (`type`, [a: 1, b: x; y]); parameter names lower-cased.
    static func headerParameters(_ value: String) -> (value: String, parameters: [String: String]) {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in value {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted && character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == ";" && !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        var parameters: [String: String] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let name = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            parameters[name] = String(piece[piece.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
        }
        return (pieces[0].trimmingCharacters(in: .whitespaces), parameters)
    }
}
