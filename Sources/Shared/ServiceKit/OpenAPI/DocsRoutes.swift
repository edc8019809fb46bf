import Essentials
import Hummingbird

/// `/openapi.json` and `/docs`: a self-contained HTML page (no CDN, so it works in
/// air-gapped clusters) listing every operation with a link to the JSON document.
public struct DocsRoutes<Context: ServiceRequestContext>: Sendable {
    let document: OpenAPIDocument
    let rootPath: String?

    public init(document: OpenAPIDocument, rootPath: String?) {
        self.document = document
        self.rootPath = rootPath
    }

    public var routes: [Route<Context>] {
        let json = document.json(rootPath: rootPath)
        let html = page()
        return [
            Route.get("/openapi.json", "This document.", access: .open).tags("docs").answers(200, "OpenAPI 3.1", schema: JSONSchema.anyObject)
                .handle { _ in json },
            Route.get("/docs", "Human-readable API documentation.", access: .open).tags("docs")
                .answers(200, "HTML", schema: JSONSchema.string, contentType: "text/html")
                .handle { _ in
                    Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
                },
        ]
    }

    func page() -> String {
        let rows = document.operations
            .sorted { ($0.path, $0.method) < ($1.path, $1.method) }
            .map { operation in
                let lock = operation.security == .bearer ? " &#128274;" : ""
                let codes = operation.responses.keys.sorted().map(String.init).joined(separator: ", ")
                return "<tr><td class=m>\(operation.method.uppercased())</td><td><code>\(MarkupText.escape(operation.path))</code>\(lock)</td>"
                    + "<td>\(MarkupText.escape(operation.summary))</td><td>\(codes)</td></tr>"
            }
            .joined(separator: "\n")
        let prefix = rootPath ?? ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(MarkupText.escape(document.title))</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%}
            td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}.m{font-weight:bold;font-family:monospace}</style></head>
            <body><h1>\(MarkupText.escape(document.title)) <small>\(MarkupText.escape(document.version))</small></h1>
            <p>\(MarkupText.escape(document.description))</p>
            <p>Machine-readable description: <a href="\(MarkupText.escape(prefix))/openapi.json">openapi.json</a>.
            Routes marked &#128274; need <code>Authorization: Bearer &lt;token&gt;</code>.</p>
            <table><tr><th>Method</th><th>Path</th><th>Summary</th><th>Responses</th></tr>
            \(rows)
            </table></body></html>
            """
    }
}
