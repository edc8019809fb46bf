import Yams

/// A policy file that cannot be used: where and why, in one line (`policy.yaml:12:7: unknown
/// role 'Wrter' …`), as start-up and failed reloads report it.
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let column: Int?
    public let message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        return "\(place): \(message)"
    }
}

/// Reads the YAML policy format (docs/policy.md): entity → mode → operation → a list
/// of `Scope.Role`. Every word is checked against the vocabulary, so a misspelling is an
/// error with its line rather than a rule that silently never matches. What the file leaves
/// out is denied and reported as a warning.
public struct PolicyParser: Sendable {
    /// Names the file in errors and warnings.
    public let file: String

    public init(file: String) {
        self.file = file
    }

    public struct Parsed: Sendable {
        public let policy: AccessPolicy
        /// One line per entity with missing modes or operations (denied).
        public let warnings: [String]
    }

    public func parse(_ text: String) throws(PolicyError) -> Parsed {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw yamlError(error)
        }
        guard let root else { throw PolicyError(file: file, message: "the file is empty; a policy with no rules would deny every call") }
        let entities = try mapping(root, "the policy must map entities (status, dataset, pod, …) to their modes")
        var rules: [PolicyEntity: [PolicyMode: [PolicyOperation: AccessPolicy.Rule]]] = [:]
        for (key, value) in entities {
            let entity = try word(key, PolicyEntity.self, kind: "entity")
            let modes = try mapping(value, "entity \(entity.rawValue) must map modes (public, protected, private) to operations")
            var byMode: [PolicyMode: [PolicyOperation: AccessPolicy.Rule]] = [:]
            for (key, value) in modes {
                let mode = try word(key, PolicyMode.self, kind: "mode")
                let operations = try mapping(
                    value, "\(entity.rawValue).\(mode.rawValue) must map operations (create, read, update, delete) to lists of roles")
                var byOperation: [PolicyOperation: AccessPolicy.Rule] = [:]
                for (key, value) in operations {
                    let operation = try word(key, PolicyOperation.self, kind: "operation")
                    byOperation[operation] = AccessPolicy.Rule(try roles(value, at: "\(entity.rawValue).\(mode.rawValue).\(operation.rawValue)"))
                }
                byMode[mode] = byOperation
            }
            rules[entity] = byMode
        }
        return Parsed(policy: AccessPolicy(rules: rules), warnings: warnings(rules))
    }

    // MARK: Pieces

    private func mapping(_ node: Node, _ expectation: String) throws(PolicyError) -> Node.Mapping {
        guard let mapping = node.mapping else { throw error(at: node, expectation) }
        return mapping
    }

    private func word<Word: RawRepresentable & CaseIterable>(_ node: Node, _ type: Word.Type, kind: String) throws(PolicyError) -> Word
    where Word.RawValue == String {
        guard let text = node.scalar?.string else { throw error(at: node, "expected \(article(kind)) \(kind) name") }
        guard let value = Word(rawValue: text) else {
            let known = Word.allCases.map(\.rawValue).joined(separator: ", ")
            throw error(at: node, "unknown \(kind) '\(text)' (\(kind == "entity" ? "entities" : kind + "s"): \(known))")
        }
        return value
    }

    private func roles(_ node: Node, at path: String) throws(PolicyError) -> [PolicyRole] {
        guard let sequence = node.sequence else {
            throw error(at: node, "\(path) must be a list of roles, like [Endpoint.Writer] ([] denies everyone)")
        }
        var roles: [PolicyRole] = []
        for entry in sequence {
            guard let text = entry.scalar?.string else { throw error(at: entry, "a role is written Scope.Role, like Endpoint.Writer") }
            guard let role = PolicyRole(rawValue: text) else { throw error(at: entry, unknownRole(text)) }
            if !roles.contains(role) { roles.append(role) }
        }
        return roles
    }

    private func unknownRole(_ text: String) -> String {
        let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            return "'\(text)' is not a role: write Scope.Role, like Endpoint.Writer (scopes: \(PolicyRole.scopes.joined(separator: ", ")))"
        }
        guard PolicyRole.scopes.contains(parts[0]) else {
            return "unknown scope '\(parts[0])' in '\(text)' (scopes: \(PolicyRole.scopes.joined(separator: ", ")))"
        }
        return "unknown role '\(parts[1])' in '\(text)' (roles of \(parts[0]): \(PolicyRole.roles(of: parts[0]).joined(separator: ", ")))"
    }

    private func article(_ word: String) -> String { word.first.map { "aeiou".contains($0) } == true ? "an" : "a" }

    private func error(at node: Node, _ message: String) -> PolicyError {
        PolicyError(file: file, line: node.mark?.line, column: node.mark?.column, message: message)
    }

    private func yamlError(_ error: any Error) -> PolicyError {
        switch error {
        case YamlError.scanner(_, let problem, let mark, _), YamlError.parser(_, let problem, let mark, _),
            YamlError.composer(_, let problem, let mark, _):
            return PolicyError(file: file, line: mark.line, column: mark.column, message: "not valid YAML: \(problem)")
        case YamlError.duplicatedKeysInMapping(let duplicates, let context):
            return PolicyError(
                file: file, line: context.mark.line, column: context.mark.column,
                message: "\(duplicates.joined(separator: ", ")) written twice in one mapping")
        default:
            return PolicyError(file: file, message: "not valid YAML: \(error)")
        }
    }

    /// `job: no rules (every call denied)`, `rexec: protected has no create, update, delete`.
    private func warnings(_ rules: [PolicyEntity: [PolicyMode: [PolicyOperation: AccessPolicy.Rule]]]) -> [String] {
        PolicyEntity.allCases.compactMap { entity in
            guard let modes = rules[entity] else { return "\(file): \(entity.rawValue) has no rules; every \(entity.rawValue) call is denied" }
            let gaps = PolicyMode.allCases.compactMap { mode -> String? in
                guard let operations = modes[mode] else { return "\(mode.rawValue) is missing" }
                let missing = PolicyOperation.allCases.filter { operations[$0] == nil }.map(\.rawValue)
                return missing.isEmpty ? nil : "\(mode.rawValue) has no \(missing.joined(separator: ", "))"
            }
            return gaps.isEmpty ? nil : "\(file): \(entity.rawValue): \(gaps.joined(separator: "; ")) (denied)"
        }
    }
}
