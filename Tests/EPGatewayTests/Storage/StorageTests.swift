import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceKit
import Testing

@testable import EPGateway

/// The pieces of the S3 storage routes that need no S3 server: the streaming form reader,
/// S3's XML, names, settings. The routes against a real server: e2e/test_storage.py.
@Suite("S3 storage")
struct StorageTests {
    /// The chunks of a body, handed out one at a time as a client's packets would be.
    struct Chunks: AsyncSequence, Sendable {
        let pieces: [ByteBuffer]

        struct AsyncIterator: AsyncIteratorProtocol {
            var rest: [ByteBuffer]
            mutating func next() async -> ByteBuffer? { rest.isEmpty ? nil : rest.removeFirst() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: pieces) }
    }

    static let boundary = "XyZ-boundary-42"

    static func request(_ body: [UInt8], chunkSize: Int, contentType: String = "multipart/form-data; boundary=\"\(boundary)\"") -> Request {
        let pieces = stride(from: 0, to: body.count, by: chunkSize).map { ByteBuffer(bytes: body[$0..<min($0 + chunkSize, body.count)]) }
        var head = HTTPRequest(method: .post, scheme: "http", authority: "localhost", path: "/s3/objects/b")
        head.headerFields[.contentType] = contentType
        return Request(head: head, body: RequestBody(asyncSequence: Chunks(pieces: pieces)))
    }

    /// Reads a whole form: each part with its bytes joined.
    static func read(_ request: Request) async throws -> [(MultipartFormReader.Part, [UInt8])] {
        var reader = try MultipartFormReader(request: request)
        var parts: [(MultipartFormReader.Part, [UInt8])] = []
        while let event = try await reader.next() {
            switch event {
            case .start(let part): parts.append((part, []))
            case .bytes(let bytes): parts[parts.count - 1].1 += Array(bytes.readableBytesView)
            case .end: continue
            }
        }
        return parts
    }

    /// A file whose bytes look like boundaries without being one: a line break and dashes,
    /// the boundary without its dashes, a boundary missing its last character.
    static let trickyFile = Array("\r\n--XyZ-boundary-4\r\n-\r\nXyZ-boundary-42 \r\r\n--XyZ\u{0}end".utf8) + (0..<300).map { UInt8($0 % 256) }

    static func form(file: [UInt8]) -> [UInt8] {
        Array("preamble to ignore\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"object_key\"\r\n\r\nruns/a b.bin".utf8)
            + Array(
                "\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b.bin\"\r\nContent-Type: application/x-test\r\n\r\n"
                    .utf8)
            + file + Array("\r\n--\(boundary)--\r\n".utf8)
    }

    @Test("a form reads the same whatever sizes its body arrives in, boundary look-alikes kept as data")
    func formInPieces() async throws {
        let body = Self.form(file: Self.trickyFile)
        for chunkSize in [1, 2, 3, 5, 7, 16, 17, 31, 64, 100, body.count] {
            let parts = try await Self.read(Self.request(body, chunkSize: chunkSize))
            #expect(parts.map(\.0) == [.init(name: "object_key"), .init(name: "file", filename: "a;b.bin", contentType: "application/x-test")])
            #expect(parts.first?.1 == Array("runs/a b.bin".utf8), "chunk size \(chunkSize)")
            #expect(parts.last?.1 == Self.trickyFile, "chunk size \(chunkSize)")
        }
    }

