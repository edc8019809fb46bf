import Foundation

/// The staging jobs, kept in the endpoint's database (SQLite or PostgreSQL; the table is
/// ``table``, created by ``migration``), written once over ``DocumentDatabase``.
struct StagingJobStore: Sendable {
    let database: any DocumentDatabase

    static let table = DocumentTable(name: "staging_jobs", columns: ["owner_sub", "status", "created_at"])

    /// The table: the job as JSON; its owner, status and time as columns, for the caller's
    /// listing and the start-up sweep of jobs left running. The catalog database's schema
    /// version 4 on SQLite, 3 on PostgreSQL.
    static let migration = [
        """
        CREATE TABLE staging_jobs (
            id text PRIMARY KEY,
            owner_sub text NOT NULL,
            status text NOT NULL,
            created_at text NOT NULL,
            document text NOT NULL
        )
        """,
        "CREATE INDEX staging_jobs_by_owner ON staging_jobs (owner_sub, created_at)",
        "CREATE INDEX staging_jobs_unfinished ON staging_jobs (status) WHERE status IN ('queued', 'running')",
    ]

    func createStagingJob(_ job: StagingJob) async throws {
        try await database.insert(try Self.row(job), into: Self.table)
    }

    /// Newest first; nil owner: everyone's. At most `limit`.
    func stagingJobs(ownerSub: String?, limit: Int) async throws -> [StagingJob] {
        let filter: DocumentFilter = ownerSub.map { .equals("owner_sub", $0) } ?? .all
        return try await database.documents(in: Self.table, where: filter, order: .descending("created_at"), limit: limit).map(StagingJob.decoded)
    }

    func stagingJob(_ id: String) async throws -> StagingJob? {
        try await database.document(in: Self.table, id: id).map(StagingJob.decoded)
    }

    /// Applies `change` in one transaction and returns the job as stored; nil if it is gone.
    @discardableResult
    func updateStagingJob(_ id: String, _ change: @escaping @Sendable (inout StagingJob) -> Void) async throws -> StagingJob? {
        try await database.update(in: Self.table, id: id) { document in
            var job = try StagingJob.decoded(document)
            change(&job)
            return try Self.row(job)
        }.map { try StagingJob.decoded($0.document) }
    }

    /// The jobs still queued or running, oldest first.
    func unfinishedStagingJobs() async throws -> [StagingJob] {
        try await database.documents(in: Self.table, where: .isIn("status", ["queued", "running"]), order: .ascending("created_at"), limit: nil)
            .map(StagingJob.decoded)
    }

    /// Removes a job's record; false if there was none.
    func deleteStagingJob(_ id: String) async throws -> Bool {
        try await database.delete(from: Self.table, id: id)
    }

    static func row(_ job: StagingJob) throws -> DocumentRow {
        DocumentRow(
            id: job.id, columns: ["owner_sub": job.ownerSub, "status": job.status.rawValue, "created_at": job.createdAt], document: try job.encoded())
    }
}
