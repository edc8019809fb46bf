import NIOConcurrencyHelpers
import SQLiteNIO

/// The one writer connection of an SQLite catalog, and the queue in front of it.
///
/// SQLite has one writer at a time, and sqlite-nio runs every statement as a hop to its thread
/// pool, so a registration's transaction (BEGIN, the dataset, its resources, its words, COMMIT)
/// costs its hops whatever the disk does. Jobs queue here in arrival order; while one runs, the
/// next ones wait, and when the writer comes back it takes every waiting job at once, running
/// consecutive dataset creations as **one** transaction (group commit: the same five statements
/// for a whole batch). Each creation still succeeds or fails on its own: a name clash or a
/// missing organization is that request's answer, the rest of the batch is stored.
final class SQLiteWriter: Sendable {
    /// A unit of work on the writer connection, run in arrival order.
    enum Job: Sendable {
        /// A transaction of its own; the closure runs it and resumes its caller.
        case transaction(@Sendable (SQLiteConnection) async -> Void)
        /// A new dataset, stored in a batch with its neighbours in the queue.
        case create(SQLiteDatasetRow, CheckedContinuation<Void, any Error>)
    }

    let connection: SQLiteConnection
    private let state = NIOLockedValueBox(State())
    private let batchInsert: @Sendable (SQLiteConnection, [SQLiteDatasetRow]) async throws -> [Result<Void, CatalogError>]

    private struct State {
        var queue: [Job] = []
        var draining = false
    }

    /// `batchInsert` stores a batch inside an open transaction and says how each one went.
    init(
        connection: SQLiteConnection,
        batchInsert: @escaping @Sendable (SQLiteConnection, [SQLiteDatasetRow]) async throws -> [Result<Void, CatalogError>]
    ) {
        self.connection = connection
        self.batchInsert = batchInsert
    }

    /// Runs `body` in `BEGIN IMMEDIATE … COMMIT` after the jobs queued before it; any error
    /// rolls everything back.
    func transaction<Value: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) async throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            submit(
                .transaction { connection in
                    do {
                        continuation.resume(returning: try await Self.inTransaction(connection, body))
                    } catch {
                        continuation.resume(throwing: error)
                    }
                })
        }
    }

    /// Stores a new dataset, in a batch with the creations queued beside it.
    func create(_ dataset: SQLiteDatasetRow) async throws {
        try await withCheckedThrowingContinuation { submit(.create(dataset, $0)) }
    }

    private func submit(_ job: Job) {
        let start = state.withLockedValue { state in
            state.queue.append(job)
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
        if start { Task { await drain() } }
    }

    /// Runs what is queued until the queue is empty; one drain at a time.
    private func drain() async {
        while true {
            let jobs = state.withLockedValue { state in
                let jobs = state.queue
                state.queue = []
                if jobs.isEmpty { state.draining = false }
                return jobs
            }
            guard !jobs.isEmpty else { return }
            var creations: [(SQLiteDatasetRow, CheckedContinuation<Void, any Error>)] = []
            for job in jobs {
                switch job {
                case .create(let dataset, let continuation):
                    creations.append((dataset, continuation))
                case .transaction(let run):
                    await store(creations)
                    creations = []
                    await run(connection)
                }
            }
            await store(creations)
        }
    }

    /// A batch of creations in one transaction. If the batch fails as a whole (an error that is
    /// not one creation's own answer), each is retried alone, so only the culprit fails.
    private func store(_ creations: [(SQLiteDatasetRow, CheckedContinuation<Void, any Error>)]) async {
        guard !creations.isEmpty else { return }
        let datasets = creations.map(\.0)
        do {
            let outcomes = try await Self.inTransaction(connection) { [batchInsert] connection in try await batchInsert(connection, datasets) }
            for ((_, continuation), outcome) in zip(creations, outcomes) { continuation.resume(with: outcome.mapError { $0 }) }
        } catch {
            guard creations.count > 1 else { return creations[0].1.resume(throwing: error) }
            for (dataset, continuation) in creations {
                do {
                    let outcome = try await Self.inTransaction(connection) { [batchInsert] connection in try await batchInsert(connection, [dataset])
                    }
                    continuation.resume(with: outcome[0].mapError { $0 })
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// `body` inside `BEGIN IMMEDIATE … COMMIT` on `connection`; any error rolls it back. A
    /// full disk is the catalog's 507, the database's own failures (busy, I/O) its 503.
    static func inTransaction<Value: Sendable>(
        _ connection: SQLiteConnection, _ body: @Sendable (SQLiteConnection) async throws -> Value
    ) async throws -> Value {
        do {
            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                let value = try await body(connection)
                _ = try await connection.query("COMMIT")
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        } catch let error as SQLiteError where error.reason == .full {
            throw CatalogError.outOfSpace
        } catch let error as SQLiteError where error.isUnavailability {
            throw CatalogError.unavailable("\(error)")
        }
    }
}

/// A dataset with the texts the SQLite tables keep, encoded before it queues for the writer:
/// encoding is each request's work, done in parallel; the writer only writes.
struct SQLiteDatasetRow: Sendable {
    let dataset: CatalogDataset
    let document: String
    let words: String
    let resourceDocuments: [String]

    init(_ dataset: CatalogDataset) {
        self.dataset = dataset
        self.document = String(decoding: dataset.document.bytes(), as: UTF8.self)
        self.words = dataset.words
        self.resourceDocuments = dataset.resources.map { String(decoding: $0.document.bytes(), as: UTF8.self) }
    }
}
