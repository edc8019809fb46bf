/// The catalog's two text rules, used by the routes and by both stores alike.
enum CatalogText {
    /// Upstream's names: 2 to 100 lowercase ASCII letters, digits, `-` and `_`, as CKAN requires.
    static func isValidName(_ name: String) -> Bool {
        (2...100).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// ``isValidName(_:)`` as a pattern, for request checks and the OpenAPI document.
    static let namePattern = "^[a-z0-9_-]{2,100}$"

    /// What a refused name is told, naming its field.
    static func nameRule(_ field: String = "name") -> String {
        "\(field) must be 2 to 100 lowercase letters, digits, '-' or '_'"
    }

    /// The words of a text as the full-text indexes keep them: runs of letters and digits,
    /// lower-cased. Both stores index exactly these (SQLite's `unicode61` splits the same way;
    /// PostgreSQL is handed them as lexemes), so a search finds the same datasets on either.
    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }
}
