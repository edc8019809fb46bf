import AsyncHTTPClient
import Essentials
import Foundation
import NIOCore
import NIOHTTP1

/// What went wrong talking to the S3 server.
enum S3Failure: Error, CustomStringConvertible {
    /// The server answered with an S3 error: its HTTP status, code (`NoSuchBucket`) and message.
    case refused(status: Int, code: String, message: String)
    /// The server could not be reached, or did not answer in time.
    case unreachable(String)
    /// The server answered something that is not S3 (an HTML page, malformed XML).
    case unexpected(String)

    var code: String? {
        if case .refused(_, let code, _) = self { return code }
        return nil
    }

    var description: String {
        switch self {
        case .refused(let status, let code, let message): "S3 answered \(status) \(code): \(message)"
        case .unreachable(let reason): "S3 server unreachable: \(reason)"
        case .unexpected(let reason): "unexpected S3 answer: \(reason)"
        }
    }
}

/// An S3 client for the calls the EP's storage routes make, over AsyncHTTPClient with
/// Signature Version 4. Path-style addressing (`endpoint/bucket/key`), which every
/// S3-compatible server accepts and which needs no DNS per bucket.
///
/// Bodies the EP sends are at most one part (``S3Settings/partSize``), so each is signed with
/// its SHA-256; downloads are handed back as the response's body stream.
struct S3Client: Sendable {
    let endpoint: URL
    let signer: SigV4Signer
    let http: HTTPClient
    /// Budget of one call that is not a body stream.
    var timeout: Duration = .seconds(30)

    /// The client S3 calls go through, one per process: a download may take as long as it
    /// keeps moving; one that stalls for 60 s fails.
    static let sharedHTTPClient = UpstreamHTTPClient.passThrough(readTimeout: .seconds(60))

    /// `host` or `host:port` as the Host header carries it (and the signature signs it).
    var hostHeader: String {
        let host = endpoint.host ?? "localhost"
        let bracketed = host.contains(":") ? "[\(host)]" : host
        guard let port = endpoint.port, !(endpoint.scheme == "http" && port == 80), !(endpoint.scheme == "https" && port == 443) else {
            return bracketed
        }
        return "\(bracketed):\(port)"
    }

    struct Bucket: Sendable, Equatable {
        var name: String
        var creationDate: String
    }

    struct ObjectSummary: Sendable, Equatable {
        var key: String
        var size: Int64
        var etag: String
        var lastModified: String
    }

    struct ObjectPage: Sendable {
        var objects: [ObjectSummary]
        var nextContinuationToken: String?
    }

    /// What HEAD says about an object.
    struct ObjectHead: Sendable {
        var size: Int64
        var contentType: String
        var etag: String
        var lastModified: String
        var headers: [(name: String, value: String)]
    }

    /// Whether the server answers ListBuckets with these credentials within 2 s
    /// (`/status/`'s `s3_connected`, `/ready`'s `minio` check).
    func reachable() async -> Bool {
        var quick = self
        quick.timeout = .seconds(2)
        return (try? await quick.listBuckets()) != nil
    }

    // MARK: Buckets

    func listBuckets() async throws -> [Bucket] {
        let document = try await xmlCall("GET")
        return (document.child("Buckets")?.children("Bucket") ?? []).map { bucket in
            Bucket(name: bucket["Name"] ?? "", creationDate: bucket["CreationDate"] ?? "")
        }
    }

    /// Creates `name`; outside us-east-1 the region is named in the body, as S3 requires.
    func createBucket(_ name: String, region: String? = nil) async throws {
        let region = region ?? signer.region
        var body: ByteBuffer?
        if region != "us-east-1" {
            body = ByteBuffer(
                string:
                    "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(S3XML.escape(region))</LocationConstraint></CreateBucketConfiguration>"
            )
        }
        _ = try await collectedCall("PUT", bucket: name, body: body)
    }

    /// Whether `name` exists (and the credentials may see it).
    func bucketExists(_ name: String) async throws -> Bool {
        do {
            _ = try await collectedCall("HEAD", bucket: name)
            return true
        } catch S3Failure.refused(404, _, _) {
            return false
        }
    }

    func deleteBucket(_ name: String) async throws {
        _ = try await collectedCall("DELETE", bucket: name)
    }

    // MARK: Objects

    /// One page of ListObjectsV2 (up to 1,000 keys).
    func listObjects(_ bucket: String, prefix: String? = nil, continuationToken: String? = nil) async throws -> ObjectPage {
        var query: [(name: String, value: String)] = [("list-type", "2")]
        if let prefix, !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        let document = try await xmlCall("GET", bucket: bucket, query: query)
        let objects = document.children("Contents").map { item in
            ObjectSummary(
                key: item["Key"] ?? "", size: Int64(item["Size"] ?? "") ?? 0, etag: Self.unquoted(item["ETag"] ?? ""),
                lastModified: item["LastModified"] ?? "")
        }
        let truncated = document["IsTruncated"] == "true"
        return ObjectPage(objects: objects, nextContinuationToken: truncated ? document["NextContinuationToken"] : nil)
    }

