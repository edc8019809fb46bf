import Essentials
import Foundation

/// An HTTP answer as tests look at it, whichever client fetched it (Hummingbird's test
/// client, AsyncHTTPClient against a real process).
public struct HTTPReply: Sendable {
    public let status: Int
    public let text: String
    public let headers: [(name: String, value: String)]
    /// The body as JSON, or the text as a JSON string when it is not JSON.
    public let body: JSONValue

    public init(status: Int, bytes: some Collection<UInt8>, headers: [(name: String, value: String)] = []) {
        self.status = status
        self.text = String(decoding: bytes, as: UTF8.self)
        self.headers = headers
        self.body = (try? JSONValue.decode(Data(bytes))) ?? .string(text)
    }

    public subscript(key: String) -> JSONValue? { body[key] }

    /// The first value of a header, by name in any case.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as Foundation objects, for tests that compare with `as? String` and friends.
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }
}
