import Access
import AccessPolicy
import AsyncHTTPClient
import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Logging
import NIOCore
import ServiceKit

/// S3 object storage (docs/specs/ndp-ep.md §2.11): buckets and objects of the S3-compatible
/// server `S3_ENDPOINT` names, for writers, with the answers and texts the `ndp-ep` client
/// reads. Uploads and downloads stream: an object of any size passes through holding at most
/// one part (``StorageSettings/partSize``) in memory.
///
/// Beyond upstream: presigned URLs take `expiration` (what the 0.9.0 client sends) as well as
/// `expires_in`; an upload over one part is a multipart upload; bucket names are checked
/// before S3 is asked.
struct StorageRoutes: ServiceFeature {
    /// nil when S3 is enabled but not configured: every route answers 503.
    let client: S3Client?
    let settings: StorageSettings
    let access: EndpointAccess

    init(settings: StorageSettings, access: EndpointAccess, http: HTTPClient = S3Client.sharedHTTPClient) {
        self.settings = settings
        self.access = access
        client = settings.endpointURL.flatMap { endpoint in
            settings.configured
                ? S3Client(
                    endpoint: endpoint, signer: SigV4Signer(accessKey: settings.accessKey, secretKey: settings.secretKey, region: settings.region),
                    http: http, timeout: settings.timeout)
                : nil
        }
    }

    /// `storage` read, create and delete (public mode: the default gives them to writers).
    /// `POST /s3/objects/{bucket}/{key…}/presigned-upload|download` share one path pattern (a key
    /// may hold slashes, so the suffix is found in the handler), which then decides create
    /// (upload) or read (download). Uploads stream their request bodies.
    var routes: [Route<IdentityRequestContext>] {
        func storageAccess(_ operation: PolicyOperation) -> PolicyAccess { .policy(.storage, operation, .fixed(.public)) }
        func storage(_ builder: RouteBuilder<IdentityRequestContext, NoQuery, NoBody>) -> RouteBuilder<IdentityRequestContext, NoQuery, NoBody> {
            builder.tags("storage").responds(400, "Invalid bucket name, or S3 refused the request").responds(502, "S3 failed")
                .responds(503, "S3 not configured or unreachable")
        }
        let message = JSONSchema.of(Done.self)
        let bucketSchema = JSONSchema.object(["name": JSONSchema.string, "creation_date": JSONSchema.string])
        let presigned = JSONSchema.object(["url": JSONSchema.string, "expires_in": JSONSchema.integer])
        return [
            storage(Route.get("/s3/buckets/", "List buckets.", access: storageAccess(.read)))
                .answers(200, "Buckets", schema: JSONSchema.object(["buckets": JSONSchema.array(of: bucketSchema)]))
                .handle { _ in try await listBuckets() },
            storage(Route.post("/s3/buckets/", "Create a bucket.", access: storageAccess(.create))).body(BucketBody.self)
                .responds(409, "Exists")
                .handle(status: .created) { call in try await createBucket(call.body) },
            storage(Route.get("/s3/buckets/{bucket}", "A bucket.", access: storageAccess(.read))).answers(200, "The bucket", schema: bucketSchema)
                .responds(404, "No such bucket")
                .handle { call in try await bucketInfo(try bucketName(call.context)) },
            storage(Route.delete("/s3/buckets/{bucket}", "Delete an empty bucket.", access: storageAccess(.delete))).answers(
                200, "Deleted", schema: message
            )
            .responds(404, "No such bucket").responds(409, "Not empty")
            .handle { call in try await deleteBucket(try bucketName(call.context)) },
            storage(
                Route.post(
                    "/s3/objects/{bucket}",
                    "Upload the form's `file` under `object_key` (default: its file name), streamed; over one part a multipart upload.",
                    access: storageAccess(.create))
            ).body(RawBody.self).streamingBody()
                .documentedBody(
                    JSONSchema.object(["file": ["type": "string", "format": "binary"], "object_key": JSONSchema.string], required: ["file"]),
                    contentType: "multipart/form-data"
                )
                .answers(
                    200, "Stored",
                    schema: JSONSchema.object([
                        "bucket": JSONSchema.string, "key": JSONSchema.string, "size": JSONSchema.integer, "etag": JSONSchema.string,
                    ])
                )
                .responds(404, "No such bucket").responds(413, "Too large")
                .handleRequest { request, context in try await upload(request, bucket: try bucketName(context), logger: context.logger) },
            storage(Route.get("/s3/objects/{bucket}", "List every object under `prefix`.", access: storageAccess(.read))).parameter("prefix")
                .answers(200, "Objects", schema: JSONSchema.object(["objects": ["type": "array"], "prefix": [:]]))
                .handleRequest { request, context in try await listObjects(try bucketName(context), request: request) },
            storage(
                Route.get("/s3/objects/{bucket}/**", "Download an object, streamed; `{key}/metadata` gives its HEAD.", access: storageAccess(.read))
            )
            .documented(as: "/s3/objects/{bucket}/{key}", "/s3/objects/{bucket}/{key}/metadata")
            .answers(200, "The bytes", schema: ["type": "string", "format": "binary"], contentType: "application/octet-stream")
            .responds(404, "No such object")
            .handleRequest { request, context in
                let (bucket, key) = try objectName(request, context: context)
                if key.hasSuffix("/metadata"), key.count > "/metadata".count {
                    return try await metadata(bucket, key: String(key.dropLast("/metadata".count))).response()
                }
                return try await download(bucket, key: key)
            },
            storage(Route.delete("/s3/objects/{bucket}/**", "Delete an object.", access: storageAccess(.delete)))
                .documented(as: "/s3/objects/{bucket}/{key}").answers(200, "Deleted", schema: message).responds(404, "No such object")
                .handleRequest { request, context in
                    let (bucket, key) = try objectName(request, context: context)
                    return try await deleteObject(bucket, key: key)
                },
            storage(
                Route.post(
                    "/s3/objects/{bucket}/**", "A presigned PUT URL (storage create) or GET URL (storage read).",
                    access: .policy(.storage, .read, .inHandler(.public)))
            ).body(PresignBody.self)
                .documented(as: "/s3/objects/{bucket}/{key}/presigned-upload", "/s3/objects/{bucket}/{key}/presigned-download")
                .answers(200, "The URL", schema: presigned)
                .handle { call in
                    let request = call.request
                    for (suffix, method, operation) in [("/presigned-upload", "PUT", PolicyOperation.create), ("/presigned-download", "GET", .read)]
                    where request.uri.path.hasSuffix(suffix) {
                        try access.authorize(call.context.identity, .storage, operation, PolicyObject(mode: .public), logger: call.context.logger)
                        let (bucket, key) = try objectName(request, context: call.context, dropping: suffix)
                        return try await presign(method, bucket: bucket, key: key, expires: call.body.expires)
                    }
                    throw APIError(.notFound, detail: "Not Found")
                },
        ]
    }

