/// docs/routes.md, written from the routes' declarations: one table a binary, a row a route
/// (method, path, who may call it, what it does). A test renders it and fails when the
/// committed page differs, so a route missing from the docs, or an access changed without
/// the docs saying so, fails `make test`.
public enum RoutesDocument {
    public struct Binary: Sendable {
        public let name: String
        /// How the table was made (which optional features were on).
        public let note: String
        public let rows: [Row]

        public init<Context>(name: String, note: String, service: ServiceDefinition<Context>) {
            self.name = name
            self.note = note
            self.rows = service.allRoutes.map {
                Row(method: $0.method.rawValue, path: $0.path, access: $0.access.description, summary: $0.operation.summary)
            }
            .sorted { ($0.path, $0.method) < ($1.path, $1.method) }
        }
    }

    public struct Row: Sendable, Equatable {
        public let method: String
        public let path: String
        public let access: String
        public let summary: String
    }

    public static func markdown(_ binaries: [Binary]) -> String {
        var lines = [
            "# Routes",
            "",
            "<!-- Generated from the routes' declarations (Route in Sources/Shared/ServiceKit/Routing);",
            "     `make docs` writes it, and `make test` fails when it differs. Do not edit by hand. -->",
            "",
            "Every route of every binary, with who may call it: `entity operation (mode)` is the access-policy binding",
            "(docs/policy.md); `in handler` means the handler asks the policy once it knows the object, `own` that the object",
            "is the caller's own. Each route also answers under the binary's root path. The OpenAPI document of a running",
            "binary (`/openapi.json`, `/docs`) has each route's parameters, bodies and answers.",
            "",
        ]
        for binary in binaries {
            lines.append("- [`\(binary.name)`](#\(binary.name))")
        }
        for binary in binaries {
            lines += ["", "## \(binary.name)", "", binary.note, "", "| Method | Path | Access | What it does |", "|---|---|---|---|"]
            for row in binary.rows {
                lines.append("| \(row.method) | `\(row.path)` | \(cell(row.access)) | \(cell(row.summary)) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
