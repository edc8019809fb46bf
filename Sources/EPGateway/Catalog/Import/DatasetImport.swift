import Essentials
import Foundation
import ServiceKit

#if canImport(Glibc)
import Glibc
#endif

/// The catalog's bulk path: `ndp-ep-api --import-datasets FILE` loads a JSON Lines file (one
/// dataset a line, `-` for standard input) into the configured catalog and exits, while the
/// service runs or not (SQLite's WAL lets it write beside a running gateway; PostgreSQL does
/// anyway). For seeding a new endpoint, restoring, and benchmarks.
///
/// Each line is what `POST /dataset` takes, checked the same way. The `ndp_*` marks a line
/// carries are kept (a dump of another endpoint keeps its creators: `ndp_user_id` becomes the
/// dataset's creator for the policy); a line without `ndp_group_id` gets this endpoint's.
/// Lines are stored many at a time (the SQLite writer batches them, PostgreSQL runs them on
/// its pool); a line that is refused (bad JSON, a field, a taken name, a missing organization)
/// is reported with its number and the rest go on.
struct DatasetImport {
    let store: any CatalogStore
    let endpointOrganization: String
    /// Registrations in flight at once.
    var concurrency = 256

    struct Refusal: Sendable, Equatable {
        let line: Int
        let reason: String
    }

    struct Summary: Sendable {
        var imported = 0
        var refused: [Refusal] = []
    }

    /// One line's dataset, or why not.
    func dataset(fromLine text: String) throws -> CatalogDataset {
        guard let object = (try? JSONValue.decode(Data(text.utf8)))?.objectValue else {
            throw APIError(.badRequest, detail: "not a JSON object")
        }
        let request = try DatasetRequest(object, creating: true)
        var dataset = request.newDataset(creator: request.extras?.last { $0.key == "ndp_user_id" }?.value.stringValue)
        if dataset.extra("ndp_group_id") == nil { dataset.setExtra("ndp_group_id", .string(endpointOrganization)) }
        return dataset
    }

    /// Imports every line; `progress` is called every `progressEvery` lines read.
    func run(
        lines: some Sequence<String>, progressEvery: Int = 10_000, progress: (Int, Summary) -> Void = { _, _ in }
    ) async -> Summary {
        var summary = Summary()
        await withTaskGroup(of: Refusal?.self) { group in
            var inFlight = 0
            var number = 0
            func record(_ outcome: Refusal?) {
                inFlight -= 1
                if let outcome { summary.refused.append(outcome) } else { summary.imported += 1 }
            }
            for line in lines {
                number += 1
                if line.allSatisfy(\.isWhitespace) { continue }
                let lineNumber = number
                let dataset: CatalogDataset
                do {
                    dataset = try self.dataset(fromLine: line)
                } catch {
                    summary.refused.append(Refusal(line: lineNumber, reason: Self.reason(error)))
                    continue
                }
                if inFlight >= concurrency, let outcome = await group.next() { record(outcome) }
                inFlight += 1
                group.addTask { [store] in
                    do {
                        try await store.createDataset(dataset)
                        return nil
                    } catch {
                        return Refusal(line: lineNumber, reason: Self.reason(error))
                    }
                }
                if number % progressEvery == 0 { progress(number, summary) }
            }
            for await outcome in group { record(outcome) }
        }
        summary.refused.sort { $0.line < $1.line }
        return summary
    }

    static func reason(_ error: any Error) -> String {
        let apiError = (error as? CatalogError)?.apiError ?? (error as? APIError)
        guard let apiError else { return "\(error)" }
        if let text = apiError.detail.stringValue { return text }
        // A validation error: pydantic's list; its first message and field say enough.
        if let first = apiError.detail.arrayValue?.first, let message = first["msg"]?.stringValue {
            let field = first["loc"]?.arrayValue?.compactMap { $0.stringValue }.filter { $0 != "body" }.joined(separator: ".") ?? ""
            return field.isEmpty ? message : "\(field): \(message)"
        }
        return String(decoding: apiError.detail.bytes(), as: UTF8.self)
    }
}

/// The lines of a file, or of standard input for `-`, read as they are needed.
struct FileLines: Sequence, IteratorProtocol {
    private let file: UnsafeMutablePointer<FILE>
    private let closes: Bool

    init(path: String) throws {
        if path == "-" {
            guard let input = fdopen(STDIN_FILENO, "r") else { throw CatalogStartupError(message: "cannot read standard input") }
            file = input
            closes = false
        } else {
            guard let opened = fopen(path, "r") else {
                throw CatalogStartupError(message: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            file = opened
            closes = true
        }
    }

    mutating func next() -> String? {
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        let count = getline(&buffer, &capacity, file)
        guard count >= 0, let buffer else {
            if closes { fclose(file) }
            return nil
        }
        var line = String(cString: buffer)
        if line.hasSuffix("\n") { line.removeLast() }
        return line
    }
}
