import Foundation

/// The part of Solr's query syntax that CKAN's clients send to `package_search`, read into the
/// store's ``DatasetQuery``: free words (all required, each a word prefix), `field:value` and
/// `field:"quoted value"` clauses (in `q`, `fq` and `fq_list`), `AND` and a leading `+`, and
/// `*:*`. `OR`, `NOT`, `-`, parentheses, ranges and boosts are refused with CKAN's "Search Query
/// Error" rather than answered wrongly.
struct SolrQuery: Sendable, Equatable {
    var words: [String] = []
    var filters: [DatasetFilter] = []
    /// A clause no dataset can meet (`type:harvest`, `state:deleted`): the answer is empty.
    var matchesNothing = false

    /// The fields a clause may name: CKAN's index names for them.
    static let fields = [
        "id", "name", "organization", "owner_org", "tags", "groups", "res_format", "license_id", "capacity", "private", "title", "notes",
        "text", "type", "dataset_type", "state", "extras_<key>",
    ]

    mutating func add(_ text: String) throws {
        for token in try Self.tokens(text) {
            if token == "AND" || token == "*:*" || token == "*" { continue }
            if token == "OR" || token == "NOT" || token == "&&" || token == "||" {
                throw ActionError.searchQuery("'\(token)' is not supported here; clauses are always combined with AND")
            }
            var clause = Substring(token)
            if clause.first == "+" { clause = clause.dropFirst() }
            if clause.first == "-" || clause.first == "!" {
                throw ActionError.searchQuery("negation ('\(token)') is not supported here")
            }
            if let colon = clause.firstIndex(of: ":"), colon != clause.startIndex {
                let field = String(clause[..<colon])
                var value = String(clause[clause.index(after: colon)...])
                if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
                try addClause(field: field, value: value)
            } else {
                words += CatalogText.words(String(clause).replacingOccurrences(of: "\"", with: " "))
            }
        }
    }

    private mutating func addClause(field: String, value: String) throws {
        if value == "*" { return }  // "has the field": every dataset has each of these
        if value.hasPrefix("[") || value.hasPrefix("{") || value.contains("^") {
            throw ActionError.searchQuery("ranges and boosts ('\(field):\(value)') are not supported here")
        }
        switch field {
        case "id": filters.append(.id(value))
        case "name": filters.append(.name(value))
        case "organization", "owner_org": filters.append(.organization(value))
        case "tags": filters.append(.tag(value))
        case "groups": filters.append(.group(value))
        case "res_format": filters.append(.resourceFormat(value))
        case "license_id": filters.append(.license(value))
        case "capacity": filters.append(.isPrivate(value == "private"))
        case "private": filters.append(.isPrivate(value.lowercased() == "true"))
        case "title", "notes", "text": words += CatalogText.words(value)
        case "type", "dataset_type": matchesNothing = matchesNothing || value != "dataset"
        case "state": matchesNothing = matchesNothing || value != "active"
        default:
            guard field.hasPrefix("extras_"), field.count > "extras_".count else {
                throw ActionError.searchQuery("unknown field '\(field)'; the fields here are \(Self.fields.joined(separator: ", "))")
            }
            filters.append(.extra(key: String(field.dropFirst("extras_".count)), value: value))
        }
    }

    /// Whitespace-separated tokens; a double-quoted stretch stays inside its token, and a
    /// backslash keeps the next character as it is.
    static func tokens(_ text: String) throws -> [String] {
        var tokens: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
                current.append(character)
            } else if character.isWhitespace, !quoted {
                if !current.isEmpty { tokens.append(current) }
                current = ""
            } else if !quoted, character == "(" || character == ")" {
                throw ActionError.searchQuery("parentheses are not supported here")
            } else {
                current.append(character)
            }
        }
        guard !quoted else { throw ActionError.searchQuery("a quote is not closed") }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    /// `sort`: comma-separated `field [asc|desc]`. `score` is skipped (nothing is ranked here:
    /// matches come in the next key's order); none left: newest change first, CKAN's default
    /// after relevance.
    static func order(_ text: String?) throws -> [DatasetOrder] {
        var order: [DatasetOrder] = []
        for part in (text ?? "").split(separator: ",") {
            let words = part.split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
            guard let field = words.first else { continue }
            guard words.count <= 2, words.count == 1 || words[1] == "asc" || words[1] == "desc" else {
                throw ActionError.searchQuery("sort '\(part.trimmingCharacters(in: .whitespaces))' must be a field then asc or desc")
            }
            let descending = words.count == 2 && words[1] == "desc"
            switch field {
            case "score", "relevance": continue
            case "name": order.append(DatasetOrder(.name, descending: descending))
            case "title", "title_string": order.append(DatasetOrder(.title, descending: descending))
            case "metadata_created": order.append(DatasetOrder(.created, descending: descending))
            case "metadata_modified": order.append(DatasetOrder(.modified, descending: descending))
            default:
                throw ActionError.searchQuery(
                    "cannot sort by '\(field)'; sort by name, title_string, metadata_created, metadata_modified or score")
            }
        }
        return order.isEmpty ? [DatasetOrder(.modified, descending: true)] : order
    }
}
