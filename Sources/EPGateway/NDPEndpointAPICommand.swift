import AccessPolicy
import ArgumentParser
import Essentials
import Foundation
import Identity
import Logging
import ServiceKit

/// ndp-ep-api: the NDP endpoint API users call.
@main
struct NDPEndpointAPICommand: AsyncParsableCommand {
    static let configuration = NDPEndpointAPI.binary.command()

    /// The settings' flags, read by the launcher from their declarations.
    @Argument(parsing: .allUnrecognized, help: .hidden) var settingFlags: [String] = []

    @Option(
        name: .customLong("import-datasets"),
        help: "Load a JSON Lines file of datasets (one POST /dataset body a line; - for standard input) into the configured catalog, then exit.")
    var importDatasets: String?

    func run() async throws {
        if let importDatasets { return try await Self.importDatasets(from: importDatasets, arguments: settingFlags) }
        try await ServiceLauncher.run(NDPEndpointAPI.binary, arguments: settingFlags)
    }

    /// `--import-datasets`: progress and refused lines on standard error, a JSON summary on
    /// standard output; exit 1 when a line was refused, 78 when the catalog cannot be opened.
    static func importDatasets(from path: String, arguments: [String]) async throws {
        let logger = Logger(label: "ndp-ep-api") { StreamLogHandler.standardError(label: $0) }
        let store: any CatalogStore
        let settings: EPSettings
        let lines: FileLines
        do {
            settings = try EPSettings.load(from: try ServiceLauncher.configurationSource(NDPEndpointAPI.binary, arguments: arguments))
            lines = try FileLines(path: path)
            guard let opened = try await Catalog.open(settings.catalog, logger: logger)?.catalog else {
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
