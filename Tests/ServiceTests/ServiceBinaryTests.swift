import AsyncHTTPClient
import Foundation
import TestSupport
import Testing

/// Each executable, as a real process: it starts, serves the shared routes, refuses bad
/// configuration with one clear line, and exits 0 on SIGTERM.
@Suite("Service binaries", .serialized)
struct ServiceBinaryTests {
    static let services = ["rexec-broker", "rexec-deploy-api", "ndp-ep-api", "user-pods-backend", "dev-idp", "kube-sim"]
    static let usersFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("config/dev-idp-users.yaml").path

    /// A cluster nobody answers at: the pods backend starts (its readiness says the API is down).
    static let unreachableKubeconfig: String = (try? writeKubeconfig(server: "http://127.0.0.1:9")) ?? "/nonexistent"

    static func environment(for service: String) -> [String: String] {
        switch service {
        case "dev-idp": ["DEV_IDP_USERS": usersFile]
        case "user-pods-backend":
            ["AUTH_API_URL": "http://127.0.0.1:9/information", "BACKEND_SILOSECRET": "service-test-secret-0123", "KUBECONFIG": unreachableKubeconfig]
        default: ["AUTH_API_URL": "http://127.0.0.1:9/information"]
        }
    }

    @Test("starts, serves /healthz, /metrics, /openapi.json, and stops cleanly on SIGTERM", arguments: services)
    func lifecycle(service: String) async throws {
        let process = try await ServiceProcess.start(service, environment: Self.environment(for: service))
        let health = try await process.request(.GET, "/healthz")
        #expect(health.status == 200)
        #expect(health.json?["status"] as? String == "ok")
        #expect(health.header("X-Correlation-ID") != nil)
        let metrics = try await process.request(.GET, "/metrics")
        #expect(metrics.status == 200 && metrics.text.contains("# TYPE"))
        let document = try await process.request(.GET, "/openapi.json")
        #expect(document.json?["openapi"] as? String == "3.1.0")
        let status = try await process.terminate()
        #expect(status == 0, "\(service) log:\n\(process.log)")
        #expect(process.log.contains("stopped"))
    }

    @Test("a connection that never sends a request does not hold up shutdown", arguments: services)
    func idleConnectionAtShutdown(service: String) async throws {
        let process = try await ServiceProcess.start(service, environment: Self.environment(for: service))
        // What a client's connection pool leaves behind: connected, silent.
        let idle = try IdleConnection(port: process.port)
        defer { idle.close() }
        // Connections are accepted in order: once a later one is answered, the idle one has
        // been accepted too.
        #expect(try await process.request(.GET, "/healthz").status == 200)
        let status = try await process.terminate()
        #expect(status == 0, "\(service) log:\n\(process.log)")
    }

    @Test("invalid configuration stops start-up with exit 78 and one line naming the variable", arguments: services)
    func configurationError(service: String) async throws {
        var environment = Self.environment(for: service)
        environment["LOG_FORMAT"] = "yaml"
        let result = try await ServiceProcess.run(service, arguments: ["--port", "0"], environment: environment)
        #expect(result.status == 78)
        let lines = result.output.split(separator: "\n")
        #expect(lines == ["\(service): configuration error: invalid value 'yaml' for LOG_FORMAT: expected one of text, json"])
    }

    @Test("--help documents the shared flags, and the identity provider's where the service has one", arguments: services)
    func help(service: String) async throws {
        let result = try await ServiceProcess.run(service, arguments: ["--help"])
        #expect(result.status == 0)
        let usesIdP = !["dev-idp", "kube-sim"].contains(service)
        for flag in ["--host", "--port", "--root-path", "--env-file", "LOG_LEVEL"] + (usesIdP ? ["--auth-api-url", "AUTH_CACHE_TTL_SECONDS"] : []) {
            #expect(result.output.contains(flag), "\(service) --help lacks \(flag)")
        }
        #expect(usesIdP || !result.output.contains("AUTH_API_URL"), "\(service) --help lists an identity provider it does not use")
    }

    @Test("an unknown flag is refused with the usage and exit 64", arguments: services)
    func unknownFlag(service: String) async throws {
        let result = try await ServiceProcess.run(service, arguments: ["--no-such-flag", "1"], environment: Self.environment(for: service))
        #expect(result.status == 64)
        #expect(result.output.contains("Unknown option '--no-such-flag'"))
    }

    @Test("a derived default follows what it derives from: AUTH_CACHE_TTL_SECONDS=1 alone starts the service", arguments: services)
    func derivedDefaultStarts(service: String) async throws {
        let process = try await ServiceProcess.start(
            service, environment: Self.environment(for: service).merging(["AUTH_CACHE_TTL_SECONDS": "1"]) { $1 })
        #expect(try await process.request(.GET, "/healthz").status == 200)
        #expect(try await process.terminate() == 0, "\(service) log:\n\(process.log)")
    }

    @Test("a flag overrides the environment and is validated the same way")
    func flagOverridesEnvironment() async throws {
        let result = try await ServiceProcess.run(
            "rexec-deploy-api", arguments: ["--port", "0", "--auth-api-url", "not a url"],
            environment: ["AUTH_API_URL": "http://127.0.0.1:9/information"]
        )
        #expect(result.status == 78)
        #expect(result.output.contains("invalid value 'not a url' for AUTH_API_URL"))
    }

    @Test("the deploy API answers under APP_ROOT_PATH and without it, and broker --http-port works")
    func rootPathAndBrokerPort() async throws {
        let deploy = try await ServiceProcess.start(
            "rexec-deploy-api", environment: ["AUTH_API_URL": "http://127.0.0.1:9/information", "APP_ROOT_PATH": "/rexec"]
        )
        for path in ["/", "/rexec", "/rexec/"] {
            let reply = try await deploy.request(.GET, path)
            #expect(reply.status == 200 && reply.text == #""API is running successfully.""#, "GET \(path)")
        }
        #expect(try await deploy.request(.GET, "/rexec/healthz").status == 200)
        #expect(try await deploy.terminate() == 0)

        let broker = try await ServiceProcess.start(
            "rexec-broker", arguments: ["--http-port", "0"], environment: Self.environment(for: "rexec-broker"))
        #expect(try await broker.request(.GET, "/healthz").status == 200)
        #expect(try await broker.terminate() == 0)
    }
}

/// A TCP connection that sends nothing.
struct IdleConnection {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw ServiceProcessError(message: "connect to port \(port) failed: errno \(errno)") }
    }

    func close() { _ = Glibc.close(descriptor) }
}