    /// Ready once the S3 server lists its buckets (upstream's "minio" check).
    var readinessChecks: [ReadinessCheck] {
        let client = self.client
        return [
            ReadinessCheck(name: "minio") {
                guard let client else { throw StorageError.notConfigured }
                _ = try await client.listBuckets()
            }
        ]
    }

    /// `{name, region?}`.
    struct BucketBody: JSONRequest, Validatable {
        var name: String
        var region: String?

        func validate(_ checks: inout FieldChecks) {
            checks.length(region, "region", 1...64)
        }
    }

    /// `{expires_in | expiration: 1…604800}` (the 0.9.0 client sends `expiration`); default 3600 s.
    struct PresignBody: JSONRequest, Validatable {
        static var emptyBodyIsEmptyObject: Bool { true }
        var expires_in: Int?
        var expiration: Int?

        var expires: Int { expires_in ?? expiration ?? 3600 }

        /// Under `/s3/objects/`, where uploads stream past the body limit: bounded here.
        static func read(from request: Request) async throws -> PresignBody {
            try await decode(from: request, limit: 64 << 10)
        }

        func validate(_ checks: inout FieldChecks) {
            checks.range(expires_in, "expires_in", 1...604_800)
            checks.range(expiration, "expiration", 1...604_800)
        }
    }

    /// `{message, success}`.
    struct Done: JSONAnswer {
        var message: String
        var success: Bool
    }

    // MARK: Buckets

    func listBuckets() async throws -> JSONValue {
        let buckets = try await s3 { try await $0.listBuckets() }
        return ["buckets": .array(buckets.map { ["name": .string($0.name), "creation_date": .string($0.creationDate)] })]
    }

