import Foundation
import ServiceKit
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
