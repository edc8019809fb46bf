import Essentials
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import ServiceKit
import ServiceLifecycle

/// What a staging job does once it runs.
enum StagingWork: Sendable {
    case copy(from: URL, to: URL)
    case symlink(to: URL, at: URL)
    case jupyter(from: URL, contents: JupyterContents, path: [String])
}

/// Runs staging jobs and keeps their records true.
///
/// - At most `maxRunning` jobs copy at once; the others stay `queued` until a slot frees.
/// - Progress is written to the job every second while it changes, and every ten seconds
///   regardless: that refresh is the job's heartbeat.
/// - A job is never left "running" by a process that is gone: at start-up this process's
///   earlier jobs (same host, another process) are marked failed, and any replica marks
///   failed a job whose heartbeat stopped a minute ago. Shutting down stops the copies and
///   marks their jobs failed too; a stopped copy leaves no half file in place.
actor StagingRunner: Service {
    let store: StagingJobStore
    let maxRunning: Int
    let logger: Logger
    /// `host:pid`: which process runs a job.
    nonisolated let name: String
    /// A job whose heartbeat is older than this belongs to a process that died.
    let staleAfter: Duration

    let metrics = StagingMetrics()
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var active: [String: Active] = [:]

    /// A job of this process: its progress (written by the copy, read by the heartbeat) and
    /// whether it must stop.
    final class Active: Sendable {
        let state = NIOLockedValueBox(State())
        struct State {
            var done: Int64 = 0
            var stopReason: String?
            var written: (done: Int64, at: ContinuousClock.Instant)?
        }

        /// Called by the copy after each chunk: throws once the job must stop.
        func report(_ done: Int64) throws {
            let reason = state.withLockedValue { state -> String? in
                state.done = done
                return state.stopReason
            }
            if let reason { throw Stopped(reason: reason) }
        }
    }

    struct Stopped: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    /// Removes what a job that did not finish may have left (a copy's temporary).
    let cleanUp: @Sendable (StagingJob) -> Void

    init(
        store: StagingJobStore, maxRunning: Int, logger: Logger, staleAfter: Duration = .seconds(60),
        cleanUp: @escaping @Sendable (StagingJob) -> Void = { _ in }
    ) {
        self.store = store
        self.cleanUp = cleanUp
        self.maxRunning = maxRunning
        self.free = maxRunning
        self.logger = logger
        self.staleAfter = staleAfter
        self.name = "\(ProcessInfo.processInfo.hostName):\(getpid())"
    }

    /// Records `job` as queued by this process (before the answer names it).
    func create(_ job: StagingJob) async throws -> StagingJob {
        var job = job
        job.runner = name
        try await store.createStagingJob(job)
        active[job.id] = Active()
        metrics.active.record(active.count)
        return job
    }

    /// Runs a job created by ``create(_:)`` to its end and returns it as stored. Meant to run
    /// in its own task: the caller's request may go away, the job goes on.
    func run(_ job: StagingJob, _ work: StagingWork, total: Int64?, message: String) async -> StagingJob {
        let tracker = active[job.id] ?? Active()
        active[job.id] = tracker
        defer { forget(job.id) }
        await acquire()
        defer { release() }
        if let reason = tracker.state.withLockedValue({ $0.stopReason }) {
            return await record(job.id) { $0.finish(.failed, error: reason) } ?? job
        }
        let name = name
        _ = await record(job.id) { job in
            job.status = .running
            job.startedAt = Timestamp.isoUTC(Date())
            job.updatedAt = job.startedAt!
            job.bytesTotal = total
            job.runner = name
        }
        do {
            try await Self.perform(work, total: total, tracker: tracker)
            let done = tracker.state.withLockedValue { $0.done }
            logger.info("staged data", metadata: ["staging.job": "\(job.id)", "method": "\(job.method.rawValue)", "bytes": "\(done)"])
            return await record(job.id) { job in
                job.bytesDone = done
                job.finish(.succeeded, message: message)
            } ?? job
        } catch {
            let reason = (error as? Stopped)?.reason ?? Self.describe(error)
            logger.warning("staging failed", metadata: ["staging.job": "\(job.id)", "error": "\(reason)"])
            let done = tracker.state.withLockedValue { $0.done }
            return await record(job.id) { job in
                job.bytesDone = done
                job.finish(.failed, error: reason)
            } ?? job
        }
    }

    /// Records a job that needs no work (the data was already there, or a download).
    func finish(_ id: String, _ change: @escaping @Sendable (inout StagingJob) -> Void) async -> StagingJob? {
        forget(id)
        return await record(id, change)
    }

    private func forget(_ id: String) {
        active[id] = nil
        metrics.active.record(active.count)
    }

    private static func perform(_ work: StagingWork, total: Int64?, tracker: Active) async throws {
        switch work {
        case .copy(let source, let destination):
            // A copy blocks on disk reads and writes: it runs on NIO's thread pool, not on the
            // cooperative threads that serve requests.
            try await NIOThreadPool.singleton.runIfActive {
                try LocalStaging.copy(source, to: destination, total: total) { try tracker.report($0.bytesDone) }
            }
        case .symlink(let source, let destination):
            try LocalStaging.symlink(source, at: destination)
        case .jupyter(let source, let contents, let path):
            try await contents.upload(source, to: path) { try tracker.report($0) }
        }
    }

    static func describe(_ error: any Error) -> String {
        if let convertible = error as? any APIErrorConvertible {
            let detail = convertible.apiError.detail
            return detail.stringValue ?? "\(detail)"
        }
        if let cocoa = error as? CocoaError {
            // Foundation's own words are vague ("The operation could not be completed"): the
            // system's, with the file's name, say what happened.
            let name = cocoa.filePath.map { ($0 as NSString).lastPathComponent } ?? cocoa.url?.lastPathComponent
            if let posix = cocoa.userInfo[NSUnderlyingErrorKey] as? POSIXError {
                return LocalStaging.FileFailure(code: posix.code.rawValue, name: name ?? "a file").description
            }
            return [cocoa.localizedDescription, name].compactMap { $0 }.joined(separator: " ")
        }
        return "\(error)"
    }

    /// Writes a change to the job; a database failure is logged, not thrown (the job's own
    /// outcome must not be lost to a failed progress write, and the sweep repairs the record).
    private func record(_ id: String, _ change: @escaping @Sendable (inout StagingJob) -> Void) async -> StagingJob? {
        do {
            let before = NIOLockedValueBox(false)
            let job = try await store.updateStagingJob(id) { job in
                before.withLockedValue { $0 = job.status.isFinished }
                change(&job)
            }
            // Counted once: when this change finished it.
            if let job, !before.withLockedValue({ $0 }) { metrics.count(job) }
            return job
        } catch {
            logger.error("could not record a staging job", metadata: ["staging.job": "\(id)", "error": "\(error)"])
            return nil
        }
    }

    private func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }

    // MARK: Heartbeat and sweep

    func run() async throws {
        await sweep(atStart: true)
        var sinceSweep = 0
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Sleep.for(.seconds(1)) }
            } catch {
                break
            }
            await beat()
            sinceSweep += 1
            if sinceSweep >= 30 {
                sinceSweep = 0
                await sweep(atStart: false)
            }
        }
        await stopAll(reason: "The endpoint shut down during the job; stage the data again.")
    }

    /// Writes each active job's progress when it changed (at most once a second) or ten
    /// seconds passed.
    private func beat() async {
        let now = ContinuousClock.now
        for (id, tracker) in active {
            let due = tracker.state.withLockedValue { state -> Int64? in
                if let written = state.written, written.done == state.done, now - written.at < .seconds(10) { return nil }
                state.written = (state.done, now)
                return state.done
            }
            guard let done = due else { continue }
            _ = await record(id) { job in
                guard !job.status.isFinished else { return }
                job.bytesDone = max(job.bytesDone, done)
                job.updatedAt = Timestamp.isoUTC(Date())
            }
        }
    }

    /// Marks failed the unfinished jobs no live process runs: at start-up, this host's earlier
    /// processes' jobs; at any time, jobs whose heartbeat stopped.
    func sweep(atStart: Bool) async {
        let host = Self.host(of: name)
        let cutoff = Date().addingTimeInterval(-staleAfter.seconds)
        do {
            for job in try await store.unfinishedStagingJobs() where active[job.id] == nil {
                let runner = job.runner ?? ""
                let earlierHere = atStart && runner != name && Self.host(of: runner) == host
                let silent = (Timestamp.parseISO(job.updatedAt) ?? .distantPast) < cutoff
                guard earlierHere || silent else { continue }
                let reason =
                    earlierHere
                    ? "The endpoint restarted while the job was \(job.status.rawValue); stage the data again."
                    : "The endpoint process running the job stopped answering; stage the data again."
                if let failed = await record(job.id, { job in if !job.status.isFinished { job.finish(.failed, error: reason) } }) {
                    cleanUp(failed)
                    logger.notice("staging job marked failed", metadata: ["staging.job": "\(failed.id)", "reason": "\(reason)"])
                }
            }
        } catch {
            logger.error("could not sweep staging jobs", metadata: ["error": "\(error)"])
        }
    }

    /// Asks a job this process runs (or holds queued) to stop: its copy throws at the next
    /// chunk and its temporary is removed. False when it is not this process's.
    func stop(_ id: String, reason: String) -> Bool {
        guard let tracker = active[id] else { return false }
        tracker.state.withLockedValue { $0.stopReason = reason }
        return true
    }

    /// The host part of a runner's `host:pid`.
    private static func host(of runner: String) -> String {
        runner.split(separator: ":").first.map(String.init) ?? runner
    }

    /// Stops every active job (their copies throw at the next chunk; queued ones fail when
    /// they get a slot) and waits until none is left.
    private func stopAll(reason: String) async {
        for tracker in active.values { tracker.state.withLockedValue { $0.stopReason = reason } }
        let deadline = ContinuousClock.now + .seconds(20)
        while !active.isEmpty, ContinuousClock.now < deadline {
            try? await Sleep.for(.milliseconds(50))
        }
    }
}
