import Foundation
import SQLiteNIO

/// Staging jobs in the SQLite catalog file (table `staging_jobs`, schema version 4).
extension SQLiteCatalogStore: StagingJobStore {
    func createStagingJob(_ job: StagingJob) async throws {
        let document = try job.encoded()
        try await transaction { connection in
            _ = try await connection.query(
                "INSERT INTO staging_jobs (id, owner_sub, status, created_at, document) VALUES (?, ?, ?, ?, ?)",
                [.text(job.id), .text(job.ownerSub), .text(job.status.rawValue), .text(job.createdAt), .text(document)])
        }
    }

    func stagingJobs(ownerSub: String?, limit: Int) async throws -> [StagingJob] {
        let rows =
            if let ownerSub {
                try await read(
                    "SELECT document FROM staging_jobs WHERE owner_sub = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                    [.text(ownerSub), .integer(limit)])
            } else {
                try await read("SELECT document FROM staging_jobs ORDER BY created_at DESC, id DESC LIMIT ?", [.integer(limit)])
            }
        return try rows.compactMap { $0.column("document")?.string }.map(StagingJob.decoded)
    }

    func stagingJob(_ id: String) async throws -> StagingJob? {
        try await read("SELECT document FROM staging_jobs WHERE id = ?", [.text(id)]).first?.column("document")?.string.map(StagingJob.decoded)
    }

    func updateStagingJob(_ id: String, _ change: @escaping @Sendable (inout StagingJob) -> Void) async throws -> StagingJob? {
        try await transaction { connection in
            guard
                let text = try await connection.query("SELECT document FROM staging_jobs WHERE id = ?", [.text(id)]).first?.column("document")?.string
            else { return nil }
            var job = try StagingJob.decoded(text)
            change(&job)
            _ = try await connection.query(
                "UPDATE staging_jobs SET status = ?, document = ? WHERE id = ?", [.text(job.status.rawValue), .text(try job.encoded()), .text(id)])
            return job
        }
    }

    func unfinishedStagingJobs() async throws -> [StagingJob] {
        try await read("SELECT document FROM staging_jobs WHERE status IN ('queued', 'running') ORDER BY created_at, id")
            .compactMap { $0.column("document")?.string }.map(StagingJob.decoded)
    }

    func deleteStagingJob(_ id: String) async throws -> Bool {
        try await transaction { connection in
            try await !connection.query("DELETE FROM staging_jobs WHERE id = ? RETURNING id", [.text(id)]).isEmpty
        }
    }
}
