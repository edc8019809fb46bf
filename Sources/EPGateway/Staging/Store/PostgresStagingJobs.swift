import Foundation
import PostgresNIO

/// Staging jobs in the PostgreSQL catalog database (table `staging_jobs`, schema version 3).
/// A job's row is locked while it changes, so replicas updating it never lose a write.
extension PostgresCatalogStore: StagingJobStore {
    func createStagingJob(_ job: StagingJob) async throws {
        let document = try job.encoded()
        try await transaction { connection, logger in
            _ = try await connection.query(
                """
                INSERT INTO staging_jobs (id, owner_sub, status, created_at, document)
                VALUES (\(job.id), \(job.ownerSub), \(job.status.rawValue), \(job.createdAt), \(document))
                """, logger: logger)
        }
    }

    func stagingJobs(ownerSub: String?, limit: Int) async throws -> [StagingJob] {
        let rows =
            if let ownerSub {
                try await self.rows(
                    "SELECT document FROM staging_jobs WHERE owner_sub = \(ownerSub) ORDER BY created_at DESC, id DESC LIMIT \(limit)")
            } else {
                try await self.rows("SELECT document FROM staging_jobs ORDER BY created_at DESC, id DESC LIMIT \(limit)")
            }
        return try rows.map { try StagingJob.decoded(try $0.decode(String.self)) }
    }

    func stagingJob(_ id: String) async throws -> StagingJob? {
        try await rows("SELECT document FROM staging_jobs WHERE id = \(id)").first.map { try StagingJob.decoded(try $0.decode(String.self)) }
    }

    func updateStagingJob(_ id: String, _ change: @escaping @Sendable (inout StagingJob) -> Void) async throws -> StagingJob? {
        try await transaction { connection, logger in
            let rows = try await connection.query("SELECT document FROM staging_jobs WHERE id = \(id) FOR UPDATE", logger: logger).collect()
            guard let row = rows.first else { return nil }
            var job = try StagingJob.decoded(try row.decode(String.self))
            change(&job)
            let document = try job.encoded()
            _ = try await connection.query(
                "UPDATE staging_jobs SET status = \(job.status.rawValue), document = \(document) WHERE id = \(id)", logger: logger)
            return job
        }
    }

    func unfinishedStagingJobs() async throws -> [StagingJob] {
        try await rows("SELECT document FROM staging_jobs WHERE status IN ('queued', 'running') ORDER BY created_at, id")
            .map { try StagingJob.decoded(try $0.decode(String.self)) }
    }

    func deleteStagingJob(_ id: String) async throws -> Bool {
        try await !rows("DELETE FROM staging_jobs WHERE id = \(id) RETURNING id").isEmpty
    }
}
