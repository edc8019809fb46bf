import Crypto
import Essentials
import Foundation

/// A user's validated requirements: the pinned Python version and the other lines, with
/// upstream's digest so servers created by upstream's deploy API are recognised.
struct RequirementSet: Sendable, Equatable {
    static let maxLines = 200
    static let maxLineLength = 500

    /// `X.Y` or `X.Y.Z`, from the one `python==…` line.
    let pythonVersion: String
    /// Every other requirement, stripped, in the order given.
    let packages: [String]

    /// Upstream's rule (docs/specs/rexec.md §5.3 step 6): SHA-1 hex of `python==<ver>` and the
    /// sorted other requirements, joined by single spaces.
    var digest: String {
        let joined = (["python==\(pythonVersion)"] + packages.sorted()).joined(separator: " ")
        return Insecure.SHA1.hash(data: Array(joined.utf8)).hexString
    }

    /// The file `pip install -r` reads (the Python pin is not a pip requirement).
    var pipRequirementsFile: String {
        packages.map { $0 + "\n" }.joined()
    }

    /// Every line as the user gave it (the Python pin first), for status answers.
    var lines: [String] { ["python==\(pythonVersion)"] + packages }

    struct Invalid: Error, Equatable {
        let message: String
    }

    /// Validates the `requirments` fields as upstream does, more strictly: each non-blank,
    /// non-comment line must be a PEP 508 requirement without a URL; exactly one `python`
    /// line pinned with `==`; no package twice.
    init(lines raw: [String]) throws(Invalid) {
        var python: String?
        var packages: [String] = []
        var seen: Set<String> = []
        let lines = raw.flatMap { $0.split(whereSeparator: \.isNewline).map(String.init) }
        guard lines.count <= Self.maxLines else { throw Invalid(message: "Too many requirements (at most \(Self.maxLines)).") }
        for rawLine in lines {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.count <= Self.maxLineLength else {
                throw Invalid(message: "Invalid requirement '\(line.prefix(40))…': longer than \(Self.maxLineLength) characters.")
            }
            let parsed: ParsedRequirement
            do {
                parsed = try RequirementParser.parse(line)
            } catch {
                throw Invalid(message: "Invalid requirement '\(line)': \(error.reason).")
            }
            if parsed.normalizedName == "python" {
                guard python == nil else { throw Invalid(message: "Only one Python requirement may be given.") }
                python = try Self.pythonPin(parsed)
                continue
            }
            guard seen.insert(parsed.normalizedName).inserted else {
                throw Invalid(message: "Invalid requirement '\(line)': \(parsed.name) is listed twice.")
            }
            packages.append(line)
        }
        guard let python else { throw Invalid(message: "A pinned Python version (e.g., 'python==3.11') is required.") }
        self.pythonVersion = python
        self.packages = packages
    }

    /// `python==3.11`: one `==` clause on a plain `X.Y[.Z]` version (it names an image tag
    /// and an interpreter, so nothing else may pass).
    private static func pythonPin(_ parsed: ParsedRequirement) throws(Invalid) -> String {
        guard parsed.clauses.count == 1, parsed.clauses[0].op == "==", parsed.extras.isEmpty, !parsed.hasMarker else {
            throw Invalid(message: "Python requirement must use '==' to pin a single version.")
        }
        let version = parsed.clauses[0].version
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) }) else {
            throw Invalid(message: "Python requirement must pin a version such as 'python==3.11'.")
        }
        return version
    }
}
