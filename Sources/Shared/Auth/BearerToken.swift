import Foundation
import Hummingbird

/// Pulls a bearer token from `Authorization`. The scheme word is case-insensitive, as the
/// upstream HTTP bearer scheme treats it; "Bearer" with nothing after it is no token.
public enum BearerToken {
    public static func from(_ headers: HTTPFields) -> String? {
        guard let value = headers[.authorization] else { return nil }
        let parts = value.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
