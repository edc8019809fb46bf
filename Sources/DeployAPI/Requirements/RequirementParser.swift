/// Parses one requirement line under the PEP 508 grammar, minus direct URL references:
/// `name[extras] (version clauses) ; marker`.
///
/// The grammar is deliberately strict (a closed set of characters in every part, markers
/// only over PEP 508's environment variables and plain quoted literals), because the
/// requirements file reaches `pip install -r`: a line that starts with `-` would be a pip
/// option, and anything outside this grammar has no business in it.
struct RequirementParser {
    struct Failure: Error, Equatable {
        let reason: String
    }

    static let operators = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"]
    static let markerVariables: Set<String> = [
        "python_version", "python_full_version", "os_name", "sys_platform", "platform_release", "platform_system",
        "platform_version", "platform_machine", "platform_python_implementation", "implementation_name",
        "implementation_version", "extra",
    ]
    static let markerOperators = ["===", "~=", "==", "!=", "<=", ">=", "<", ">", "not in", "in"]

    private let characters: [Character]
    private var position = 0

    private init(_ text: String) {
        characters = Array(text)
    }

    /// The requirement's name and its version clauses, or why the line is not acceptable.
    static func parse(_ line: String) throws(Failure) -> ParsedRequirement {
        var parser = RequirementParser(line)
        return try parser.requirement()
    }

    // MARK: Grammar

    private mutating func requirement() throws(Failure) -> ParsedRequirement {
        skipSpaces()
        let name = try identifier()
        skipSpaces()
        var extras: [String] = []
        if peek() == "[" {
            extras = try extrasList()
            skipSpaces()
        }
        if peek() == "@" {
            throw Failure(reason: "direct URL references (name @ url) are not allowed")
        }
        var clauses: [VersionClause] = []
        if peek() == "(" {
            advance()
            clauses = try versionClauses()
            skipSpaces()
            try expect(")")
        } else if let next = peek(), "<>=!~".contains(next) {
            clauses = try versionClauses()
        }
        skipSpaces()
        var hasMarker = false
        if peek() == ";" {
            advance()
            try marker()
            hasMarker = true
        }
        skipSpaces()
        if let extra = peek() {
            throw Failure(reason: "unexpected '\(extra)' at position \(position + 1)")
        }
        return ParsedRequirement(name: name, extras: extras, clauses: clauses, hasMarker: hasMarker)
    }

    /// PEP 508 names: letters and digits, with `.`, `_` and `-` inside.
    private mutating func identifier() throws(Failure) -> String {
        let start = position
        while let next = peek(), next.isASCII, next.isLetter || next.isNumber || next == "." || next == "_" || next == "-" {
            advance()
        }
        let name = String(characters[start..<position])
        guard let first = name.first, let last = name.last, first.isLetter || first.isNumber, last.isLetter || last.isNumber else {
            if name.isEmpty, let next = peek() {
                throw Failure(reason: next == "-" ? "pip options are not allowed" : "a requirement must start with a package name")
            }
            throw Failure(reason: name.isEmpty ? "a requirement must start with a package name" : "invalid package name '\(name)'")
        }
        return name
    }

    private mutating func extrasList() throws(Failure) -> [String] {
        try expect("[")
        var extras: [String] = []
        skipSpaces()
        if peek() == "]" {
            advance()
            return extras
        }
        while true {
            skipSpaces()
            extras.append(try identifier())
            skipSpaces()
            if peek() == "," {
                advance()
                continue
            }
            try expect("]")
            return extras
        }
    }

    private mutating func versionClauses() throws(Failure) -> [VersionClause] {
        var clauses: [VersionClause] = []
        while true {
            skipSpaces()
            guard let op = Self.operators.first(where: matches) else {
                throw Failure(reason: "expected a version comparison (==, >=, ~=, …)")
            }
            position += op.count
            skipSpaces()
            let version = try versionText(allowWildcard: op == "==" || op == "!=")
            clauses.append(VersionClause(op: op, version: version))
            skipSpaces()
            guard peek() == "," else { return clauses }
            advance()
        }
    }

    private mutating func versionText(allowWildcard: Bool) throws(Failure) -> String {
        let start = position
        while let next = peek(), next.isASCII, next.isLetter || next.isNumber || ".+!_-".contains(next) || (allowWildcard && next == "*") {
            advance()
        }
        guard position > start else { throw Failure(reason: "expected a version") }
        return String(characters[start..<position])
    }

    // MARK: Markers

    private mutating func marker() throws(Failure) {
        try markerAnd()
        while consumeKeyword("or") { try markerAnd() }
    }

    private mutating func markerAnd() throws(Failure) {
        try markerExpression()
        while consumeKeyword("and") { try markerExpression() }
    }

    private mutating func markerExpression() throws(Failure) {
        skipSpaces()
        if peek() == "(" {
            advance()
            try marker()
            skipSpaces()
            try expect(")")
            return
        }
        try markerValue()
        skipSpaces()
        guard let op = Self.markerOperators.first(where: matches) else {
            throw Failure(reason: "expected a comparison in the environment marker")
        }
        position += op.count
        try markerValue()
    }

    private mutating func markerValue() throws(Failure) {
        skipSpaces()
        if let quote = peek(), quote == "\"" || quote == "'" {
            advance()
            while let next = peek(), next != quote {
                guard next.isASCII, next.isLetter || next.isNumber || " ._*+!-".contains(next) else {
                    throw Failure(reason: "character '\(next)' is not allowed in a marker string")
                }
                advance()
            }
            try expect(quote)
            return
        }
        let start = position
        while let next = peek(), next.isASCII, next.isLetter || next.isNumber || next == "_" { advance() }
        let variable = String(characters[start..<position])
        guard Self.markerVariables.contains(variable) else {
            throw Failure(reason: variable.isEmpty ? "invalid environment marker" : "unknown marker variable '\(variable)'")
        }
    }

    // MARK: Scanning

    private func peek() -> Character? {
        position < characters.count ? characters[position] : nil
    }

    private mutating func advance() { position += 1 }

    private mutating func skipSpaces() {
        while let next = peek(), next == " " || next == "\t" { advance() }
    }

    private func matches(_ literal: String) -> Bool {
        let end = position + literal.count
        return end <= characters.count && String(characters[position..<end]) == literal
    }

    private mutating func expect(_ character: Character) throws(Failure) {
        guard peek() == character else {
            throw Failure(reason: peek().map { "expected '\(character)' but found '\($0)'" } ?? "expected '\(character)'")
        }
        advance()
    }

    private mutating func consumeKeyword(_ keyword: String) -> Bool {
        skipSpaces()
        guard matches(keyword) else { return false }
        let after = position + keyword.count
        if after < characters.count, characters[after] != " ", characters[after] != "(" { return false }
        position = after
        return true
    }
}

/// What the parser found in one line.
struct ParsedRequirement: Equatable {
    let name: String
    let extras: [String]
    let clauses: [VersionClause]
    let hasMarker: Bool

    /// PEP 503 normalised name: lower case, runs of `-_.` as one `-`.
    var normalizedName: String {
        var result = ""
        var lastWasSeparator = false
        for character in name.lowercased() {
            if "-_.".contains(character) {
                if !lastWasSeparator { result.append("-") }
                lastWasSeparator = true
            } else {
                result.append(character)
                lastWasSeparator = false
            }
        }
        return result
    }
}

struct VersionClause: Equatable {
    let op: String
    let version: String
}
