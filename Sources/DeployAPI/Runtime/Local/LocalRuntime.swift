import BrokerWire
import Essentials
import Foundation
import Logging
import ServiceKit
import ServiceLifecycle

/// Per-user servers as child processes on this machine, for a laptop or the local stack:
/// each in its own working directory, with a virtual environment built from its
/// requirements (cached by digest), connected to the local broker, restarted when it
/// crashes. A state file per user lets a restarted deploy API bring the servers back.
actor LocalRuntime: ServerRuntime {
    private struct Entry {
        var spec: ServerSpec
        var created: Date
        var phase: ServerRecord.Phase = .starting
        var message: String? = "installing requirements"
        var process: ChildProcess?
        /// Bumped by replace and terminate, so exits and builds of an older incarnation are ignored.
        var generation = 0
        var crashes = 0
        var lastStart = Date.distantPast
        /// Issued at the first launch of each incarnation (create, replace, restore) and kept
        /// across crash restarts.
        var credential: ServerCredential?
    }

    /// What is written to `<state>/users/<key>/server.json`.
    private struct StateFile: Codable {
        var sub: String
        var requirements: [String]
        var created: Date
        var pid: Int32?
    }

    private let settings: LocalRuntimeSettings
    private let broker: DeploySettings.BrokerSettings
    private let heartbeatInterval: Int
    private let code: ServerCode
    private let builder: EnvironmentBuilder
    private let issuer: CredentialIssuer
    private let logger: Logger
    private var entries: [UserKey: Entry] = [:]

    init(settings: LocalRuntimeSettings, broker: DeploySettings.BrokerSettings, heartbeatInterval: Int, code: ServerCode, logger: Logger) throws {
        self.settings = settings
        self.broker = broker
        self.heartbeatInterval = heartbeatInterval
        self.code = code
        self.logger = logger
        self.builder = EnvironmentBuilder(settings: settings, code: code, logger: logger)
        self.issuer = CredentialIssuer(settings: broker)
        try FileManager.default.createDirectory(at: settings.stateDirectory.appendingPathComponent("users"), withIntermediateDirectories: true)
        // The broker refuses a keys directory others can write: whoever writes it decides
        // whose calls a key receives.
        try FileManager.default.createDirectory(
            at: settings.serverKeysDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    }

    nonisolated var userKeyLength: Int { 63 }

    nonisolated var readinessChecks: [ReadinessCheck] { [] }

    nonisolated var services: [any Service] { [LocalRuntimeSupervisor(runtime: self)] }

    // MARK: ServerRuntime

    func server(for user: UserKey) -> ServerRecord? {
        entries[user].map { record(user, $0) }
    }

    func servers() -> [ServerRecord] {
        entries.map { record($0.key, $0.value) }
    }

    func create(_ spec: ServerSpec) throws -> CreateResult {
        if let existing = entries[spec.user] { return .alreadyExists(record(spec.user, existing)) }
        entries[spec.user] = Entry(spec: spec, created: Date())
        try saveState(spec.user)
        start(spec.user)
        return .created
    }

    func replace(_ spec: ServerSpec) async throws {
        guard var entry = entries[spec.user] else {
            _ = try create(spec)
            return
        }
        let old = entry.process
        entry.spec = spec
        entry.generation += 1
        entry.phase = .starting
        entry.message = "installing requirements"
        entry.process = nil
        entry.crashes = 0
        // A respawn rotates the key: the old one stops working before the old process stops.
        entry.credential = nil
        entries[spec.user] = entry
        withdrawKey(spec.user)
        await Self.stop(old)
        try saveState(spec.user)
        start(spec.user)
    }

    func terminate(_ user: UserKey) async -> Bool {
        guard let entry = entries.removeValue(forKey: user) else { return false }
        withdrawKey(user)
        await Self.stop(entry.process)
        try? FileManager.default.removeItem(at: directory(for: user))
        return true
    }

    nonisolated func brokerEndpoint() -> BrokerEndpoint {
        BrokerEndpoint(host: broker.externalHost ?? broker.host, port: broker.externalPort)
    }

    /// Checks the Python pin against this host before the API accepts a spawn.
    func validate(_ requirements: RequirementSet) async throws {
        _ = try await builder.interpreter(for: requirements.pythonVersion)
    }

    // MARK: Processes

    private func record(_ user: UserKey, _ entry: Entry) -> ServerRecord {
        ServerRecord(
            user: user, digest: entry.spec.requirements.digest, requirements: entry.spec.requirements.lines,
            created: entry.created, phase: entry.phase, message: entry.message
        )
    }

    private func start(_ user: UserKey) {
        guard let generation = entries[user]?.generation else { return }
        Task { await self.launch(user, generation: generation) }
    }

    private func launch(_ user: UserKey, generation: Int) async {
        guard let spec = entries[user]?.spec else { return }
        let environment: EnvironmentBuilder.Environment
        do {
            environment = try await builder.environment(for: spec.requirements)
        } catch {
            guard entries[user]?.generation == generation else { return }
            entries[user]?.phase = .failed
            entries[user]?.message = "\(error)"
            logger.warning("a local rexec server could not be prepared", metadata: ["user": "\(user)", "error": "\(error)"])
            return
        }
        guard entries[user]?.generation == generation, entries[user]?.process == nil else { return }
        let workingDirectory = directory(for: user)
        let credential: ServerCredential
        do {
            credential = try await self.credential(for: user, generation: generation)
        } catch {
            guard entries[user]?.generation == generation else { return }
            entries[user]?.phase = .failed
            entries[user]?.message = "no credential for the server: \(error)"
            return
        }
        guard entries[user]?.generation == generation, entries[user]?.process == nil else { return }
        do {
            try FileManager.default.createDirectory(at: workingDirectory, withIntermediateDirectories: true)
            let credentials = try writeCredential(credential, for: user)
            let process = try ChildProcess(
                environment.python,
                ["-m", "rexec_server", broker.host, "--broker_port", String(broker.serverPort), "--heartbeat_interval", String(heartbeatInterval)],
                environment: ChildEnvironment.cleaned([
                    "REXEC_USER_ID": spec.user.sub, "PYTHONPATH": code.folder.path, "PYTHONUNBUFFERED": "1", "HOME": workingDirectory.path,
                    ServerCredential.directoryVariable: credentials.path,
                ]),
                workingDirectory: workingDirectory, output: workingDirectory.appendingPathComponent("server.log"), defaultSignals: true
            ) { status in
                Task { await self.exited(user, generation: generation, status: status) }
            }
            entries[user]?.process = process
            entries[user]?.phase = .running
            entries[user]?.message = nil
            entries[user]?.lastStart = Date()
            try? saveState(user)
            logger.info("local rexec server started", metadata: ["user": "\(user)", "pid": "\(process.processIdentifier)"])
        } catch {
            entries[user]?.phase = .failed
            entries[user]?.message = "\(error)"
        }
    }

    /// A server process ended by itself: start it again, with a growing pause, unless it
    /// keeps crashing.
    private func exited(_ user: UserKey, generation: Int, status: Int32) async {
        guard var entry = entries[user], entry.generation == generation, entry.process != nil else { return }
        entry.process = nil
        entry.crashes = Date().timeIntervalSince(entry.lastStart) > 60 ? 1 : entry.crashes + 1
        logger.warning("local rexec server exited", metadata: ["user": "\(user)", "status": "\(status)", "crashes": "\(entry.crashes)"])
        guard entry.crashes <= settings.restartLimit else {
            entry.phase = .failed
            entry.message = "the server exited with status \(status) \(entry.crashes) times in a row; see \(directory(for: user).path)/server.log"
            entries[user] = entry
            return
        }
        entry.phase = .starting
        entry.message = "restarting after exit status \(status)"
        entries[user] = entry
        try? await Sleep.for(.milliseconds(200 * (1 << min(entry.crashes, 7))))
        guard entries[user]?.generation == generation else { return }
        await launch(user, generation: generation)
    }

    /// SIGTERM, then SIGKILL if it has not gone within 5 s.
    private static func stop(_ process: ChildProcess?) async {
        await process?.stop(grace: .seconds(5))
    }

    // MARK: Credentials

    /// The incarnation's credential, issued on its first launch.
    private func credential(for user: UserKey, generation: Int) async throws -> ServerCredential {
        if let credential = entries[user]?.credential { return credential }
        let credential = try await issuer.issue()
        if entries[user]?.generation == generation, entries[user]?.credential == nil { entries[user]?.credential = credential }
        return entries[user]?.credential ?? credential
    }

    /// Writes the server's certificates (0600, in a 0700 folder of its working directory)
    /// and registers its public key for the broker; returns the folder.
    ///
    /// Every local server runs as this process's OS user, so the modes keep other OS users
    /// out, not other rexec users' code: the local runtime is for one trusted machine.
    private func writeCredential(_ credential: ServerCredential, for user: UserKey) throws -> URL {
        let folder = directory(for: user).appendingPathComponent("credentials")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (name, text) in credential.files(for: user) {
            guard
                FileManager.default.createFile(
                    atPath: folder.appendingPathComponent(name).path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
            else { throw RuntimeError(kind: .internal, message: "cannot write the server's credential in \(folder.path)") }
        }
        let registration = try JSONEncoder().encode(credential.registration(for: user))
        let final = registrationFile(for: user)
        let temporary = settings.serverKeysDirectory.appendingPathComponent(".\(final.lastPathComponent).tmp")
        try registration.write(to: temporary)
        // rename(2): the broker sees the old registration or the new one, never half of one.
        guard rename(temporary.path, final.path) == 0 else {
            throw RuntimeError(kind: .internal, message: "cannot register the server's key in \(settings.serverKeysDirectory.path)")
        }
        return folder
    }

    /// The broker stops admitting the user's key (at its next look, within a second).
    private func withdrawKey(_ user: UserKey) {
        try? FileManager.default.removeItem(at: registrationFile(for: user))
    }

    private func registrationFile(for user: UserKey) -> URL {
        settings.serverKeysDirectory.appendingPathComponent(ServerKeyRegistration.fileName(userKey: user.value))
    }

    // MARK: State across restarts

    private func directory(for user: UserKey) -> URL {
        settings.stateDirectory.appendingPathComponent("users/\(user.value)")
    }

    private func saveState(_ user: UserKey) throws {
        guard let entry = entries[user] else { return }
        let state = StateFile(
            sub: user.sub, requirements: entry.spec.requirements.lines, created: entry.created, pid: entry.process?.processIdentifier)
        let folder = directory(for: user)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(state).write(to: folder.appendingPathComponent("server.json"), options: .atomic)
    }

    /// Brings back the servers a previous run of the deploy API left state for, first
    /// stopping any of their processes that outlived it.
    func restore() {
        let users = settings.stateDirectory.appendingPathComponent("users")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for name in (try? FileManager.default.contentsOfDirectory(atPath: users.path)) ?? [] {
            guard let data = FileManager.default.contents(atPath: users.appendingPathComponent("\(name)/server.json").path),
                let state = try? decoder.decode(StateFile.self, from: data),
                let requirements = try? RequirementSet(lines: state.requirements)
            else { continue }
            if let pid = state.pid, Self.isRexecServer(pid: pid) { kill(pid, SIGKILL) }
            let user = UserKey(sub: state.sub, maxLength: userKeyLength)
            guard entries[user] == nil else { continue }
            entries[user] = Entry(spec: ServerSpec(user: user, requirements: requirements), created: state.created)
            start(user)
            logger.info("restoring a local rexec server", metadata: ["user": "\(user)"])
        }
    }

    /// Stops every server, keeping their state for the next start.
    func stopAll() async {
        for (user, entry) in entries {
            entries[user]?.generation += 1
            await Self.stop(entry.process)
        }
    }

    private static func isRexecServer(pid: Int32) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data, as: UTF8.self).contains("rexec_server")
    }
}

/// Restores servers at start-up and stops them all on shutdown, so the local stack
/// leaves no orphans behind.
struct LocalRuntimeSupervisor: Service {
    let runtime: LocalRuntime

    func run() async throws {
        await runtime.restore()
        try? await gracefulShutdown()
        await runtime.stopAll()
    }
}