    /// Every object under `prefix`, page after page.
    func listAllObjects(_ bucket: String, prefix: String? = nil) async throws -> [ObjectSummary] {
        var all: [ObjectSummary] = []
        var token: String?
        repeat {
            let page = try await listObjects(bucket, prefix: prefix, continuationToken: token)
            all += page.objects
            token = page.nextContinuationToken
        } while token != nil
        return all
    }

    /// Stores `body` whole; returns the ETag.
    func putObject(_ bucket: String, key: String, body: ByteBuffer, contentType: String) async throws -> String {
        let response = try await collectedCall(
            "PUT", bucket: bucket, key: key, headers: [("Content-Type", contentType)], body: body, deadline: timeout * 10)
        return Self.unquoted(response.headers.first(name: "etag") ?? "")
    }

    /// Starts a multipart upload; returns its id.
    func createMultipartUpload(_ bucket: String, key: String, contentType: String) async throws -> String {
        let document = try await xmlCall("POST", bucket: bucket, key: key, query: [("uploads", "")], headers: [("Content-Type", contentType)])
        guard let id = document["UploadId"], !id.isEmpty else { throw S3Failure.unexpected("no UploadId in the answer") }
        return id
    }

    /// Uploads part `number` (1…10,000); returns its ETag.
    func uploadPart(_ bucket: String, key: String, uploadID: String, number: Int, body: ByteBuffer) async throws -> String {
        let response = try await collectedCall(
            "PUT", bucket: bucket, key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: body, deadline: timeout * 10)
        return response.headers.first(name: "etag") ?? ""
    }

    /// Joins the parts into the object; returns its ETag. S3 may answer 200 with an error
    /// in the body, which is checked too.
    func completeMultipartUpload(_ bucket: String, key: String, uploadID: String, parts: [String]) async throws -> String {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for (index, etag) in parts.enumerated() {
            xml += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(S3XML.escape(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let document = try await xmlCall("POST", bucket: bucket, key: key, query: [("uploadId", uploadID)], body: ByteBuffer(string: xml))
        if document.name == "Error" { throw Self.failure(from: document, status: 200) }
        return Self.unquoted(document["ETag"] ?? "")
    }

    func abortMultipartUpload(_ bucket: String, key: String, uploadID: String) async throws {
        _ = try await collectedCall("DELETE", bucket: bucket, key: key, query: [("uploadId", uploadID)])
    }

    /// HEAD of an object; nil when there is none.
    func headObject(_ bucket: String, key: String) async throws -> ObjectHead? {
        let response: HTTPClientResponse
        do {
            response = try await collectedCall("HEAD", bucket: bucket, key: key)
        } catch S3Failure.refused(404, _, _) {
            return nil
        }
        let headers = response.headers.map { (name: $0.name.lowercased(), value: $0.value) }
        return ObjectHead(
            size: response.headers.first(name: "content-length").flatMap { Int64($0) } ?? 0,
            contentType: response.headers.first(name: "content-type") ?? "application/octet-stream",
            etag: Self.unquoted(response.headers.first(name: "etag") ?? ""),
            lastModified: response.headers.first(name: "last-modified").flatMap(Self.isoDate(fromHTTPDate:)) ?? "",
            headers: headers)
    }

    /// GET of an object, its body not read: the caller streams it. nil when there is none.
    func getObject(_ bucket: String, key: String) async throws -> HTTPClientResponse? {
        do {
            // The body may take long to stream: the call's deadline covers the head, the
            // client's read timeout a stalled body.
            let response = try await call("GET", bucket: bucket, key: key, deadline: .seconds(86_400))
            guard (200..<300).contains(response.status.code) else {
                let body = try await response.body.collect(upTo: 1 << 20)
                throw Self.failure(from: Data(buffer: body), status: Int(response.status.code))
            }
            return response
        } catch S3Failure.refused(404, _, _) {
            return nil
        }
    }

    func deleteObject(_ bucket: String, key: String) async throws {
        _ = try await collectedCall("DELETE", bucket: bucket, key: key)
    }

    /// A URL anyone may use for `method` on the object for `expires` seconds.
    func presignedURL(method: String, bucket: String, key: String, expires: Int, at date: Date = Date()) -> String {
        let path = Self.path(bucket: bucket, key: key)
        let query = signer.presignedQuery(method: method, path: path, host: hostHeader, expires: expires, at: date)
        return url(path: path, query: query)
    }

    // MARK: Calls

    static func path(bucket: String?, key: String? = nil) -> String {
        guard let bucket else { return "/" }
        guard let key else { return "/\(bucket)" }
        return "/\(bucket)/\(key)"
    }

    private func url(path: String, query: [(name: String, value: String)]) -> String {
        var text = endpoint.absoluteString.withoutTrailingSlashes
        text += SigV4Signer.encode(path, keepingSlash: true)
        if !query.isEmpty {
            text += "?" + query.map { "\(SigV4Signer.encode($0.name))=\(SigV4Signer.encode($0.value))" }.joined(separator: "&")
        }
        return text
    }

    /// Signs and sends one request; the response's body is not read.
    func call(
        _ method: String, bucket: String? = nil, key: String? = nil, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], body: ByteBuffer? = nil, deadline: Duration? = nil
    ) async throws -> HTTPClientResponse {
        let path = Self.path(bucket: bucket, key: key)
        var request = HTTPClientRequest(url: url(path: path, query: query))
        request.method = HTTPMethod(rawValue: method)
        let payloadHash = body.map { SigV4Signer.sha256Hex($0.readableBytesView) } ?? SigV4Signer.emptyPayloadHash
        let signed = SigV4Signer.Request(method: method, path: path, query: query, headers: [("host", hostHeader)], payloadHash: payloadHash)
        request.headers.add(name: "Host", value: hostHeader)
        for (name, value) in headers + signer.signingHeaders(for: signed) { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(body)
        } else if method == "PUT" || method == "POST" {
            request.headers.add(name: "Content-Length", value: "0")
        }
        do {
            return try await http.execute(request, timeout: .nanoseconds((deadline ?? timeout).nanoseconds))
        } catch let error as HTTPClientError {
            throw S3Failure.unreachable("\(error)")
        } catch let error as ChannelError {
            throw S3Failure.unreachable("\(error)")
        } catch let error as IOError {
            throw S3Failure.unreachable("\(error)")
        }
    }

    /// A call whose answer is small: read whole, and an error status thrown as ``S3Failure``.
    @discardableResult
    func collectedCall(
        _ method: String, bucket: String? = nil, key: String? = nil, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], body: ByteBuffer? = nil, deadline: Duration? = nil
    ) async throws -> HTTPClientResponse {
        try await completedCall(method, bucket: bucket, key: key, query: query, headers: headers, body: body, deadline: deadline).response
    }

    /// A call answered with an XML document.
    func xmlCall(
        _ method: String, bucket: String? = nil, key: String? = nil, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], body: ByteBuffer? = nil
    ) async throws -> S3XML {
        let answer = try await completedCall(method, bucket: bucket, key: key, query: query, headers: headers, body: body)
        do {
            return try S3XML.parse(Data(buffer: answer.body))
        } catch {
            throw S3Failure.unexpected("\(error)")
        }
    }

