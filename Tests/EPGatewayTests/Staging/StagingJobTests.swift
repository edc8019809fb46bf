import Essentials
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceKit
import Testing

@testable import EPGateway

/// Staging jobs in the catalog database on each backend, the runner that keeps them true
/// (progress, failures, the sweep of jobs a dead process left), and the settings. The routes
/// end to end with real folders and a real Jupyter server: e2e/test_staging.py.
@Suite("Staging jobs")
struct StagingJobTests {
    static let logger = Logger(label: "staging-test")

    static func store(_ catalog: any CatalogStore) throws -> StagingJobStore {
        StagingJobStore(database: try #require(catalog as? any DocumentDatabase))
    }

    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("staging-jobs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("stored and listed per owner, newest first; updates apply in place; unfinished ones found", arguments: CatalogBackendUnderTest.available)
    func store(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { catalog, _ in
            let store = try Self.store(catalog)
            var older = StagingJob(id: "j1", owner: "alice", username: "alice", method: .localCopy, source: "a", destination: "x")
            older.createdAt = "2026-12-02T10:00:01.000+00:00"
            var newer = StagingJob(id: "j2", owner: "alice", username: "alice", method: .jupyterCopy, source: "b", destination: "y")
            newer.createdAt = "2026-12-02T10:00:02.000+00:00"
            let bobs = StagingJob(id: "j3", owner: "bob", username: "bob", method: .localSymlink, source: "c", destination: "z")
            for job in [older, newer, bobs] { try await store.createStagingJob(job) }

            #expect(try await store.stagingJobs(ownerSub: "alice", limit: 10).map(\.id) == ["j2", "j1"])
            #expect(try await store.stagingJobs(ownerSub: "alice", limit: 1).map(\.id) == ["j2"])
            #expect(try await store.stagingJobs(ownerSub: nil, limit: 10).count == 3)
            let updated = try await store.updateStagingJob("j1") { job in
                job.bytesDone = 42
                job.finish(.succeeded, message: "done")
            }
            #expect(updated?.status == .succeeded && updated?.bytesDone == 42)
            #expect(try await store.stagingJob("j1") == updated)
            #expect(try await store.updateStagingJob("missing") { $0.bytesDone = 1 } == nil)
            #expect(try await store.unfinishedStagingJobs().map(\.id).sorted() == ["j2", "j3"])
            #expect(try await store.deleteStagingJob("j1"))
            #expect(try await store.stagingJob("j1") == nil)
            #expect(try await !store.deleteStagingJob("j1"))
        }
    }

    @Test("a copy runs to success with its bytes; a failing one is recorded failed with the reason")
    func runs() async throws {
        try await ScratchCatalog.with(.sqlite) { catalog, _ in
            let store = try Self.store(catalog)
            let folder = try Self.folder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let source = folder.appendingPathComponent("data.bin")
            try Data(repeating: 7, count: 3 << 20).write(to: source)
            let runner = StagingRunner(store: store, maxRunning: 1, logger: Self.logger)

            let job = try await runner.create(
                StagingJob(owner: "alice", username: "alice", method: .localCopy, source: "data.bin", destination: "copy.bin"))
            #expect(job.runner == runner.name)
            let done = await runner.run(
                job, .copy(from: source, to: folder.appendingPathComponent("copy.bin")), total: 3 << 20, message: "staged")
            #expect(done.status == .succeeded && done.bytesDone == 3 << 20 && done.message == "staged" && done.startedAt != nil)

            let failing = try await runner.create(
                StagingJob(owner: "alice", username: "alice", method: .localCopy, source: "gone", destination: "never"))
            let failed = await runner.run(
                failing, .copy(from: folder.appendingPathComponent("gone"), to: folder.appendingPathComponent("never")), total: 0,
                message: "staged")
            #expect(failed.status == .failed && failed.error?.isEmpty == false && failed.finishedAt != nil)
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("never").path))
            #expect(try await store.stagingJob(failed.id)?.status == .failed)
        }
    }

