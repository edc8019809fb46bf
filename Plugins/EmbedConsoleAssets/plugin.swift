import Foundation
import PackagePlugin

/// Compiles the web console's files (`<target>/Console/Assets`) into the binary: the
/// `EmbedAssets` tool writes them into one generated Swift file, so the console needs no
/// files beside the executable and no Node toolchain (docs/console.md).
@main
struct EmbedConsoleAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let folder = target.directoryURL.appending(path: "Console/Assets")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true && !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "ConsoleAssets+Embedded.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) console assets", executable: try context.tool(named: "EmbedAssets").url,
                arguments: [output.path()] + files.map { $0.path() }, inputFiles: files, outputFiles: [output])
        ]
    }
}
