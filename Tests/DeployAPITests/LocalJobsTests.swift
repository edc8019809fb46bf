import Essentials
import Foundation
import Logging
import Prometheus
import ServiceKit
import TestSupport
import Testing
import ZIPFoundation

@testable import DeployAPI

/// kbatch jobs on the local runtime: real processes in their own folders, their logs, their
/// ends, their limits, CronJobs by the clock, TTLs, and state across a restart.
@Suite("kbatch on the local runtime")
struct LocalJobsTests {
    static let user = "ada@example.org"
    static var namespace: String { KbatchNamespace.name(for: user) }

    /// A fresh folder and a `LocalJobs` over it; the folder goes afterwards.
    static func withJobs(
        _ configure: (inout LocalJobs.Settings) -> Void = { _ in }, metrics: JobMetrics? = nil, _ body: (LocalJobs, URL) async throws -> Void
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("local-jobs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = LocalJobs.Settings(directory: folder)
        configure(&settings)
        let jobs = try LocalJobs(settings: settings, logger: Logger(label: "local-jobs-test"), metrics: metrics)
        do {
            try await body(jobs, folder)
        } catch {
            await jobs.stopAll()
            throw error
        }
        await jobs.stopAll()
    }

    /// A kbatch-style Job (what the client sends), rewritten as the routes rewrite it.
    static func submission(
        _ command: [String], env: [String: String] = [:], code: Data? = nil, kind: KbatchSubmission.Kind = .job, spec: [String: JSONValue] = [:],
        rules: KbatchSubmission.Rules = .init()
    ) throws -> KbatchSubmission {
        let container: JSONValue = [
            "name": "job", "image": "python:3.12-slim", "command": .array(command.map(JSONValue.string)), "working_dir": "/code",
            "env": .array(env.sorted { $0.key < $1.key }.map { ["name": .string($0.key), "value": .string($0.value)] }),
        ]
        var jobSpec: [String: JSONValue] = ["backoff_limit": 0, "template": ["spec": ["restart_policy": "Never", "containers": [container]]]]
        jobSpec.merge(spec) { $1 }
        let job: JSONValue =
            kind == .job
            ? ["kind": "Job", "metadata": ["generate_name": "run-"], "spec": .object(jobSpec)]
            : [
                "kind": "CronJob", "metadata": ["generate_name": "cron-"],
                "spec": ["schedule": "*/5 * * * *", "job_template": ["spec": .object(jobSpec)]],
            ]
        var body: JSONValue = ["job": job]
        if let code { body["code"] = ["binary_data": ["code": .string(code.base64EncodedString())]] }
        return try KbatchSubmission.prepare(kind: kind, body: body, username: user, token: "t", rules: rules)
    }

    /// A zip made with ZIPFoundation from (path, contents) pairs; nil contents is a folder.
    static func zip(_ entries: [(String, String?)]) throws -> Data {
        let archive = try Archive(accessMode: .create)
        for (path, contents) in entries {
            let bytes = Data((contents ?? "").utf8)
            try archive.addEntry(
                with: path, type: contents == nil ? .directory : .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate
            ) { position, size in
                bytes.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return try #require(archive.data)
    }

    static func name(_ answer: JSONValue) throws -> String { try #require(answer["metadata"]?["name"]?.stringValue) }

    /// Waits until the Job has a true Complete or Failed condition; returns it (snake_case).
    static func finished(_ jobs: LocalJobs, _ name: String, timeout: Duration = .seconds(30)) async throws -> JSONValue {
        try await waitUntil("job \(name) finished", timeout: timeout) {
            KbatchAnswers.isFinished(KubernetesCase.camel(try await jobs.get(.job, namespace: namespace, name: name)))
        }
        return try await jobs.get(.job, namespace: namespace, name: name)
    }

    @Test("a Job runs its command in its folder with the code unpacked, its env resolved, and its output as the pod's log")
    func runs() async throws {
        try await Self.withJobs { jobs, folder in
            let script =
                "cat pkg/data.txt; echo from the script \"$1\"; echo \"$GREETING $SITE\"; pwd; echo HOME=$HOME; env | grep -c AUTH_ || true\n"
            let code = try Self.zip([("pkg/", nil), ("pkg/data.txt", "shipped\n"), ("run.sh", script)])
            // `/code/…` as an argument is the pod's code folder, where the cluster's init container puts it.
            let submitted = try await jobs.submit(
                try Self.submission(
                    ["sh", "/code/run.sh", "argument"], env: ["GREETING": "hi"], code: code, rules: .init(extraEnv: [("SITE", "laptop")])))
            let name = try Self.name(submitted)
            #expect(submitted["status"]?["active"] == 1 && submitted["status"]?["succeeded"] == .null)
            let job = try await Self.finished(jobs, name)
            #expect(job["status"]?["succeeded"] == 1 && job["status"]?["conditions"]?[0]?["type"] == "Complete")
            #expect(job["status"]?["completion_time"]?.stringValue != nil)
            let pods = try await jobs.pods(namespace: Self.namespace, jobName: name)["items"]?.arrayValue ?? []
            #expect(pods.count == 1)
            let pod = try #require(pods.first)
            let podName = try Self.name(pod)
            #expect(pod["metadata"]?["labels"]?["job-name"] == .string(name) && pod["status"]?["phase"] == "Succeeded")
            #expect(pod["status"]?["container_statuses"]?[0]?["state"]?["terminated"]?["exit_code"] == 0)
            let log = try await jobs.logs(namespace: Self.namespace, name: podName)
            let podFolder = folder.appendingPathComponent("\(Self.namespace)/pods/\(podName)")
            #expect(log == "shipped\nfrom the script argument\nhi laptop\n\(podFolder.path)/code\nHOME=\(podFolder.path)\n0\n")
            // By the Job's name: the same log (one pod, no header).
            #expect(try await jobs.logs(namespace: Self.namespace, name: name) == log)
            // The state file keeps the env values: only its owner may read it.
            let state = folder.appendingPathComponent("\(Self.namespace)/state.json")
            let mode = try FileManager.default.attributesOfItem(atPath: state.path)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)
            _ = try await jobs.delete(.job, namespace: Self.namespace, name: name)
            #expect(!FileManager.default.fileExists(atPath: podFolder.path))
            await #expect(throws: APIError.self) { try await jobs.get(.job, namespace: Self.namespace, name: name) }
        }
    }

    @Test("a failing pod is retried up to backoffLimit; the Job then fails, and its log has every pod under a header")
    func retries() async throws {
        try await Self.withJobs { jobs, _ in
            let name = try Self.name(try await jobs.submit(try Self.submission(["sh", "-c", "echo attempt; exit 3"], spec: ["backoff_limit": 1])))
            let job = try await Self.finished(jobs, name)
            #expect(job["status"]?["failed"] == 2 && job["status"]?["conditions"]?[0]?["reason"] == "BackoffLimitExceeded")
            #expect(job["status"]?["completion_time"] == .null)
            let pods = try await jobs.pods(namespace: Self.namespace, jobName: name)["items"]?.arrayValue ?? []
            #expect(pods.map { $0["status"]?["phase"] } == ["Failed", "Failed"])
            #expect(pods.allSatisfy { $0["status"]?["container_statuses"]?[0]?["state"]?["terminated"]?["exit_code"] == 3 })
            let log = try await jobs.logs(namespace: Self.namespace, name: name)
            let names = try pods.map(Self.name)
            #expect(log == "==> \(names[0]) <==\nattempt\n==> \(names[1]) <==\nattempt\n")
        }
    }

    @Test("a run past its deadline or its log limit is stopped, and the Job fails saying which")
    func limits() async throws {
        let registry = PrometheusCollectorRegistry()
        try await Self.withJobs({ $0.logLimitBytes = 4096 }, metrics: JobMetrics(registry: registry)) { jobs, _ in
            let slow = try Self.name(try await jobs.submit(try Self.submission(["sleep", "60"], spec: ["active_deadline_seconds": 1])))
            let chatty = try Self.name(try await jobs.submit(try Self.submission(["sh", "-c", "while true; do echo noise; done"])))
            let slowJob = try await Self.finished(jobs, slow)
            #expect(slowJob["status"]?["conditions"]?[0]?["reason"] == "DeadlineExceeded")
            #expect(try await jobs.logs(namespace: Self.namespace, name: slow).contains("passed its deadline"))
            let chattyJob = try await Self.finished(jobs, chatty)
            #expect(chattyJob["status"]?["conditions"]?[0]?["reason"] == "LogLimitExceeded")
            #expect(try await jobs.logs(namespace: Self.namespace, name: chatty).hasSuffix("KBATCH_LOCAL_LOG_LIMIT_BYTES), so the run was stopped\n"))
            let metrics = String(decoding: registry.emitToBuffer(), as: UTF8.self)
            #expect(metrics.contains(#"rexec_deploy_kbatch_local_runs_finished_total{reason="DeadlineExceeded"} 1"#))
            #expect(metrics.contains(#"rexec_deploy_kbatch_local_runs_finished_total{reason="LogLimitExceeded"} 1"#))
            #expect(metrics.contains("rexec_deploy_kbatch_local_runs_active 0"))
        }
    }

    @Test("what cannot run locally, or an unsafe code bundle, is refused before anything is made; so is a Job past the cap")
    func refusals() async throws {
        try await Self.withJobs({ $0.maxActiveJobs = 1 }) { jobs, folder in
            await #expect(throws: APIError.self) { try await jobs.submit(try Self.submission([])) }
            for bad in [Data("not a zip".utf8), try Self.zip([("../escape.txt", "x")]), try Self.zip([("/etc/evil", "x")])] {
                do {
                    _ = try await jobs.submit(try Self.submission(["true"], code: bad))
                    Issue.record("an unsafe bundle was accepted")
                } catch let error as APIError {
                    #expect(error.status == .unprocessableContent && "\(error.detail)".contains("code.binary_data.code"))
                }
            }
            #expect(try await jobs.list(.job, namespace: Self.namespace)["items"]?.arrayValue?.isEmpty == true)
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(Self.namespace)/code").path))
            _ = try await jobs.submit(try Self.submission(["sleep", "30"]))
            do {
                _ = try await jobs.submit(try Self.submission(["true"]))
                Issue.record("the cap let a second job in")
            } catch let error as APIError {
                #expect(error.status == .tooManyRequests)
            }
        }
    }

    @Test("a code bundle unpacks only inside its folder, skips links, and stops at its size limit")
    func codeBundle() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bundle-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = try Self.zip([("a/b/c.txt", "deep"), ("./top.txt", "top")])
        try CodeBundle(zip: good, limit: 1024).unpack(into: folder)
        #expect(try String(contentsOf: folder.appendingPathComponent("a/b/c.txt"), encoding: .utf8) == "deep")
        #expect(try String(contentsOf: folder.appendingPathComponent("top.txt"), encoding: .utf8) == "top")
        #expect(throws: CodeBundle.Refused.self) { try CodeBundle(zip: good, limit: 5).check() }
        #expect(throws: CodeBundle.Refused.self) { try CodeBundle(zip: good, limit: 5).unpack(into: folder) }
        #expect(throws: CodeBundle.Refused.self) { try CodeBundle.relativePath("a/../../x") }
        #expect(try CodeBundle.relativePath("a/./b/") == "a/b")
    }

    @Test("a CronJob makes a Job when due (named by the minute, owned by it); deleting it takes its Jobs; a finished Job goes after its TTL")
    func cronAndTTL() async throws {
        try await Self.withJobs { jobs, _ in
            let cron = try Self.name(try await jobs.submit(try Self.submission(["echo", "tick"], kind: .cronJob)))
            #expect(try await jobs.list(.job, namespace: Self.namespace)["items"]?.arrayValue?.isEmpty == true)
            // The clock is the test's: ten minutes on, the run of the last */5 minute is due.
            let later = Date().addingTimeInterval(600)
            await jobs.tick(now: later)
            let made = try await jobs.list(.job, namespace: Self.namespace)["items"]?.arrayValue ?? []
            #expect(made.count == 1)
            let job = try #require(made.first)
            #expect(job["metadata"]?["owner_references"]?[0]?["name"] == .string(cron))
            #expect(try Self.name(job).hasPrefix(cron + "-"))
            #expect(try await jobs.get(.cronJob, namespace: Self.namespace, name: cron)["status"]?["last_schedule_time"]?.stringValue != nil)
            _ = try await Self.finished(jobs, try Self.name(job))
            #expect(try await jobs.logs(namespace: Self.namespace, name: try Self.name(job)) == "tick\n")
            _ = try await jobs.delete(.cronJob, namespace: Self.namespace, name: cron)
            #expect(try await jobs.list(.job, namespace: Self.namespace)["items"]?.arrayValue?.isEmpty == true)

            let ttl = try Self.name(try await jobs.submit(try Self.submission(["true"], rules: .init(ttlSecondsAfterFinished: 60))))
            _ = try await Self.finished(jobs, ttl)
            await jobs.tick(now: Date())
            #expect(try await jobs.list(.job, namespace: Self.namespace)["items"]?.arrayValue?.count == 1)
            await jobs.tick(now: Date().addingTimeInterval(61))
            #expect(try await jobs.list(.job, namespace: Self.namespace)["items"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test("a restarted deploy API still knows its jobs; a run it interrupted is failed, not left running")
    func restart() async throws {
        try await Self.withJobs { jobs, folder in
            let done = try Self.name(try await jobs.submit(try Self.submission(["echo", "kept"])))
            _ = try await Self.finished(jobs, done)
            let running = try Self.name(try await jobs.submit(try Self.submission(["sleep", "60"])))

            // As after a crash: a new deploy API over the same folder while the old run is still going.
            let again = try LocalJobs(settings: LocalJobs.Settings(directory: folder), logger: Logger(label: "local-jobs-test"))
            await again.restore()
            // The run it found was stopped: the old instance sees its process end.
            _ = try await Self.finished(jobs, running)
            #expect(try await again.logs(namespace: Self.namespace, name: done) == "kept\n")
            let interrupted = try await again.get(.job, namespace: Self.namespace, name: running)
            #expect(interrupted["status"]?["conditions"]?[0]?["reason"] == "Interrupted")
            #expect(try await again.logs(namespace: Self.namespace, name: running).contains("stopped while the pod ran"))
        }
    }
}
