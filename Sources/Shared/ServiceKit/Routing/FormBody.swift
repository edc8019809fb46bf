import Foundation
import Hummingbird

/// An `application/x-www-form-urlencoded` body with repeated keys kept, as upstream's
/// `requirments` list needs.
public struct FormBody: Sendable, Equatable {
    public let fields: [(name: String, value: String)]

    public init(fields: [(name: String, value: String)]) {
        self.fields = fields
    }

    public static func == (lhs: FormBody, rhs: FormBody) -> Bool {
        lhs.fields.map { [$0.name, $0.value] } == rhs.fields.map { [$0.name, $0.value] }
    }

    public init(parsing text: String) {
        self.fields = text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            return (name, value)
        }
    }

    /// Reads the request body (already bounded by ``BodyLimitMiddleware``).
    public static func read(from request: Request) async throws -> FormBody {
        var request = request
        let buffer = try await request.collectBody(upTo: .max)
        return FormBody(parsing: String(buffer: buffer))
    }

    /// The fields as a form body (RFC 3986's unreserved characters kept, everything else,
    /// `+` and space included, percent-encoded).
    public var encoded: String {
        fields.map { "\(Self.encode($0.name))=\(Self.encode($0.value))" }.joined(separator: "&")
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// One name or value as a form writes it (RFC 6749 §2.3.1 writes HTTP Basic credentials so).
    public static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    public func first(_ name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    public func all(_ name: String) -> [String] {
        fields.filter { $0.name == name }.map(\.value)
    }

    /// One name or value as a form reads it: `+` is a space, then percent-decoded.
    public static func decode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

extension Hummingbird.Parameters {
    /// The last value of each query parameter, by name.
    public var lastValues: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in self { result[String(key)] = String(value) }
        return result
    }
}
