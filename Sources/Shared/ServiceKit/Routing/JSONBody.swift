import Essentials
import Foundation
import Hummingbird

/// A request's JSON object body, or the 422 FastAPI gives for anything else (its clients read
/// `detail` as a list of `{loc, msg, type}`).
public enum JSONBody {
    /// - Parameter limit: for routes past ``BodyLimitMiddleware`` (``StreamingPaths``); others are bounded already.
    public static func object(from request: Request, expecting description: String, limit: Int = .max) async throws -> [String: JSONValue] {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, detail: "Request body exceeds the limit of \(limit) bytes.")
        }
        guard let object = try? JSONValue.decode(Data(buffer: buffer)).objectValue else {
            throw APIError(.unprocessableContent, detail: [["loc": ["body"], "msg": .string(description), "type": "value_error"]])
        }
        return object
    }

    /// As ``object(from:expecting:limit:)``, but a request without a body (no length and no
    /// chunked encoding, or `Content-Length: 0`) counts as `{}`: for routes whose every field
    /// is optional.
    public static func objectOrEmpty(from request: Request, expecting description: String, limit: Int = .max) async throws -> [String: JSONValue] {
        let declared = request.headers[.contentLength].flatMap(Int.init)
        if declared == 0 || (declared == nil && request.headers[.transferEncoding] == nil) { return [:] }
        return try await object(from: request, expecting: description, limit: limit)
    }
}