    func bucketInfo(_ name: String) async throws -> JSONValue {
        let buckets = try await s3 { try await $0.listBuckets() }
        guard let bucket = buckets.first(where: { $0.name == name }) else { throw StorageError.bucketNotFound(name) }
        return ["name": .string(bucket.name), "creation_date": .string(bucket.creationDate)]
    }

    /// `{name, region?}` → 201.
    func createBucket(_ body: BucketBody) async throws -> Done {
        let (name, region) = (body.name, body.region)
        try Self.checkBucketName(name)
        try await s3(bucket: name) { client in
            // us-east-1 answers 200 to creating a bucket one already owns (S3's legacy
            // behaviour there), so look first, as upstream did.
            guard try await !client.bucketExists(name) else { throw StorageError.bucketExists(name) }
            do {
                try await client.createBucket(name, region: region)
            } catch let failure as S3Failure where ["BucketAlreadyOwnedByYou", "BucketAlreadyExists"].contains(failure.code) {
                throw StorageError.bucketExists(name)
            }
        }
        return Done(message: "Bucket '\(name)' created successfully", success: true)
    }

    func deleteBucket(_ name: String) async throws -> Done {
        try await s3(bucket: name) { client in
            do {
                try await client.deleteBucket(name)
            } catch let failure as S3Failure where failure.code == "BucketNotEmpty" {
                throw StorageError.bucketNotEmpty(name)
            }
        }
        return Done(message: "Bucket '\(name)' deleted successfully", success: true)
    }

    // MARK: Objects

    /// `{objects: [{key, size, etag, last_modified, content_type}], prefix}`, every page of
    /// the listing (S3 gives 1,000 keys at a time). `content_type` is null: a listing does
    /// not carry it (upstream's was null too), `/metadata` has it.
    func listObjects(_ bucket: String, request: Request) async throws -> JSONValue {
        let prefix = request.uri.queryParameters["prefix"].map(String.init)
        let objects = try await s3(bucket: bucket) { try await $0.listAllObjects(bucket, prefix: prefix) }
        return [
            "objects": .array(
                objects.map { object in
                    [
                        "key": .string(object.key), "size": .number(Double(object.size)), "etag": .string(object.etag),
                        "last_modified": .string(object.lastModified), "content_type": .null,
                    ]
                }),
            "prefix": prefix.map(JSONValue.string) ?? .null,
        ]
    }

    /// The object's bytes as S3 sends them, streamed; `attachment` with the key's last segment.
    func download(_ bucket: String, key: String) async throws -> Response {
        guard let response = try await s3(bucket: bucket, { try await $0.getObject(bucket, key: key) }) else {
            throw StorageError.objectNotFound(bucket: bucket, key: key)
        }
        var headers: HTTPFields = [
            .contentType: response.headers.first(name: "content-type") ?? "application/octet-stream",
            .contentDisposition: Self.attachment(filename: String(key.split(separator: "/").last ?? Substring(key))),
        ]
        for name in ["content-length", "etag", "last-modified"] {
            if let value = response.headers.first(name: name), let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(asyncSequence: response.body))
    }

    /// `{key, size, content_type, last_modified, etag, metadata}`: metadata holds the
    /// object's response headers, as upstream's did.
    func metadata(_ bucket: String, key: String) async throws -> JSONValue {
        guard let head = try await s3(bucket: bucket, { try await $0.headObject(bucket, key: key) }) else {
            throw StorageError.objectNotFound(bucket: bucket, key: key)
        }
        var metadata: [String: JSONValue] = [:]
        for (name, value) in head.headers { metadata[name] = .string(value) }
        return [
            "key": .string(key), "size": .number(Double(head.size)), "content_type": .string(head.contentType),
            "last_modified": .string(head.lastModified), "etag": .string(head.etag), "metadata": .object(metadata),
        ]
    }

    func deleteObject(_ bucket: String, key: String) async throws -> JSONValue {
        // S3 deletes a missing key without complaint; upstream answered 404, so look first.
        try await s3(bucket: bucket) { client in
            guard try await client.headObject(bucket, key: key) != nil else { throw StorageError.objectNotFound(bucket: bucket, key: key) }
            try await client.deleteObject(bucket, key: key)
        }
        return ["message": .string("Object '\(key)' deleted successfully"), "success": true]
    }

