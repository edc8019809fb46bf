import Crypto
import Essentials
import Foundation
import Logging

/// Builds and caches one Python virtual environment per requirements digest (and Python
/// version) for the local runtime: `python -m venv`, then `pip install -r` of the server's
/// pinned requirements and the user's. Builds of one digest are shared; finished ones are
/// marked and reused, across restarts too.
actor EnvironmentBuilder {
    struct Environment: Sendable {
        let directory: URL
        var python: String { directory.appendingPathComponent("bin/python").path }
    }

    private let settings: LocalRuntimeSettings
    private let code: ServerCode
    private let logger: Logger
    private var builds: [String: Task<Environment, any Error>] = [:]
    private var interpreters: [String: String]?

    init(settings: LocalRuntimeSettings, code: ServerCode, logger: Logger) {
        self.settings = settings
        self.code = code
        self.logger = logger
    }

    /// The environment for `requirements`, built if needed.
    func environment(for requirements: RequirementSet) async throws -> Environment {
        let interpreter = try await interpreter(for: requirements.pythonVersion)
        let key = requirements.digest
        if let build = builds[key] { return try await build.value }
        let directory = settings.stateDirectory.appendingPathComponent("envs/\(key)")
        let build = Task { try await self.build(requirements, interpreter: interpreter, in: directory) }
        builds[key] = build
        do {
            return try await build.value
        } catch {
            builds[key] = nil
            throw error
        }
    }

    /// Which configured interpreter has `X.Y` (or exactly `X.Y.Z`).
    func interpreter(for version: String) async throws -> String {
        let available = try await availableInterpreters()
        let wanted = version.split(separator: ".")
        if let match = available.first(where: { found, _ in
            let parts = found.split(separator: ".")
            return parts.count >= wanted.count && Array(parts.prefix(wanted.count)) == wanted
        }) {
            return match.value
        }
        let listed = available.keys.sorted().joined(separator: ", ")
        throw RuntimeError(
            kind: .invalid, message: "Python \(version) is not available on this host (available: \(listed.isEmpty ? "none" : listed)).")
    }

    /// Versions of the configured interpreters, asked once.
    private func availableInterpreters() async throws -> [String: String] {
        if let interpreters { return interpreters }
        var found: [String: String] = [:]
        let probeDirectory = settings.stateDirectory.appendingPathComponent("probe")
        try FileManager.default.createDirectory(at: probeDirectory, withIntermediateDirectories: true)
        for candidate in settings.pythons {
            guard let path = Self.resolve(candidate) else { continue }
            let log = probeDirectory.appendingPathComponent("version-\(found.count).txt")
            let status = try? await ChildProcess.run(
                path, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], environment: ChildEnvironment.cleaned([:]),
                workingDirectory: probeDirectory, output: log, timeout: .seconds(20)
            )
            guard status == 0, let text = try? String(contentsOf: log, encoding: .utf8) else { continue }
            let version = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if found[version] == nil { found[version] = path }
        }
        interpreters = found
        logger.info("local runtime interpreters", metadata: ["versions": "\(found.keys.sorted())"])
        return found
    }

    private func build(_ requirements: RequirementSet, interpreter: String, in directory: URL) async throws -> Environment {
        let environment = Environment(directory: directory)
        let marker = directory.appendingPathComponent(".complete")
        if FileManager.default.fileExists(atPath: marker.path) { return environment }
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let userRequirements = directory.appendingPathComponent("requirements.txt")
        try requirements.pipRequirementsFile.write(to: userRequirements, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("install.log")
        let started = ContinuousClock.now
        logger.info("building a virtual environment", metadata: ["digest": "\(requirements.digest.prefix(12))", "python": "\(interpreter)"])

        let deadline = settings.installTimeout
        let childEnvironment = ChildEnvironment.cleaned(["PIP_DISABLE_PIP_VERSION_CHECK": "1"])
        var status = try await ChildProcess.run(
            interpreter, ["-m", "venv", directory.path], environment: childEnvironment, workingDirectory: directory, output: log, timeout: deadline
        )
        if status == 0 {
            status = try await ChildProcess.run(
                environment.python,
                ["-m", "pip", "install", "--quiet", "-r", code.requirementsFile.path, "-r", userRequirements.path] + settings.pipArguments,
                environment: childEnvironment, workingDirectory: directory, output: log, timeout: deadline
            )
        }
        guard status == 0 else {
            let tail = (try? String(contentsOf: log, encoding: .utf8)).map { String($0.suffix(800)) } ?? ""
            throw RuntimeError(kind: .invalid, message: "installing the requirements failed (exit \(status)): \(tail)")
        }
        _ = FileManager.default.createFile(atPath: marker.path, contents: Data())
        logger.info(
            "virtual environment ready",
            metadata: ["digest": "\(requirements.digest.prefix(12))", "seconds": "\((ContinuousClock.now - started).seconds)"])
        return environment
    }

    /// An interpreter name looked up on PATH, or a path as given.
    static func resolve(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
