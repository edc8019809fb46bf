import Essentials
import Foundation

/// A parsed `labelSelector` query (`app=web,tier!=db,env in (a,b),!legacy`).
public struct LabelSelector: Sendable, Equatable {
    enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    let requirements: [Requirement]

    public static let everything = LabelSelector(requirements: [])

    init(requirements: [Requirement]) {
        self.requirements = requirements
    }

    public init(parsing text: String) throws {
        var requirements: [Requirement] = []
        for raw in Self.splitTopLevel(text) {
            let term = raw.trimmingCharacters(in: .whitespaces)
            if term.isEmpty { continue }
            requirements.append(try Self.requirement(term))
        }
        self.requirements = requirements
    }

    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .isIn(let key, let values): labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): !(labels[key].map(values.contains) ?? false)
            case .exists(let key): labels[key] != nil
            case .doesNotExist(let key): labels[key] == nil
            }
        }
    }

    /// Splits on commas that are not inside parentheses.
    static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(":
                depth += 1
                current.append(character)
            case ")":
                depth -= 1
                current.append(character)
            case "," where depth == 0:
                parts.append(current)
                current = ""
            default: current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    private static func requirement(_ term: String) throws -> Requirement {
        if term.hasPrefix("!") {
            return .doesNotExist(try key(String(term.dropFirst())))
        }
        for (op, make) in [("!=", Requirement.notEquals), ("==", Requirement.equals), ("=", Requirement.equals)] {
            if let range = term.range(of: op) {
                return make(try key(String(term[..<range.lowerBound])), term[range.upperBound...].trimmingCharacters(in: .whitespaces))
            }
        }
        let words = term.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
        if words.count == 3, words[1] == "in" || words[1] == "notin" {
            let list = words[2].trimmingCharacters(in: .whitespaces)
            guard list.hasPrefix("("), list.hasSuffix(")") else { throw KubeStatus.badRequest("unable to parse requirement: \(term)") }
            let values = Set(list.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            return words[1] == "in" ? .isIn(try key(words[0]), values) : .notIn(try key(words[0]), values)
        }
        guard words.count == 1 else { throw KubeStatus.badRequest("unable to parse requirement: \(term)") }
        return .exists(try key(term))
    }

    private static func key(_ text: String) throws -> String {
        let key = text.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || "-_./".contains($0) }) else {
            throw KubeStatus.badRequest("invalid label key \"\(key)\"")
        }
        return key
    }
}

/// A parsed `fieldSelector` query (`metadata.name=x,status.phase!=Running`).
public struct FieldSelector: Sendable, Equatable {
    struct Term: Sendable, Equatable {
        let path: [String]
        let value: String
        let negated: Bool
    }

    let terms: [Term]

    public static let everything = FieldSelector(terms: [])

    init(terms: [Term]) {
        self.terms = terms
    }

    public init(parsing text: String) throws {
        var terms: [Term] = []
        for raw in text.split(separator: ",") {
            let term = raw.trimmingCharacters(in: .whitespaces)
            let negated = term.contains("!=")
            let parts = negated ? term.components(separatedBy: "!=") : term.replacingOccurrences(of: "==", with: "=").components(separatedBy: "=")
            guard parts.count == 2, !parts[0].isEmpty else { throw KubeStatus.badRequest("invalid field selector: \(term)") }
            terms.append(Term(path: parts[0].split(separator: ".").map(String.init), value: parts[1], negated: negated))
        }
        self.terms = terms
    }

    public func matches(_ object: JSONValue) -> Bool {
        terms.allSatisfy { term in
            var value: JSONValue? = object
            for key in term.path { value = value?[key] }
            let actual = value?.scalarDescription ?? ""
            return (actual == term.value) != term.negated
        }
    }
}
