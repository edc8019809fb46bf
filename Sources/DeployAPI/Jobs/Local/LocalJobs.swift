import Essentials
import Foundation
import Logging
import NIOCore
import ServiceKit
import ServiceLifecycle

/// kbatch's jobs on this machine, for a laptop and `make up`: a Job's container 0 runs as a
/// local process (its command and args; the image is not used) in a folder of its own with
/// the shipped code unpacked in it, with its env, its output as the pod's log; the exit status
/// becomes the pod's phase and the Job's status, with Kubernetes' retries (`backoffLimit`)
/// and deadline (`activeDeadlineSeconds`, capped by `KBATCH_LOCAL_TIMEOUT_SECONDS`). A log past
/// `KBATCH_LOCAL_LOG_LIMIT_BYTES` stops the run. CronJobs fire by their schedule; finished
/// Jobs go after their TTL. The answers have the shapes a cluster's have, so the routes and
/// the kbatch client cannot tell the difference.
///
/// The objects are kept in memory and in one state file per namespace (mode 0600: it holds
/// the env values), so a restarted deploy API still knows them; a run the restart interrupted
/// is marked failed, never left running.
actor LocalJobs: KbatchBackend {
    struct Settings: Sendable {
        /// `<REXEC_LOCAL_STATE_DIR>/kbatch`.
        var directory: URL
        /// `KBATCH_LOCAL_TIMEOUT_SECONDS`: the longest a pod runs (default 3600).
        var timeout: Duration = .seconds(3600)
        /// `KBATCH_LOCAL_LOG_LIMIT_BYTES`: the largest log a pod may write (default 10 MiB).
        var logLimitBytes = 10 << 20
        /// `KBATCH_LOCAL_CODE_LIMIT_BYTES`: the most the shipped code may unpack to (default 100 MiB).
        var codeLimitBytes = 100 << 20
        /// `KBATCH_MAX_ACTIVE_JOBS_PER_USER`.
        var maxActiveJobs = 20
    }

    struct Key: Hashable, Codable, Sendable {
        let namespace: String
        let name: String
    }

    /// A Job or CronJob with what its pods need: the env values its Secret would hold, and the
    /// file its code zip is kept in.
    struct Workload: Codable, Sendable {
        var object: JSONValue
        var secretValues: [String: String]
        var codeFile: String?
        /// When a finished Job may go (its TTL after the end).
        var expires: Date?
        /// A CronJob's next run.
        var nextRun: Date?
    }

    struct Pod: Codable, Sendable {
        var object: JSONValue
        var job: String
        var pid: Int32?
    }

    /// What is written to `<directory>/<namespace>/state.json`.
    private struct NamespaceState: Codable {
        var jobs: [String: Workload] = [:]
        var cronJobs: [String: Workload] = [:]
        var pods: [String: Pod] = [:]
    }

    let settings: Settings
    private let logger: Logger
    private let metrics: JobMetrics?
    private var jobs: [Key: Workload] = [:]
    private var cronJobs: [Key: Workload] = [:]
    private var pods: [Key: Pod] = [:]
    private var processes: [Key: ChildProcess] = [:]
    /// Why a run was stopped from here (deadline, log limit, deletion), by pod.
    private var stopReasons: [Key: (reason: String, message: String)] = [:]
    private var shuttingDown = false

    init(settings: Settings, logger: Logger, metrics: JobMetrics? = nil) throws {
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        try FileManager.default.createDirectory(at: settings.directory, withIntermediateDirectories: true)
    }

    nonisolated var services: [any Service] { [LocalJobScheduler(jobs: self)] }

    // MARK: Submitting

    func submit(_ submission: KbatchSubmission) async throws -> JSONValue {
        let podPath: [String] = submission.kind == .job ? ["spec", "template"] : ["spec", "jobTemplate", "spec", "template"]
        let container = submission.workload[path: podPath + ["spec", "containers"]]?.arrayValue?.first
        guard let command = container?["command"]?.arrayValue, !command.isEmpty else {
            throw APIError(
                .unprocessableContent,
                detail: "job.\((podPath + ["spec", "containers[0]", "command"]).joined(separator: ".")): "
                    + "this deploy API runs jobs as local processes (images are not used), so a job needs a command, "
                    + "such as kbatch job submit --command '[\"python\", \"run.py\"]'")
        }
        let code = try submission.codeConfigMap.map { configMap -> CodeBundle in
            let bundle = CodeBundle(
                zip: Data(base64Encoded: configMap["binaryData"]?["code"]?.stringValue ?? "") ?? Data(), limit: settings.codeLimitBytes)
            do {
                try bundle.check()
            } catch {
                throw APIError.validation("\(error)", field: "code.binary_data.code")
            }
            return bundle
        }
        if submission.kind == .job { try checkActiveJobs(namespace: submission.namespace) }

        var object = submission.workload
        let name = try Self.name(for: object, taken: { self.exists(submission.kind, Key(namespace: submission.namespace, name: $0)) })
        let key = Key(namespace: submission.namespace, name: name)
        let now = Date()
        object["metadata"]?["name"] = .string(name)
        object["metadata"]?["generateName"] = nil
        object["metadata"]?["uid"] = .string(UUID().uuidString.lowercased())
        object["metadata"]?["creationTimestamp"] = Self.timestamp(now)
        var secretValues: [String: String] = [:]
        for (secretKey, value) in submission.secret?["data"]?.objectValue ?? [:] {
            secretValues[secretKey] = value.stringValue.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        }
        var codeFile: String?
        if let code {
            codeFile = "code/\(submission.kind == .job ? "job" : "cronjob")-\(name).zip"
            let url = folder(submission.namespace).appendingPathComponent(codeFile!)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try code.zip.write(to: url)
        }
        var workload = Workload(object: object, secretValues: secretValues, codeFile: codeFile)
        switch submission.kind {
        case .job:
            workload.object["status"] = ["startTime": Self.timestamp(now), "active": 1]
            jobs[key] = workload
            startPod(key)
        case .cronJob:
            workload.object["status"] = [:]
            workload.nextRun = Self.nextRun(of: workload.object, after: now)
            cronJobs[key] = workload
        }
        save(submission.namespace)
        logger.info("kbatch local \(submission.kind.rawValue) submitted", metadata: ["namespace": "\(key.namespace)", "name": "\(name)"])
        return KbatchAnswers.object((submission.kind == .job ? jobs[key] : cronJobs[key])?.object ?? object)
    }

    private func checkActiveJobs(namespace: String) throws {
        guard settings.maxActiveJobs > 0 else { return }
        let active = jobs.filter { $0.key.namespace == namespace && !KbatchAnswers.isFinished($0.value.object) }.count
        if active >= settings.maxActiveJobs { throw KbatchAnswers.tooManyActiveJobs(active, max: settings.maxActiveJobs) }
    }

    private func exists(_ kind: KbatchSubmission.Kind, _ key: Key) -> Bool {
        kind == .job ? jobs[key] != nil : cronJobs[key] != nil
    }

    /// The given name, or `generateName` plus five characters as the API server makes them.
    /// Names become pod names and folders, so they must be DNS labels.
    private static func name(for object: JSONValue, taken: (String) -> Bool) throws -> String {
        if let given = object["metadata"]?["name"]?.stringValue, !given.isEmpty {
            guard DNSName.isLabel(given), given.count <= 52 else {
                throw APIError.validation(
                    "\"\(given)\" must be a DNS label (lowercase letters, digits and '-') of at most 52 characters", field: "job.metadata.name")
            }
            guard !taken(given) else {
                throw APIError(.conflict, detail: "\(object["kind"] == "Job" ? "jobs.batch" : "cronjobs.batch") \"\(given)\" already exists")
            }
            return given
        }
        let base = String((object["metadata"]?["generateName"]?.stringValue ?? "kbatch-").prefix(46))
        for _ in 0..<20 {
            let candidate = base + randomSuffix()
            guard DNSName.isLabel(candidate) else {
                throw APIError.validation("\"\(base)\" must start a DNS label", field: "job.metadata.generate_name")
            }
            if !taken(candidate) { return candidate }
        }
        throw APIError(.conflict, detail: "no free name for \(base)")
    }

    /// Five characters from the API server's alphabet (no vowels, no look-alikes).
    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet.randomElement()! })
    }

    static func timestamp(_ date: Date) -> JSONValue {
        .string(Timestamp.kubernetes(date))
    }

    /// A CronJob's next run after `date`, in its `timeZone` (UTC without one). Its schedule was
    /// checked at submission; nil if it never fires.
    static func nextRun(of cronJob: JSONValue, after date: Date) -> Date? {
        let zone = cronJob["spec"]?["timeZone"]?.stringValue.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
        return (try? CronSchedule(cronJob["spec"]?["schedule"]?.stringValue ?? ""))?.next(after: date, in: zone)
    }

    /// The Jobs a CronJob has made.
    private func jobsMade(by cronJob: Key) -> [Key: Workload] {
        let uid = cronJobs[cronJob]?.object["metadata"]?["uid"]
        return jobs.filter { $0.key.namespace == cronJob.namespace && $0.value.object["metadata"]?["ownerReferences"]?[0]?["uid"] == uid }
    }

    // MARK: Running pods

    private nonisolated func folder(_ namespace: String) -> URL { settings.directory.appendingPathComponent(namespace) }

    private nonisolated func podFolder(_ key: Key) -> URL { folder(key.namespace).appendingPathComponent("pods/\(key.name)") }

    private nonisolated func logFile(_ key: Key) -> URL { podFolder(key).appendingPathComponent("log") }

    /// A new pod for the Job, started at once.
    private func startPod(_ job: Key) {
        guard !shuttingDown, let workload = jobs[job] else { return }
        let key = Key(namespace: job.namespace, name: "\(job.name)-\(Self.randomSuffix())")
        let now = Date()
        let template = workload.object["spec"]?["template"] ?? [:]
        var labels = template["metadata"]?["labels"]?.objectValue ?? [:]
        let uid = workload.object["metadata"]?["uid"] ?? ""
        for label in ["job-name", "batch.kubernetes.io/job-name"] { labels[label] = .string(job.name) }
        labels["controller-uid"] = uid
        labels["batch.kubernetes.io/controller-uid"] = uid
        var metadata = template["metadata"]?.objectValue ?? [:]
        metadata["name"] = .string(key.name)
        metadata["namespace"] = .string(key.namespace)
        metadata["uid"] = .string(UUID().uuidString.lowercased())
        metadata["creationTimestamp"] = Self.timestamp(now)
        metadata["labels"] = .object(labels)
        metadata["ownerReferences"] = [
            ["apiVersion": "batch/v1", "kind": "Job", "name": .string(job.name), "uid": uid, "controller": true, "blockOwnerDeletion": true]
        ]
        let spec = template["spec"] ?? [:]
        let container = spec["containers"]?.arrayValue?.first ?? [:]
        var pod = Pod(
            object: [
                "apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": spec,
                "status": [
                    "phase": "Running", "startTime": Self.timestamp(now), "hostIP": "127.0.0.1", "podIP": "127.0.0.1",
                    "containerStatuses": [
                        [
                            "name": container["name"] ?? "job", "image": container["image"] ?? "", "ready": true, "restartCount": 0,
                            "started": true, "state": ["running": ["startedAt": Self.timestamp(now)]],
                        ]
                    ],
                ],
            ], job: job.name)
        jobs[job]?.object["status"]?["active"] = 1
        let folder = podFolder(key)
        let codeFolder = folder.appendingPathComponent("code")
        do {
            try FileManager.default.createDirectory(at: codeFolder, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: logFile(key).path, contents: nil)
            if let codeFile = workload.codeFile {
                let zip = try Data(contentsOf: self.folder(job.namespace).appendingPathComponent(codeFile))
                try CodeBundle(zip: zip, limit: settings.codeLimitBytes).unpack(into: codeFolder)
            }
            let invocation = Self.invocation(container, codeFolder: codeFolder)
            let environment = Self.environment(
                container, secretValues: workload.secretValues, pod: key, home: folder, codeFolder: codeFolder)
            let process = try ChildProcess(
                invocation.program, invocation.arguments, environment: environment, workingDirectory: invocation.workingDirectory,
                output: logFile(key), defaultSignals: true
            ) { status in
                Task { await self.exited(key, status: status) }
            }
            pod.pid = process.processIdentifier
            pods[key] = pod
            processes[key] = process
            metrics?.localRunsActive.increment()
            watch(key, process: process, deadline: now.addingTimeInterval(runLimit(workload.object)))
        } catch {
            pods[key] = pod
            appendToLog(key, "kbatch: the pod could not start: \(error)\n")
            metrics?.recordLocalRunEnded(reason: "StartError")
            finish(key, phase: "Failed", exitCode: 128, reason: "StartError", message: "\(error)")
        }
        save(job.namespace)
    }

    /// The seconds a pod may run: the Job's `activeDeadlineSeconds` if shorter than the limit.
    private func runLimit(_ job: JSONValue) -> TimeInterval {
        let limit = Double(settings.timeout.components.seconds)
        guard let deadline = job["spec"]?["activeDeadlineSeconds"]?.doubleValue, deadline > 0 else { return limit }
        return min(limit, deadline)
    }

    /// Container 0's command and args (the program found on PATH, as `env` finds it), with
    /// `/code` (where the cluster's init container unpacks the code) read as the pod's code
    /// folder, which is also where it starts unless it names another working directory.
    static func invocation(_ container: JSONValue, codeFolder: URL) -> (program: String, arguments: [String], workingDirectory: URL) {
        func local(_ text: String) -> String {
            text == "/code" || text.hasPrefix("/code/") ? codeFolder.path + text.dropFirst("/code".count) : text
        }
        let words = (container["command"]?.arrayValue ?? []) + (container["args"]?.arrayValue ?? [])
        let arguments = words.map { local($0.stringValue ?? $0.scalarDescription ?? "") }
        let workingDirectory = container["workingDir"]?.stringValue.map(local) ?? codeFolder.path
        return (
            arguments[0], Array(arguments.dropFirst()), URL(fileURLWithPath: workingDirectory.hasPrefix("/") ? workingDirectory : codeFolder.path)
        )
    }

    /// The pod's environment: PATH and the locale from the deploy API (so the user's tools are
    /// found), HOME in the pod's folder, the container's env with its Secret references
    /// resolved, and nothing else of the deploy API's (its settings may hold secrets).
    static func environment(
        _ container: JSONValue, secretValues: [String: String], pod: Key, home: URL, codeFolder: URL
    ) -> [String: String] {
        let ours = ProcessInfo.processInfo.environment
        var environment = ["HOME": home.path, "HOSTNAME": pod.name, "PYTHONUNBUFFERED": "1", "KBATCH_CODE_DIR": codeFolder.path]
        for name in ["PATH", "LANG", "LC_ALL", "TZ"] { environment[name] = ours[name] }
        if environment["PATH"] == nil { environment["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        for entry in container["env"]?.arrayValue ?? [] {
            guard let name = entry["name"]?.stringValue else { continue }
            if let value = entry["value"] {
                environment[name] = value.stringValue ?? value.scalarDescription ?? ""
            } else if let key = entry["valueFrom"]?["secretKeyRef"]?["key"]?.stringValue {
                environment[name] = secretValues[key]
            } else if let field = entry["valueFrom"]?["fieldRef"]?["fieldPath"]?.stringValue {
                environment[name] = ["metadata.name": pod.name, "metadata.namespace": pod.namespace, "status.podIP": "127.0.0.1"][field]
            }
        }
        return environment
    }

    /// Stops the run past its deadline or its log limit. Looked at four times a second: the
    /// limits are coarse bounds, not timers anyone waits on.
    private nonisolated func watch(_ key: Key, process: ChildProcess, deadline: Date) {
        let limit = settings.logLimitBytes
        let log = logFile(key)
        Task {
            while process.isRunning {
                try? await Task.sleep(for: .milliseconds(250))
                let size = (try? FileManager.default.attributesOfItem(atPath: log.path)[.size] as? NSNumber)?.intValue ?? 0
                if size > limit {
                    await self.stop(
                        key, reason: "LogLimitExceeded",
                        message: "the log passed \(limit) bytes (KBATCH_LOCAL_LOG_LIMIT_BYTES), so the run was stopped")
                } else if Date() > deadline {
                    await self.stop(key, reason: "DeadlineExceeded", message: "the run passed its deadline, so it was stopped")
                }
            }
        }
    }

    private func stop(_ key: Key, reason: String, message: String) {
        guard let process = processes[key], process.isRunning, stopReasons[key] == nil else { return }
        stopReasons[key] = (reason, message)
        process.kill()
    }

    private func exited(_ key: Key, status: Int32) {
        processes[key] = nil
        let stopped = stopReasons.removeValue(forKey: key)
        let interrupted = shuttingDown && stopped == nil
        let reason = stopped?.reason ?? (interrupted ? "Interrupted" : status == 0 ? "Completed" : "Error")
        metrics?.localRunsActive.decrement()
        metrics?.recordLocalRunEnded(reason: reason)
        guard pods[key] != nil else { return }
        if let stopped { appendToLog(key, "kbatch: \(stopped.message)\n") }
        finish(
            key, phase: status == 0 && stopped == nil ? "Succeeded" : "Failed", exitCode: Int(status), reason: reason,
            message: stopped?.message ?? (interrupted ? "the deploy API stopped while the pod ran" : nil))
    }

    /// A pod has ended: its phase and container state, then its Job's counts and conditions;
    /// a failed pod is followed by another while the Job's `backoffLimit` allows.
    private func finish(_ key: Key, phase: String, exitCode: Int, reason: String, message: String?) {
        guard var pod = pods[key] else { return }
        let now = Self.timestamp(Date())
        pod.object["status"]?["phase"] = .string(phase)
        var state: [String: JSONValue] = [
            "exitCode": .number(Double(exitCode)), "reason": .string(reason), "finishedAt": now,
            "startedAt": pod.object["status"]?["startTime"] ?? now,
        ]
        if let message { state["message"] = .string(message) }
        let container = pod.object["spec"]?["containers"]?[0]
        pod.object["status"]?["containerStatuses"] = [
            [
                "name": container?["name"] ?? "job", "image": container?["image"] ?? "",
                "ready": false, "restartCount": 0, "started": false, "state": ["terminated": .object(state)],
            ]
        ]
        pod.pid = nil
        pods[key] = pod
        let jobKey = Key(namespace: key.namespace, name: pod.job)
        guard var job = jobs[jobKey], !KbatchAnswers.isFinished(job.object) else {
            save(key.namespace)
            return
        }
        let owned = pods.filter { $0.key.namespace == key.namespace && $0.value.job == pod.job }.map(\.value.object)
        let succeeded = owned.filter { $0["status"]?["phase"] == "Succeeded" }.count
        let failed = owned.filter { $0["status"]?["phase"] == "Failed" }.count
        let backoffLimit = Int(job.object["spec"]?["backoffLimit"]?.doubleValue ?? 6)
        var status = job.object["status"]?.objectValue ?? [:]
        status["succeeded"] = succeeded > 0 ? .number(Double(succeeded)) : Optional.none
        status["failed"] = failed > 0 ? .number(Double(failed)) : Optional.none
        var condition: (type: String, reason: String, message: String)?
        if succeeded > 0 {
            condition = ("Complete", "Completed", "Reached expected number of succeeded pods")
            status["completionTime"] = now
        } else if reason == "DeadlineExceeded" || reason == "LogLimitExceeded" || reason == "Interrupted" {
            condition = ("Failed", reason, message ?? reason)
        } else if failed > backoffLimit {
            condition = ("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
        }
        if let condition {
            status["active"] = nil
            status["conditions"] = [
                [
                    "type": .string(condition.type), "status": "True", "reason": .string(condition.reason), "message": .string(condition.message),
                    "lastProbeTime": now, "lastTransitionTime": now,
                ]
            ]
            let ttl = job.object["spec"]?["ttlSecondsAfterFinished"]?.doubleValue
            job.expires = ttl.map { Date().addingTimeInterval($0) }
        }
        job.object["status"] = .object(status)
        jobs[jobKey] = job
        if condition == nil {
            startPod(jobKey)
        } else {
            logger.info(
                "kbatch local job finished",
                metadata: ["namespace": "\(key.namespace)", "job": "\(pod.job)", "result": "\(condition!.type)", "reason": "\(condition!.reason)"])
        }
        save(key.namespace)
    }

    private func appendToLog(_ key: Key, _ text: String) {
        guard let handle = try? FileHandle(forWritingTo: logFile(key)) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(text.utf8))
    }

    // MARK: Reading

    func list(_ kind: KbatchSubmission.Kind, namespace: String) async throws -> JSONValue {
        let items = (kind == .job ? jobs : cronJobs).filter { $0.key.namespace == namespace }.map(\.value.object)
        return KbatchAnswers.list(apiVersion: "batch/v1", kind: kind.rawValue + "List", KbatchAnswers.oldestFirst(items) { $0 })
    }

    func pods(namespace: String, jobName: String?) async throws -> JSONValue {
        let items = podsOf(namespace: namespace, job: jobName).map(\.object)
        return KbatchAnswers.list(apiVersion: "v1", kind: "PodList", items)
    }

    func get(_ object: KbatchObject, namespace: String, name: String) async throws -> JSONValue {
        let key = Key(namespace: namespace, name: name)
        let found: JSONValue? =
            switch object {
            case .job: jobs[key]?.object
            case .cronJob: cronJobs[key]?.object
            case .pod: pods[key]?.object
            }
        guard let found else { throw KbatchAnswers.notFound(object, name) }
        return KbatchAnswers.object(found)
    }

    private func podsOf(namespace: String, job: String?) -> [Pod] {
        KbatchAnswers.oldestFirst(pods.filter { $0.key.namespace == namespace && (job == nil || $0.value.job == job) }.map(\.value), \.object)
    }

    /// The pods a log request names: the pod, or the Job's pods; nil if neither is there.
    private func podsNamed(_ name: String, namespace: String) -> [Key]? {
        let key = Key(namespace: namespace, name: name)
        if pods[key] != nil { return [key] }
        guard jobs[key] != nil else { return nil }
        return podsOf(namespace: namespace, job: name).compactMap { $0.object["metadata"]?["name"]?.stringValue }.map {
            Key(namespace: namespace, name: $0)
        }
    }

    func logs(namespace: String, name: String) async throws -> String {
        guard let keys = podsNamed(name, namespace: namespace) else { throw KbatchAnswers.noPodOrJob(name) }
        return KbatchAnswers.joinedLogs(
            keys.map { ($0.name, (try? String(contentsOf: logFile($0), encoding: .utf8)) ?? "") })
    }

    func followLogs(namespace: String, name: String) async throws -> AsyncThrowingStream<ByteBuffer, any Error> {
        guard podsNamed(name, namespace: namespace) != nil else { throw KbatchAnswers.noPodOrJob(name) }
        return KbatchAnswers.followed(
            name, isPod: pods[Key(namespace: namespace, name: name)] != nil, pollInterval: .milliseconds(100),
            pods: { await self.podsNamed(name, namespace: namespace)?.map(\.name) ?? [] },
            jobIsOver: { await self.jobIsOver(Key(namespace: namespace, name: name)) },
            follow: { pod, send in await self.follow(Key(namespace: namespace, name: pod), send: send) })
    }

    private func jobIsOver(_ key: Key) -> Bool {
        guard let job = jobs[key] else { return true }
        return KbatchAnswers.isFinished(job.object)
    }

    private func isRunning(_ key: Key) -> Bool { processes[key] != nil }

    /// One pod's log file as it grows, until the pod has ended and all of it is sent. The file
    /// is looked at every 100 ms.
    private nonisolated func follow(_ key: Key, send: @Sendable (ByteBuffer) -> Void) async {
        guard let handle = try? FileHandle(forReadingFrom: logFile(key)) else { return }
        defer { try? handle.close() }
        while !Task.isCancelled {
            let running = await isRunning(key)
            while let chunk = try? handle.read(upToCount: 64 << 10), !chunk.isEmpty {
                send(ByteBuffer(bytes: chunk))
            }
            if !running { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: Deleting

    func delete(_ kind: KbatchSubmission.Kind, namespace: String, name: String) async throws -> JSONValue {
        let key = Key(namespace: namespace, name: name)
        switch kind {
        case .job:
            guard jobs[key] != nil else { throw KbatchAnswers.notFound(.job, name) }
            await removeJob(key)
        case .cronJob:
            guard let cron = cronJobs[key] else { throw KbatchAnswers.notFound(.cronJob, name) }
            // Foreground, as on a cluster: the Jobs it made go too.
            for jobKey in jobsMade(by: key).keys { await removeJob(jobKey) }
            cronJobs[key] = nil
            removeCode(cron.codeFile, namespace: namespace)
        }
        save(namespace)
        return KbatchAnswers.deleted(kind, name: name)
    }

    /// A Job, its pods (stopped first) and their folders.
    private func removeJob(_ key: Key) async {
        guard let job = jobs.removeValue(forKey: key) else { return }
        for (podKey, pod) in pods where podKey.namespace == key.namespace && pod.job == key.name {
            if let process = processes[podKey] {
                stopReasons[podKey] = ("Deleted", "the job was deleted")
                await process.stop(grace: .seconds(5))
            }
            pods[podKey] = nil
            try? FileManager.default.removeItem(at: podFolder(podKey))
        }
        removeCode(job.codeFile, namespace: key.namespace)
        save(key.namespace)
    }

    private func removeCode(_ file: String?, namespace: String) {
        guard let file else { return }
        try? FileManager.default.removeItem(at: folder(namespace).appendingPathComponent(file))
    }

    // MARK: Scheduling

    /// CronJobs due at `now` get a Job; finished Jobs past their TTL go, as do the oldest of a
    /// CronJob's finished Jobs beyond its history limits. The scheduler calls it every second.
    func tick(now: Date = Date()) async {
        for (key, cron) in cronJobs {
            guard let due = cron.nextRun, due <= now else { continue }
            cronJobs[key]?.nextRun = Self.nextRun(of: cron.object, after: now)
            guard cron.object["spec"]?["suspend"] != true else { continue }
            await run(key, scheduledAt: due)
            save(key.namespace)
        }
        for (key, job) in jobs {
            if let expires = job.expires, expires <= now {
                await removeJob(key)
                logger.info("kbatch local job removed after its TTL", metadata: ["namespace": "\(key.namespace)", "job": "\(key.name)"])
            }
        }
    }

    /// One scheduled run of a CronJob: a Job from its template, named as the CronJob
    /// controller names them (the scheduled time in minutes), honouring `concurrencyPolicy`.
    private func run(_ cronKey: Key, scheduledAt: Date) async {
        guard let cron = cronJobs[cronKey] else { return }
        let uid = cron.object["metadata"]?["uid"] ?? ""
        let running = jobsMade(by: cronKey).filter { !KbatchAnswers.isFinished($0.value.object) }
        switch cron.object["spec"]?["concurrencyPolicy"]?.stringValue {
        case "Forbid" where !running.isEmpty:
            return
        case "Replace":
            for key in running.keys { await removeJob(key) }
        default:
            break
        }
        let name = "\(cronKey.name)-\(Int(scheduledAt.timeIntervalSince1970 / 60))"
        let key = Key(namespace: cronKey.namespace, name: name)
        guard jobs[key] == nil else { return }
        var object = cron.object["spec"]?["jobTemplate"] ?? [:]
        var metadata = object["metadata"]?.objectValue ?? [:]
        metadata["name"] = .string(name)
        metadata["namespace"] = .string(cronKey.namespace)
        metadata["uid"] = .string(UUID().uuidString.lowercased())
        let now = Self.timestamp(Date())
        metadata["creationTimestamp"] = now
        metadata["ownerReferences"] = [
            ["apiVersion": "batch/v1", "kind": "CronJob", "name": .string(cronKey.name), "uid": uid, "controller": true, "blockOwnerDeletion": true]
        ]
        object["apiVersion"] = "batch/v1"
        object["kind"] = "Job"
        object["metadata"] = .object(metadata)
        object["status"] = ["startTime": now, "active": 1]
        // The Job shares the CronJob's code file; it is removed with the CronJob.
        jobs[key] = Workload(object: object, secretValues: cron.secretValues, codeFile: nil)
        if let codeFile = cron.codeFile {
            let copy = "code/job-\(name).zip"
            let base = folder(cronKey.namespace)
            try? FileManager.default.copyItem(at: base.appendingPathComponent(codeFile), to: base.appendingPathComponent(copy))
            jobs[key]?.codeFile = copy
        }
        cronJobs[cronKey]?.object["status"]?["lastScheduleTime"] = Self.timestamp(scheduledAt)
        startPod(key)
        await trimHistory(of: cronKey)
    }

    /// `successfulJobsHistoryLimit` (3) and `failedJobsHistoryLimit` (1) finished Jobs are kept.
    private func trimHistory(of cronKey: Key) async {
        guard let cron = cronJobs[cronKey] else { return }
        let finished = jobsMade(by: cronKey).filter { KbatchAnswers.isFinished($0.value.object) }
        for (type, limitKey, fallback) in [("Complete", "successfulJobsHistoryLimit", 3.0), ("Failed", "failedJobsHistoryLimit", 1.0)] {
            let limit = Int(cron.object["spec"]?[limitKey]?.doubleValue ?? fallback)
            let ofType = finished.filter { $0.value.object["status"]?["conditions"]?[0]?["type"]?.stringValue == type }
            let newestFirst = KbatchAnswers.oldestFirst(Array(ofType), \.value.object).reversed()
            for (key, _) in newestFirst.dropFirst(limit) { await removeJob(key) }
        }
    }

    // MARK: State across restarts

    private func save(_ namespace: String) {
        var state = NamespaceState()
        for (key, job) in jobs where key.namespace == namespace { state.jobs[key.name] = job }
        for (key, cron) in cronJobs where key.namespace == namespace { state.cronJobs[key.name] = cron }
        for (key, pod) in pods where key.namespace == namespace { state.pods[key.name] = pod }
        let file = folder(namespace).appendingPathComponent("state.json")
        do {
            try FileManager.default.createDirectory(at: folder(namespace), withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            let temporary = file.deletingLastPathComponent().appendingPathComponent(".state-\(UUID().uuidString)")
            // Created 0600 before anything is written: it holds env values.
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
            try encoder.encode(state).write(to: temporary)
            guard rename(temporary.path, file.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            logger.error("kbatch local state not saved", metadata: ["namespace": "\(namespace)", "error": "\(error)"])
        }
    }

    /// Reads what a previous run left: runs it interrupted are failed (and their processes,
    /// if they outlived it, stopped), CronJobs are scheduled from now.
    func restore() {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for namespace in (try? FileManager.default.contentsOfDirectory(atPath: settings.directory.path)) ?? [] {
            guard let data = FileManager.default.contents(atPath: folder(namespace).appendingPathComponent("state.json").path),
                let state = try? decoder.decode(NamespaceState.self, from: data)
            else { continue }
            for (name, job) in state.jobs { jobs[Key(namespace: namespace, name: name)] = job }
            for (name, pod) in state.pods { pods[Key(namespace: namespace, name: name)] = pod }
            for (name, var cron) in state.cronJobs {
                cron.nextRun = Self.nextRun(of: cron.object, after: Date())
                cronJobs[Key(namespace: namespace, name: name)] = cron
            }
            for (name, pod) in state.pods where pod.object["status"]?["phase"] == "Running" {
                let key = Key(namespace: namespace, name: name)
                if let pid = pod.pid, Self.isAlive(pid, cwdIn: podFolder(key)) { kill(pid, SIGKILL) }
                appendToLog(key, "kbatch: the deploy API stopped while the pod ran\n")
                metrics?.recordLocalRunEnded(reason: "Interrupted")
                finish(key, phase: "Failed", exitCode: 137, reason: "Interrupted", message: "the deploy API stopped while the pod ran")
            }
            save(namespace)
        }
    }

    /// Whether `pid` is still one of our runs (its working directory is in the pod's folder),
    /// not an unrelated process that got the number since.
    private static func isAlive(_ pid: Int32, cwdIn folder: URL) -> Bool {
        guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
        return cwd.hasPrefix(folder.path)
    }

    /// Stops every run at shutdown; they are recorded as interrupted.
    func stopAll() async {
        shuttingDown = true
        for (_, process) in processes { await process.stop(grace: .seconds(5)) }
    }
}

/// Restores the local jobs at start-up, runs their clock (CronJobs, TTLs) every second, and
/// stops their runs on shutdown.
struct LocalJobScheduler: Service {
    let jobs: LocalJobs

    func run() async throws {
        await jobs.restore()
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await jobs.tick()
                try await Task.sleep(for: .seconds(1))
            }
        }
        await jobs.stopAll()
    }
}
