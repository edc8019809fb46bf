import Essentials
import Foundation
import TestSupport

/// Checks objects against the Kubernetes OpenAPI schemas with PyPI's kubernetes-validate
/// (strict: unknown fields are errors), installed into `.venv` by scripts/install-deps.sh.
public enum KubernetesSchemas {
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    public static let validator = packageRoot.appendingPathComponent(".venv/bin/kubernetes-validate")
    public static let version = "1.32.0"

    public struct Report: Sendable {
        public let passed: Bool
        public let output: String
    }

    /// Validates every object; the report names the failures.
    public static func validate(_ objects: [JSONValue]) async throws -> Report {
        guard FileManager.default.isExecutableFile(atPath: validator.path) else {
            return Report(passed: false, output: "\(validator.path) is missing: run scripts/install-deps.sh")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("schemas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [String] = []
        for (index, object) in objects.enumerated() {
            let url = directory.appendingPathComponent("\(index).json")
            try object.encoded().write(to: url)
            files.append(url.path)
        }
        let result = try await runTool([validator.path, "--strict", "-k", version] + files, mergingErrors: true)
        return Report(passed: result.status == 0, output: String(decoding: result.output, as: UTF8.self))
    }

    /// An object as read back from a cluster, without what the server adds (status, uid,
    /// resourceVersion…), which is not part of what a client may send.
    public static func strippedForValidation(_ object: JSONValue) -> JSONValue {
        guard var fields = object.objectValue else { return object }
        fields["status"] = nil
        if var metadata = fields["metadata"]?.objectValue {
            for key in [
                "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds",
            ] {
                metadata[key] = nil
            }
            fields["metadata"] = .object(metadata)
        }
        return .object(fields)
    }
}
