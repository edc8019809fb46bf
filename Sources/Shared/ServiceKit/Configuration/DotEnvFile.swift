import Foundation

/// Parser for the `.env` files pydantic-settings reads upstream.
///
/// Supports `KEY=value`, an optional `export ` prefix, `#` comments, blank lines, and single
/// or double quoted values (double quotes understand `\n`, `\"` and `\\`). Unquoted values
/// lose a trailing ` # comment`.
public enum DotEnvFile {
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let line: Int
        public let reason: String
        public var description: String { "\(path):\(line): \(reason)" }
    }

    public static func load(path: String) throws -> [String: String] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String = ".env") throws -> [String: String] {
        var values: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)) }
            guard let equals = line.firstIndex(of: "=") else {
                throw ParseError(path: path, line: index + 1, reason: "expected KEY=value")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ParseError(path: path, line: index + 1, reason: "invalid variable name '\(key)'")
            }
            let rawValue = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            values[key] = try unquote(rawValue, path: path, line: index + 1)
        }
        return values
    }

    private static func unquote(_ value: String, path: String, line: Int) throws -> String {
        guard let quote = value.first, quote == "\"" || quote == "'" else {
            if let comment = value.range(of: " #") {
                return String(value[..<comment.lowerBound]).trimmingCharacters(in: .whitespaces)
            }
            return value
        }
        let body = value.dropFirst()
        guard let end = body.lastIndex(of: quote) else {
            throw ParseError(path: path, line: line, reason: "unterminated quoted value")
        }
        let inner = String(body[..<end])
        guard quote == "\"" else { return inner }
        var result = ""
        var escaping = false
        for character in inner {
            if escaping {
                switch character {
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: result.append(character)
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        return result
    }
}