    @Test("an empty part and a form without a preamble")
    func emptyPart() async throws {
        let body = Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"e\"\r\n\r\n\r\n--\(Self.boundary)--".utf8)
        let parts = try await Self.read(Self.request(body, chunkSize: 4))
        #expect(parts.count == 1 && parts[0].0.filename == "e" && parts[0].1.isEmpty)
    }

    @Test("a truncated or garbled form is a 400, a body that is no form a 422")
    func malformed() async throws {
        let full = Self.form(file: Array("data".utf8))
        for body in [Array(full.dropLast(8)), Array("no boundary at all".utf8), Array("--\(Self.boundary)xx".utf8) + full] {
            await #expect(throws: APIError.self) { _ = try await Self.read(Self.request(body, chunkSize: 3)) }
            do {
                _ = try await Self.read(Self.request(body, chunkSize: 3))
            } catch let error as APIError {
                #expect(error.status == .badRequest)
            }
        }
        for contentType in ["application/json", "multipart/form-data", "multipart/form-data; boundary="] {
            #expect(throws: APIError.self) { _ = try MultipartFormReader(request: Self.request(full, chunkSize: 8, contentType: contentType)) }
        }
        let headers = Array("--\(Self.boundary)\r\n".utf8) + Array(repeating: UInt8(ascii: "a"), count: MultipartFormReader.headerLimit + 10)
        await #expect(throws: APIError.self) { _ = try await Self.read(Self.request(headers, chunkSize: 4096)) }
    }

    @Test("S3's XML: namespaced, with entities, lists and errors")
    func xml() throws {
        let listing = try S3XML.parse(
            Data(
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>true</IsTruncated>
                <NextContinuationToken>t/1==</NextContinuationToken>
                <Contents><Key>a &amp; b&lt;c&gt;.txt</Key><Size>12</Size><ETag>&quot;abc&quot;</ETag></Contents>
                <Contents><Key>d</Key><Size>0</Size></Contents></ListBucketResult>
                """.utf8))
        #expect(listing.name == "ListBucketResult" && listing["IsTruncated"] == "true" && listing["NextContinuationToken"] == "t/1==")
        #expect(listing.children("Contents").map { $0["Key"] } == ["a & b<c>.txt", "d"])
        #expect(S3Client.unquoted(listing.children("Contents")[0]["ETag"] ?? "") == "abc")
        let failure = S3Client.failure(
            from: Data("<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>".utf8), status: 404)
        #expect(failure.code == "NoSuchBucket")
        #expect(S3Client.failure(from: Data(), status: 404).code == "NotFound")
        #expect(throws: S3XML.Malformed.self) { try S3XML.parse(Data("<a><b></a>".utf8)) }
        #expect(S3XML.escape("<a & 'b'>") == "&lt;a &amp; &#39;b&#39;&gt;")
    }

    @Test("bucket names follow S3's rules; keys are 1 to 1024 bytes without control characters")
    func names() throws {
        for name in ["abc", "lab-data.2026", String(repeating: "a", count: 63)] { try StorageRoutes.checkBucketName(name) }
        for name in ["ab", "Bad_Name", "-abc", "abc-", "a..b", String(repeating: "a", count: 64), "a/b", "ab c"] {
            #expect(throws: APIError.self, "\(name)") { try StorageRoutes.checkBucketName(name) }
        }
        try StorageRoutes.checkKey("runs/2026/a b.csv", field: "key")
        for key in ["", String(repeating: "é", count: 513), "a\nb", "a\u{7F}"] {
            #expect(throws: APIError.self) { try StorageRoutes.checkKey(key, field: "key") }
        }
    }

    @Test("downloads are attachments named by the key's last segment, non-ASCII names in RFC 5987 form")
    func attachment() {
        #expect(StorageRoutes.attachment(filename: "output.bin") == "attachment; filename=\"output.bin\"")
        #expect(
            StorageRoutes.attachment(filename: "résumé \"1\".pdf")
                == "attachment; filename=\"r_sum_ _1_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.pdf")
    }

    @Test("settings: upstream's defaults, host:port or URL endpoints, unconfigured when a key is blank")
    func settings() throws {
        let defaults = try StorageSettings.load(from: ConfigurationSource(environment: [:]))
        #expect(!defaults.enabled && defaults.configured && defaults.endpointURL?.absoluteString == "http://localhost:9000")
        #expect(defaults.region == "us-east-1" && defaults.partSize == 16 << 20)
        let secure = try StorageSettings.load(from: ConfigurationSource(environment: ["S3_ENDPOINT": "minio.lab:9000", "S3_SECURE": "True"]))
        #expect(secure.endpointURL?.absoluteString == "https://minio.lab:9000")
        let url = try StorageSettings.load(from: ConfigurationSource(environment: ["S3_ENDPOINT": "http://127.0.0.1:5000"]))
        #expect(url.endpointURL?.absoluteString == "http://127.0.0.1:5000")
        let blank = try StorageSettings.load(from: ConfigurationSource(environment: ["S3_ENABLED": "True", "S3_SECRET_KEY": ""]))
        #expect(blank.enabled && !blank.configured)
        #expect(throws: ConfigurationError.self) {
            try StorageSettings.load(from: ConfigurationSource(environment: ["S3_ENABLED": "True", "S3_ENDPOINT": "ftp://x"]))
        }
        #expect(throws: ConfigurationError.self) { try StorageSettings.load(from: ConfigurationSource(environment: ["S3_PART_SIZE_MB": "4"])) }
        #expect(S3Client.isoDate(fromHTTPDate: "Wed, 02 Dec 2026 14:07:32 GMT") == "2026-12-02T14:07:32Z")
    }
}
