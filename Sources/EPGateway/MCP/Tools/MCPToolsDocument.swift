import Essentials

/// docs/mcp-tools.md, written from the tools as `tools/list` shows them (the routes'
/// declarations and the platform tools), checked by the docs tests like the other tables.
enum MCPToolsDocument {
    static func markdown(catalog: MCPToolCatalog, platform: [MCPPlatformTool]) -> String {
        var lines = [
            "# MCP tools",
            "",
            "Written from the declarations by `make docs` (checked by `make test`); how to connect and what the tools do is in "
                + "[mcp.md](mcp.md). The endpoint lists a tool only when its route is mounted (the catalog, S3, staging, rexec, "
                + "Pelican as configured); this is the list with every optional feature on.",
            "",
            "## Tools made from the routes",
            "",
            "| Tool | Route | Access policy | Hints | Arguments (required in bold) |",
            "|---|---|---|---|---|",
        ]
        for tool in catalog.tools {
            let call = tool.call
            lines.append(
                "| `\(tool.name)` | \(call.method.rawValue) `\(call.pathTemplate)` | \(tool.access) | \(hints(tool.annotations)) | \(arguments(tool.inputSchema)) |"
            )
        }
        lines += [
            "",
            "## Platform tools",
            "",
            "Each listed only when what it needs is configured (staging; `KBATCH_INTERNAL_URL` for batch jobs).",
            "",
            "| Tool | What it does | Hints | Arguments (required in bold) |",
            "|---|---|---|---|",
        ]
        for tool in platform {
            let summary = tool.description.components(separatedBy: "\n").first ?? ""
            lines.append("| `\(tool.name)` | \(summary) | \(hints(tool.annotations)) | \(arguments(tool.inputSchema)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func hints(_ annotations: JSONValue) -> String {
        var words: [String] = []
        if annotations["readOnlyHint"] == true { words.append("read-only") }
        if annotations["destructiveHint"] == true { words.append("destructive") }
        if annotations["idempotentHint"] == true { words.append("idempotent") }
        return words.joined(separator: ", ")
    }

    static func arguments(_ schema: JSONValue) -> String {
        let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let names = (schema["properties"]?.objectValue?.keys.map { $0 } ?? []).sorted {
            (required.contains($0) ? 0 : 1, $0) < (required.contains($1) ? 0 : 1, $1)
        }
        return names.isEmpty ? "—" : names.map { required.contains($0) ? "**\($0)**" : $0 }.joined(separator: ", ")
    }
}