    /// A call whose answer is read whole (S3's answers other than object bodies are small);
    /// an error answer becomes its `S3Failure`.
    private func completedCall(
        _ method: String, bucket: String?, key: String?, query: [(name: String, value: String)],
        headers: [(name: String, value: String)], body: ByteBuffer?, deadline: Duration? = nil
    ) async throws -> (response: HTTPClientResponse, body: ByteBuffer) {
        var response = try await call(method, bucket: bucket, key: key, query: query, headers: headers, body: body, deadline: deadline)
        let collected = try await response.body.collect(upTo: 16 << 20)
        guard (200..<300).contains(response.status.code) else {
            throw Self.failure(from: Data(buffer: collected), status: Int(response.status.code))
        }
        response.body = .bytes(collected)
        return (response, collected)
    }

    /// The S3 error in an answer's body; HEAD answers have none, so the code comes from the status.
    static func failure(from body: Data, status: Int) -> S3Failure {
        guard let document = try? S3XML.parse(body), document.name == "Error" else {
            let code = [404: "NotFound", 403: "AccessDenied", 409: "Conflict", 400: "BadRequest"][status] ?? "HTTP\(status)"
            return .refused(status: status, code: code, message: HTTPResponseStatus(statusCode: status).reasonPhrase)
        }
        return failure(from: document, status: status)
    }

    static func failure(from document: S3XML, status: Int) -> S3Failure {
        .refused(status: status, code: document["Code"] ?? "HTTP\(status)", message: document["Message"] ?? "")
    }

    static func unquoted(_ etag: String) -> String {
        etag.count >= 2 && etag.hasPrefix("\"") && etag.hasSuffix("\"") ? String(etag.dropFirst().dropLast()) : etag
    }

    /// `Wed, 02 Dec 2026 14:07:32 GMT` → `2026-12-02T14:07:32Z`.
    static func isoDate(fromHTTPDate text: String) -> String? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text).map(Timestamp.kubernetes)
    }
}
