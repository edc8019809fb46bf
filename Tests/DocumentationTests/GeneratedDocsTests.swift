import Foundation
import ServiceKit
import TestSupport
import Testing

@testable import Broker
@testable import DeployAPI
@testable import DevIdPKit
@testable import EPGateway
@testable import KubeSim
@testable import PodsBackend

/// The pages written from declarations: a setting or a route missing from them fails here.
/// `make docs` (UPDATE_DOCS=1) writes them anew.
@Suite("Generated docs")
struct GeneratedDocsTests {
    /// Every binary, in the order docs/configuration.md lists them.
    static let binaries: [SettingsDocument.Binary] = [
        RexecBroker.binary.document, RexecDeployAPI.binary.document, NDPEndpointAPI.binary.document, UserPodsBackend.binary.document,
        KubeSimulator.binary.document, DevIdP.binary.document,
    ]

    @Test("docs/configuration.md is what the settings' declarations say")
    func configurationPage() throws {
        try GeneratedPage(path: "docs/configuration.md").expect(SettingsDocument.markdown(Self.binaries))
    }

    @Test("docs/routes.md is what the routes' declarations say")
    func routesPage() async throws {
        let endpoint = try await FullServices.endpoint { RoutesDocument.Binary(name: "ndp-ep-api", note: Self.endpointNote, service: $0) }
        let page = RoutesDocument.markdown([
            RoutesDocument.Binary(
                name: "rexec-broker", note: "The HTTP side port; the broker itself speaks ZeroMQ.", service: try FullServices.broker()),
            RoutesDocument.Binary(
                name: "rexec-deploy-api", note: "With kbatch on (KBATCH_ENABLED, the default), under KBATCH_PREFIX (/kbatch).",
                service: try FullServices.deployAPI()),
            endpoint,
            RoutesDocument.Binary(
                name: "user-pods-backend", note: "Callers: silo secret, HMAC or an IdP token (BACKEND_AUTHMODES).", service: try FullServices.pods()),
            RoutesDocument.Binary(
                name: "kube-sim", note: "The Kubernetes API's own rules apply (KUBESIM_AUTH_FILE).", service: FullServices.kubeSim()),
            RoutesDocument.Binary(name: "dev-idp", note: "A test peer: never deploy it.", service: try FullServices.devIdP()),
        ])
        try GeneratedPage(path: "docs/routes.md").expect(page)
    }

    @Test("docs/mcp-tools.md is what the routes' declarations make of the MCP tools")
    func mcpToolsPage() async throws {
        let catalog = try await FullServices.endpoint { MCPToolCatalog(routes: $0.allRoutes) }
        let platform = MCPPlatformTool.available(
            staging: true, kbatch: URL(string: "http://rexec-deployment-api:8000/kbatch"), pods: URL(string: "http://user-pods-backend:8080"))
        try GeneratedPage(path: "docs/mcp-tools.md").expect(MCPToolsDocument.markdown(catalog: catalog, platform: platform))
    }

    static let endpointNote =
        "With every optional feature on: the local catalog (LOCAL_CATALOG_BACKEND), rexec delegation (REXEC_CONNECTION), JupyterLab (USE_JUPYTERLAB), "
        + "S3 (S3_ENABLED) and staging (STAGING_ENABLED); access requests answer 503 unless ENABLE_ACCESS_REQUESTS."

    @Test("every route of the policy-governed services is bound to the policy; no route is declared twice")
    func routesAreWellDeclared() async throws {
        expectWellDeclaredRoutes(try FullServices.deployAPI(), governedByPolicy: true)
        expectWellDeclaredRoutes(try FullServices.pods(), governedByPolicy: true)
        try await FullServices.endpoint { expectWellDeclaredRoutes($0, governedByPolicy: true) }
        expectWellDeclaredRoutes(try FullServices.broker(), governedByPolicy: false)
        expectWellDeclaredRoutes(FullServices.kubeSim(), governedByPolicy: false)
        expectWellDeclaredRoutes(try FullServices.devIdP(), governedByPolicy: false)
    }

    @Test("no variable is declared twice with different meanings within a binary")
    func variablesAreDeclaredOnce() {
        for binary in Self.binaries {
            var seen: [String: String] = [:]
            for setting in binary.groups.flatMap(\.settings) {
                for variable in setting.variables {
                    if let earlier = seen[variable], earlier != setting.help {
                        Issue.record("\(binary.name): \(variable) is declared twice")
                    }
                    seen[variable] = setting.help
                }
            }
        }
    }
}

/// A committed page written from declarations.
struct GeneratedPage {
    let path: String

    /// The checkout's root, from this file's place in it.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func expect(_ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = Self.root.appendingPathComponent(path)
        if ProcessInfo.processInfo.environment["UPDATE_DOCS"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try expected.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let committed = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        guard committed != expected else { return }
        let have = committed.split(separator: "\n", omittingEmptySubsequences: false)
        let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let first = zip(have, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(have.count, want.count)
        let line = first < want.count ? String(want[first]) : "(end of page)"
        Issue.record(
            "\(path) differs from the declarations from line \(first + 1) on; expected: \(line). Run `make docs` to write it.",
            sourceLocation: sourceLocation)
    }
}
