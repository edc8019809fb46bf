import AccessPolicy
import ArgumentParser
import Essentials
import Foundation
import Identity
import Logging
import ServiceKit

/// ndp-ep-api: the NDP endpoint API users call: auth, status, login, user info, and rexec
/// delegation to the deploy API.
@main
struct EPGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ndp-ep-api",
        abstract: "The NDP endpoint API: authentication, status and rexec delegation."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var policy: PolicyOptions

    @Option(
        name: .customLong("import-datasets"),
        help: "Load a JSON Lines file of datasets (one POST /dataset body a line; - for standard input) into the configured catalog, then exit.")
    var importDatasets: String?

    func run() async throws {
        if let importDatasets { return try await Self.importDatasets(from: importDatasets, options: common, policy: policy) }
        // Upstream's nginx serves the API at {ROOT_PATH}/ and {ROOT_PATH}/api/.
        let spec = LaunchSpec(name: "ndp-ep-api", defaultPort: 8003, rootPathVariables: ["ROOT_PATH"]) { root in [root + "/api"] }
        try await ServiceLauncher.run(spec, context: IdentityRequestContext.self, options: common, extraOverrides: policy.overrides) { launch in
            let settings = try EPSettings.load(from: launch.source)
            let policy = try PolicyStore.open(from: launch.source, logger: launch.logger)
            return EPGateway.definition(
                settings: settings, http: launch.http, logger: launch.logger, metricsRegistry: launch.metricsRegistry,
                policy: policy, catalog: try await Catalog.open(settings.catalog, logger: launch.logger)
            )
        }
    }

    /// `--import-datasets`: progress and refused lines on standard error, a JSON summary on
    /// standard output; exit 1 when a line was refused, 78 when the catalog cannot be opened.
    static func importDatasets(from path: String, options: CommonOptions, policy: PolicyOptions) async throws {
        let logger = Logger(label: "ndp-ep-api") { StreamLogHandler.standardError(label: $0) }
        let store: any CatalogStore
        let settings: EPSettings
        let lines: FileLines
        do {
            settings = try EPSettings.load(from: try options.configurationSource(rootPathVariable: "ROOT_PATH", extraOverrides: policy.overrides))
            lines = try FileLines(path: path)
            guard let opened = try await Catalog.open(settings.catalog, logger: logger) else {
                throw CatalogStartupError(message: "the local catalog is off (LOCAL_CATALOG_BACKEND=none): nothing to import into")
            }
            store = opened
        } catch {
            try ServiceLauncher.exitForConfiguration(error, service: "ndp-ep-api")
        }
        let started = ContinuousClock.now
        func rate(_ count: Int) -> Int {
            let seconds = (ContinuousClock.now - started).seconds
            return seconds > 0 ? Int(Double(count) / seconds) : 0
        }
        let summary = await DatasetImport(store: store, endpointOrganization: settings.status.organization).run(lines: lines) { read, summary in
            logger.notice("importing", metadata: ["lines": "\(read)", "imported": "\(summary.imported)", "per_second": "\(rate(read))"])
        }
        if summary.imported > 0 {
            do {
                try await store.refreshStatistics()
            } catch {
                logger.warning("the import is stored, but refreshing the planner's statistics failed", metadata: ["error": "\(error)"])
            }
        }
        try await store.close()
        for refusal in summary.refused { FileHandle.standardError.write(Data("line \(refusal.line): \(refusal.reason)\n".utf8)) }
        let seconds = (ContinuousClock.now - started).seconds
        let result: JSONValue = [
            "imported": .number(Double(summary.imported)), "refused": .number(Double(summary.refused.count)),
            "seconds": .number((seconds * 10).rounded() / 10), "per_second": .number(Double(rate(summary.imported))),
        ]
        print(String(decoding: result.bytes(), as: UTF8.self))
        if !summary.refused.isEmpty { throw ExitCode(1) }
    }
}
