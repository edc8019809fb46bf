import NIOCore

/// One object going up as its bytes arrive: held until a part's worth is there, then sent.
/// A body no larger than one part is a single PutObject; a larger one a multipart upload of
/// part-sized pieces. One part is sent while the next is read (the caller's upload and the
/// server's work overlap), so memory holds at most two parts whatever the object's size. An
/// upload that fails or is abandoned is aborted, so no invisible parts are left billed on
/// the server.
struct S3Upload {
    let client: S3Client
    let bucket: String
    /// Where the object goes; may change until the first part is sent (`started`).
    var key: String {
        willSet { precondition(!started || newValue == key, "an upload's key is fixed once a part has gone up") }
    }
    let contentType: String
    let partSize: Int
    private var pending = ByteBuffer()
    private var uploadID: String?
    private var parts: [String] = []
    /// The part being sent while the next one is read.
    private var inFlight: Task<String, any Error>?
    private(set) var size: Int64 = 0

    struct TooLarge: Error {
        let limit: Int64
    }

    init(client: S3Client, bucket: String, key: String, contentType: String, partSize: Int) {
        self.client = client
        self.bucket = bucket
        self.key = key
        self.contentType = contentType
        self.partSize = partSize
    }

    /// The largest object this upload can make: S3's 10,000 parts of our part size.
    var limit: Int64 { Int64(partSize) * Int64(StorageSettings.maximumParts) }

    /// Whether a part has gone up already (the key can no longer change).
    var started: Bool { uploadID != nil }

    /// Whether appending `count` more bytes sends a part (and so fixes the key).
    func fillsAPart(adding count: Int) -> Bool { pending.readableBytes + count > partSize }

    mutating func append(_ chunk: ByteBuffer) async throws {
        size += Int64(chunk.readableBytes)
        guard size <= limit else { throw TooLarge(limit: limit) }
        var chunk = chunk
        pending.writeBuffer(&chunk)
        // A full part goes up only once more bytes follow it: the last part may be any size,
        // but a body of exactly one part is better sent whole.
        while pending.readableBytes > partSize {
            let part = pending.readSlice(length: partSize)!
            try await send(part)
            pending.discardReadBytes()
        }
    }

    /// Sends what is left; returns the ETag of the stored object.
    mutating func finish() async throws -> String {
        guard let uploadID else {
            return try await client.putObject(bucket, key: key, body: pending, contentType: contentType)
        }
        if pending.readableBytes > 0 { try await send(pending) }
        pending.clear()
        try await settle()
        return try await client.completeMultipartUpload(bucket, key: key, uploadID: uploadID, parts: parts)
    }

    /// Gives up: a started multipart upload is aborted (best effort: the server's own
    /// lifecycle rules are the backstop if it is unreachable).
    func abort() async {
        inFlight?.cancel()
        _ = try? await inFlight?.value
        guard let uploadID else { return }
        try? await client.abortMultipartUpload(bucket, key: key, uploadID: uploadID)
    }

    /// Waits for the part in flight; its ETag joins the list.
    private mutating func settle() async throws {
        guard let sending = inFlight else { return }
        inFlight = nil
        parts.append(try await sending.value)
    }

    /// Sends `part` once the previous one is in, without waiting for it to arrive.
    private mutating func send(_ part: ByteBuffer) async throws {
        if uploadID == nil {
            uploadID = try await client.createMultipartUpload(bucket, key: key, contentType: contentType)
        }
        try await settle()
        let (client, bucket, key, uploadID, number) = (client, bucket, key, uploadID!, parts.count + 1)
        inFlight = Task { try await client.uploadPart(bucket, key: key, uploadID: uploadID, number: number, body: part) }
    }
}
