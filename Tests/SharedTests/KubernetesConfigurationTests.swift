import Foundation
import TestSupport
import Testing

@testable import Kubernetes

/// kubeconfig and in-cluster loading: every credential and CA variant.
@Suite("Kubernetes configuration")
struct KubernetesConfigurationTests {
    /// A scratch folder with a self-signed certificate and key made by openssl.
    struct Scratch {
        let directory: URL
        let certificate: Data
        let key: Data

        init() async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubeconfig-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let openssl = try await runTool([
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=rexec-test",
                "-keyout", directory.appendingPathComponent("client.key").path, "-out", directory.appendingPathComponent("client.crt").path,
            ])
            guard openssl.status == 0 else { throw KubernetesConfigurationError("openssl failed") }
            certificate = try Data(contentsOf: directory.appendingPathComponent("client.crt"))
            key = try Data(contentsOf: directory.appendingPathComponent("client.key"))
        }

        func write(_ name: String, _ text: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }

        func cleanUp() { try? FileManager.default.removeItem(at: directory) }
    }

    static func kubeconfig(cluster: String, user: String, namespace: String? = nil) -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: main
        clusters:
        - name: c
          cluster:
        \(cluster)
        users:
        - name: u
          user:
        \(user)
        contexts:
        - name: main
          context: {cluster: c, user: u\(namespace.map { ", namespace: \($0)" } ?? "")}
        - name: other
          context: {cluster: c, user: u, namespace: elsewhere}
        """
    }

    @Test("bearer token, server and namespace from the current context")
    func token() async throws {
        let scratch = try await Scratch()
        defer { scratch.cleanUp() }
        let path = try scratch.write(
            "config", Self.kubeconfig(cluster: "    server: http://127.0.0.1:6443", user: "    token: abc", namespace: "team"))
        let config = try KubernetesConfiguration.kubeconfig(path: path)
        #expect(config.server.absoluteString == "http://127.0.0.1:6443")
        #expect(config.namespace == "team")
        guard case .bearerToken("abc") = config.credentials else {
            Issue.record("expected a token")
            return
        }
        #expect(try KubernetesConfiguration.kubeconfig(path: path, context: "other").namespace == "elsewhere")
    }

    @Test("client certificate and CA, as files (relative paths) and as base64 data")
    func certificates() async throws {
        let scratch = try await Scratch()
        defer { scratch.cleanUp() }
        let fromFiles = try scratch.write(
            "files",
            Self.kubeconfig(
                cluster: "    server: https://k8s.example.org:6443\n    certificate-authority: client.crt",
                user: "    client-certificate: client.crt\n    client-key: client.key"
            ))
        let config = try KubernetesConfiguration.kubeconfig(path: fromFiles)
        #expect(config.certificateAuthorityPEM == Array(scratch.certificate))
        guard case .clientCertificate(let certificate, let key) = config.credentials else {
            Issue.record("expected a client certificate")
            return
        }
        #expect(certificate == Array(scratch.certificate) && key == Array(scratch.key))

        let fromData = try scratch.write(
            "data",
            Self.kubeconfig(
                cluster: "    server: https://k8s.example.org:6443\n    certificate-authority-data: \(scratch.certificate.base64EncodedString())",
                user:
                    "    client-certificate-data: \(scratch.certificate.base64EncodedString())\n    client-key-data: \(scratch.key.base64EncodedString())"
            ))
        let dataConfig = try KubernetesConfiguration.kubeconfig(path: fromData)
        #expect(dataConfig.certificateAuthorityPEM == config.certificateAuthorityPEM)
        // The TLS material parses (a client made from it would present the certificate).
        _ = KubernetesClient(configuration: dataConfig)
    }

    @Test("insecure-skip-tls-verify and tokenFile")
    func insecureAndTokenFile() async throws {
        let scratch = try await Scratch()
        defer { scratch.cleanUp() }
        let path = try scratch.write(
            "config",
            Self.kubeconfig(
                cluster: "    server: https://10.0.0.1\n    insecure-skip-tls-verify: true", user: "    tokenFile: token"
            ))
        let config = try KubernetesConfiguration.kubeconfig(path: path)
        #expect(config.insecureSkipTLSVerify)
        #expect(config.namespace == "default")
        guard case .bearerTokenFile(let file) = config.credentials else {
            Issue.record("expected a token file")
            return
        }
        #expect(file == scratch.directory.appendingPathComponent("token").path)
    }

    @Test("mistakes are named: missing context, missing key, bad base64, unreadable file")
    func errors() async throws {
        let scratch = try await Scratch()
        defer { scratch.cleanUp() }
        let noKey = try scratch.write("nokey", Self.kubeconfig(cluster: "    server: https://x", user: "    client-certificate: client.crt"))
        #expect { try KubernetesConfiguration.kubeconfig(path: noKey) } throws: { "\($0)".contains("no client key") }
        #expect { try KubernetesConfiguration.kubeconfig(path: noKey, context: "absent") } throws: {
            "\($0)".contains("no contexts entry named 'absent'")
        }
        let badData = try scratch.write(
            "bad", Self.kubeconfig(cluster: "    server: https://x\n    certificate-authority-data: '***'", user: "    token: t"))
        #expect { try KubernetesConfiguration.kubeconfig(path: badData) } throws: { "\($0)".contains("certificate-authority-data is not base64") }
        #expect { try KubernetesConfiguration.kubeconfig(path: scratch.directory.path + "/missing") } throws: {
            "\($0)".contains("cannot read kubeconfig")
        }
    }

    @Test("in-cluster: service host and port, token file, CA and namespace")
    func inCluster() async throws {
        let scratch = try await Scratch()
        defer { scratch.cleanUp() }
        _ = try scratch.write("token", "sa-token\n")
        _ = try scratch.write("namespace", "rexec\n")
        _ = try scratch.write("ca.crt", String(decoding: scratch.certificate, as: UTF8.self))
        let config = try KubernetesConfiguration.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"], directory: scratch.directory.path
        )
        #expect(config.server.absoluteString == "https://10.96.0.1:443")
        #expect(config.namespace == "rexec")
        #expect(config.certificateAuthorityPEM == Array(scratch.certificate))
        #expect { try KubernetesConfiguration.inCluster(environment: [:], directory: scratch.directory.path) } throws: {
            "\($0)".contains("not running in a cluster")
        }
    }
}

@Suite("Service-account token rotation")
struct TokenRotationTests {
    @Test("a rotated token file is picked up after the refresh interval, not before")
    func rotation() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "first\n".write(toFile: path, atomically: true, encoding: .utf8)
        let cached = TokenFileReader(path: path, refreshInterval: .seconds(60))
        let fresh = TokenFileReader(path: path, refreshInterval: .zero)
        #expect(try cached.token() == "first" && fresh.token() == "first")
        try "second\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try cached.token() == "first")
        #expect(try fresh.token() == "second")
        try FileManager.default.removeItem(atPath: path)
        #expect { try TokenFileReader(path: path).token() } throws: { "\($0)".contains("cannot read the service-account token") }
    }
}