    /// `{expires_in | expiration: 1…604800, default 3600}` → `{url, expires_in}`.
    func presign(_ method: String, bucket: String, key: String, expires: Int) async throws -> JSONValue {
        guard let client else { throw StorageError.notConfigured }
        return [
            "url": .string(client.presignedURL(method: method, bucket: bucket, key: key, expires: expires)), "expires_in": .number(Double(expires)),
        ]
    }

    /// Streams the form's `file` part into S3 under `object_key` (else the file's name):
    /// 200 `{bucket, key, size, etag}`. A file that fits in one part is held until the form
    /// ends, so `object_key` may follow it; a larger one goes up as it arrives, under the key
    /// known when its first part is sent, and a later differing `object_key` aborts it. Nothing
    /// is stored unless the whole form is acceptable.
    func upload(_ request: Request, bucket: String, logger: Logger) async throws -> JSONValue {
        guard let client else { throw StorageError.notConfigured }
        var form = try MultipartFormReader(request: request)
        var objectKey: String?
        var field: (name: String, value: ByteBuffer)?
        var upload: S3Upload?
        var readingFile = false
        do {
            while let event = try await form.next() {
                switch event {
                case .start(let part) where part.name == "file" && upload == nil:
                    upload = S3Upload(
                        client: client, bucket: bucket, key: objectKey ?? part.filename ?? "",
                        contentType: part.contentType ?? "application/octet-stream", partSize: settings.partSize)
                    readingFile = true
                case .start(let part):
                    field = (part.name, ByteBuffer())
                case .bytes(let bytes) where readingFile:
                    if !upload!.started, upload!.fillsAPart(adding: bytes.readableBytes) {
                        try Self.checkUploadKey(upload!.key)
                    }
                    try await upload!.append(bytes)
                case .bytes(var bytes):
                    guard field != nil, field!.value.readableBytes + bytes.readableBytes <= 64 << 10 else {
                        throw APIError(.contentTooLarge, detail: "A form field other than file is limited to 64 KiB.")
                    }
                    field!.value.writeBuffer(&bytes)
                case .end where readingFile:
                    readingFile = false
                case .end:
                    if let field, field.name == "object_key" {
                        let key = String(buffer: field.value)
                        objectKey = key
                        if upload?.started == true, upload!.key != key {
                            throw APIError.validation(
                                "object_key must come before a file larger than one part (\(settings.partSize >> 20) MiB)", field: "object_key")
                        }
                        upload?.key = key
                    }
                    field = nil
                }
            }
            guard upload != nil else { throw APIError.validation("Field required", field: "file") }
            try Self.checkUploadKey(upload!.key)
            let etag = try await upload!.finish()
            logger.info("stored an object", metadata: ["bucket": "\(bucket)", "key": "\(upload!.key)", "bytes": "\(upload!.size)"])
            return ["bucket": .string(bucket), "key": .string(upload!.key), "size": .number(Double(upload!.size)), "etag": .string(etag)]
        } catch {
            await upload?.abort()
            await form.drain()
            throw Self.apiError(error, bucket: bucket)
        }
    }

    /// The key an upload is stored under: `object_key`, else the file's name.
    private static func checkUploadKey(_ key: String) throws {
        guard !key.isEmpty else { throw APIError.validation("object_key (or the file's name) is required", field: "object_key") }
        try checkKey(key, field: "object_key")
    }

    // MARK: Helpers

    /// Runs S3 calls, turning S3's refusals into the answers upstream gave.
    private func s3<Value>(bucket: String? = nil, _ body: (S3Client) async throws -> Value) async throws -> Value {
        guard let client else { throw StorageError.notConfigured }
        do {
            return try await body(client)
        } catch {
            throw Self.apiError(error, bucket: bucket)
        }
    }

    static func apiError(_ error: any Error, bucket: String?) -> any Error {
        switch error {
        case S3Failure.refused(_, "NoSuchBucket", _):
            return StorageError.bucketNotFound(bucket ?? "")
        case S3Failure.refused(404, _, _) where bucket != nil:
            return StorageError.bucketNotFound(bucket!)
        case let failure as S3Failure:
            return StorageError.s3(failure)
        case is S3Upload.TooLarge:
            return StorageError.tooLarge((error as! S3Upload.TooLarge).limit)
        default:
            return error
        }
    }

