import Foundation

/// Root-path prefixes: `/rexec`, `/ep`, `/ep/api`.
public enum RootPath {
    /// `rexec/` → `/rexec`; `/` and blank → no prefix. Rejects characters that cannot be a path.
    public static func normalize(_ value: String, variable: String) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if trimmed.isEmpty { return "" }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~/"))
        guard trimmed.unicodeScalars.allSatisfy(allowed.contains), !trimmed.contains("//") else {
            throw ConfigurationError(variable: variable, value: value, expected: "a URL path such as /rexec or /ep")
        }
        return "/" + trimmed
    }

    static func longestFirst(_ paths: [String]) -> [String] {
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }.sorted { $0.count > $1.count }
    }
}
