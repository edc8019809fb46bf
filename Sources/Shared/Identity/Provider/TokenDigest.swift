import Crypto
import Foundation

/// The SHA-256 of a token: the cache key, and (shortened) the only form of a token that
/// may appear in logs.
public struct TokenDigest: Hashable, Sendable {
    private let words: (UInt64, UInt64, UInt64, UInt64)

    public init(_ token: String) {
        let bytes = Array(SHA256.hash(data: Array(token.utf8)))
        func word(_ index: Int) -> UInt64 {
            bytes[index * 8..<(index + 1) * 8].reduce(0) { $0 << 8 | UInt64($1) }
        }
        self.words = (word(0), word(1), word(2), word(3))
    }

    public static func == (lhs: TokenDigest, rhs: TokenDigest) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// First 12 hex characters: enough to correlate log lines, useless to an attacker.
    public var fingerprint: String {
        String(String(words.0, radix: 16).leftPadded(to: 16).prefix(12))
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