    private func bucketName(_ context: IdentityRequestContext) throws -> String {
        let name = try context.parameters.require("bucket")
        let decoded = name.removingPercentEncoding ?? name
        try Self.checkBucketName(decoded)
        return decoded
    }

    /// The bucket and the key from the raw path: the key keeps its slashes (even doubled or
    /// trailing ones, which the router's catch-all drops) and is percent-decoded once.
    private func objectName(_ request: Request, context: IdentityRequestContext, dropping suffix: String = "") throws -> (String, String) {
        let bucket = try bucketName(context)
        var path = Substring(request.uri.path)
        guard let range = path.range(of: "/s3/objects/") else { throw StorageError.objectNotFound(bucket: bucket, key: "") }
        path = path[range.upperBound...]
        path = path.drop { $0 != "/" }.dropFirst()
        if !suffix.isEmpty, path.hasSuffix(suffix) { path = path.dropLast(suffix.count) }
        guard let key = String(path).removingPercentEncoding else {
            throw APIError.validation("The key is not valid UTF-8", field: "key", location: "path")
        }
        try Self.checkKey(key, field: "key", location: "path")
        return (bucket, key)
    }

    /// S3's bucket naming rules: 3–63 lower-case letters, digits, dots and hyphens, starting
    /// and ending with a letter or digit.
    static func checkBucketName(_ name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        guard (3...63).contains(name.count), name.allSatisfy(allowed.contains), let first = name.first, let last = name.last,
            first.isLetter || first.isNumber, last.isLetter || last.isNumber, !name.contains("..")
        else {
            throw APIError(
                .badRequest,
                detail:
                    "Invalid bucket name '\(name)': 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit")
        }
    }

    /// S3 keys: 1 to 1,024 bytes of UTF-8, no control characters.
    static func checkKey(_ key: String, field: String, location: String = "body") throws {
        guard (1...1024).contains(key.utf8.count), !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw APIError.validation("An object key is 1 to 1024 bytes of UTF-8 without control characters", field: field, location: location)
        }
    }

    /// `attachment; filename="a.txt"`, with RFC 5987's `filename*` when the name is not plain ASCII.
    static func attachment(filename: String) -> String {
        let plain = filename.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" }
        if plain { return "attachment; filename=\"\(filename)\"" }
        let fallback = String(filename.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(SigV4Signer.encode(filename))"
    }
}

/// The storage routes' refusals, with upstream's texts (the `ndp-ep` client matches some).
enum StorageError: Error, APIErrorConvertible {
    case notConfigured
    case bucketNotFound(String)
    case bucketExists(String)
    case bucketNotEmpty(String)
    case objectNotFound(bucket: String, key: String)
    case tooLarge(Int64)
    case s3(S3Failure)

    var apiError: APIError {
        switch self {
        case .notConfigured: APIError(.serviceUnavailable, detail: "S3 service is not configured")
        case .bucketNotFound(let name): APIError(.notFound, detail: "Bucket '\(name)' not found")
        case .bucketExists(let name): APIError(.conflict, detail: "Bucket '\(name)' already exists")
        case .bucketNotEmpty(let name): APIError(.conflict, detail: "Bucket '\(name)' is not empty")
        case .objectNotFound(let bucket, let key): APIError(.notFound, detail: "Object '\(key)' not found in bucket '\(bucket)'")
        case .tooLarge(let limit): APIError(.contentTooLarge, detail: "An object is limited to \(limit) bytes (10,000 parts of S3_PART_SIZE_MB).")
        case .s3(.unreachable): APIError(.serviceUnavailable, detail: "S3 service is currently unavailable. Please try again later.")
        case .s3(.refused(let status, let code, let message)) where status == 400:
            APIError(.badRequest, detail: "S3 refused the request: \(code): \(message)")
        case .s3(.refused(let status, let code, let message)) where status == 403:
            APIError(.badGateway, detail: "S3 refused the EP's credentials (\(code): \(message)); check S3_ACCESS_KEY and S3_SECRET_KEY")
        case .s3(let failure): APIError(.badGateway, detail: "S3 request failed: \(failure)")
        }
    }
}