    @Test("the sweep fails this host's earlier jobs at start and any silent job later, and cleans up after them")
    func sweep() async throws {
        try await ScratchCatalog.with(.sqlite) { catalog, _ in
            let store = try Self.store(catalog)
            let cleaned = NIOLockedValueBox<[String]>([])
            let runner = StagingRunner(store: store, maxRunning: 1, logger: Self.logger, staleAfter: .seconds(60)) { job in
                cleaned.withLockedValue { $0.append(job.id) }
            }
            let host = runner.name.split(separator: ":")[0]
            let now = Timestamp.isoUTC(Date())
            let old = Timestamp.isoUTC(Date().addingTimeInterval(-600))
            func job(_ id: String, runner: String, status: StagingJob.Status, updated: String) -> StagingJob {
                var job = StagingJob(id: id, owner: "alice", username: "alice", method: .localCopy, source: "s", destination: id)
                job.runner = runner
                job.status = status
                job.updatedAt = updated
                return job
            }
            // Left by this host's previous process; another replica's live job; another
            // replica's job whose heartbeat stopped long ago; a finished job.
            try await store.createStagingJob(job("earlier", runner: "\(host):1", status: .running, updated: now))
            try await store.createStagingJob(job("elsewhere", runner: "other-host:7", status: .running, updated: now))
            try await store.createStagingJob(job("silent", runner: "other-host:8", status: .queued, updated: old))
            var finished = job("finished", runner: "\(host):1", status: .running, updated: old)
            finished.finish(.succeeded, message: "ok")
            try await store.createStagingJob(finished)

            await runner.sweep(atStart: true)
            let earlier = try #require(try await store.stagingJob("earlier"))
            #expect(earlier.status == .failed && earlier.error?.contains("restarted while the job was running") == true)
            let silent = try #require(try await store.stagingJob("silent"))
            #expect(silent.status == .failed && silent.error?.contains("stopped answering") == true)
            #expect(try await store.stagingJob("elsewhere")?.status == .running)
            #expect(try await store.stagingJob("finished")?.status == .succeeded)
            #expect(cleaned.withLockedValue { $0 }.sorted() == ["earlier", "silent"])

            // Later sweeps leave this host's other processes' fresh jobs alone.
            try await store.createStagingJob(job("fresh-here", runner: "\(host):2", status: .running, updated: Timestamp.isoUTC(Date())))
            await runner.sweep(atStart: false)
            #expect(try await store.stagingJob("fresh-here")?.status == .running)
        }
    }

    @Test("settings: off by default; roots must be folders; methods a JSON list of known names, jupyter_copy only with a URL")
    func settings() throws {
        #expect(try StagingSettings.load(from: ConfigurationSource(environment: [:])) == .disabled)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = ["STAGING_ENABLED": "true", "STAGING_SOURCE_ROOT": folder.path, "STAGING_TARGET_ROOT": folder.path]
        let plain = try StagingSettings.load(from: ConfigurationSource(environment: base))
        #expect(plain.allowedMethods == [.localCopy, .localSymlink, .directDownload])
        let withJupyter = try StagingSettings.load(
            from: ConfigurationSource(environment: base.merging(["STAGING_JUPYTER_URL": "http://hub/user/{username}/"]) { $1 }))
        #expect(withJupyter.allowedMethods == StagingMethod.allCases)
        #expect(withJupyter.jupyterServer(for: "a b@x.org")?.absoluteString == "http://hub/user/a%20b@x.org/")
        let listed = try StagingSettings.load(
            from: ConfigurationSource(environment: base.merging(["STAGING_ALLOWED_METHODS": #"["local_copy"]"#]) { $1 }))
        #expect(listed.allowedMethods == [.localCopy])

        for (variable, value) in [
            ("STAGING_ALLOWED_METHODS", #"["teleport"]"#), ("STAGING_ALLOWED_METHODS", "local_copy"),
            ("STAGING_ALLOWED_METHODS", #"["jupyter_copy"]"#), ("STAGING_SOURCE_ROOT", "relative/path"),
            ("STAGING_TARGET_ROOT", folder.appendingPathComponent("missing").path),
        ] {
            #expect(throws: ConfigurationError.self, "\(variable)=\(value)") {
                try StagingSettings.load(from: ConfigurationSource(environment: base.merging([variable: value]) { $1 }))
            }
        }
    }
}
