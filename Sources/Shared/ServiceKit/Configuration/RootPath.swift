import Foundation

/// Root-path prefixes: `/rexec`, `/ep`, `/ep/api`.
public enum RootPath {
    /// `rexec/` → `/rexec`; `/` and blank → no prefix. Rejects characters that cannot be a path.
    public static func normalize(_ value: String) throws(SettingRefusal) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if trimmed.isEmpty { return "" }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~/"))
        guard trimmed.unicodeScalars.allSatisfy(allowed.contains), !trimmed.contains("//") else {
            throw SettingRefusal(expected: "a URL path such as /rexec or /ep")
        }
        return "/" + trimmed
    }

    static func longestFirst(_ paths: [String]) -> [String] {
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }.sorted { $0.count > $1.count }
    }

    /// `/ep/api/x?y` → `/x?y`; `/ep` → `/`; nil when no prefix applies. What
    /// ``RootPathResponder`` does to every request, and upgrade hooks to theirs.
    public static func strip(_ path: String, prefixes: [String]) -> String? {
        for prefix in prefixes where path.hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            guard rest.isEmpty || rest.first == "/" || rest.first == "?" else { continue }
            return rest.first == "/" ? String(rest) : "/" + rest
        }
        return nil
    }
}
