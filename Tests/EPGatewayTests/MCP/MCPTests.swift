import Essentials
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import EPGateway

/// The MCP server's parts that need no client: tool names, arguments made into requests,
/// hints, JSON-RPC messages and sessions on each database. The protocol end to end with the
/// official Python SDK: e2e/test_mcp.py.
@Suite("MCP server")
struct MCPTests {
    @Test("names: upstream's where upstream has the route (parameter names and a trailing slash do not matter), else method and path")
    func names() {
        #expect(UpstreamToolNames.key(method: "get", path: "/s3/buckets/{bucket}") == "GET /s3/buckets/{}")
        #expect(UpstreamToolNames.key(method: "POST", path: "/s3/buckets/") == "POST /s3/buckets")
        #expect(UpstreamToolNames.byRoute[UpstreamToolNames.key(method: "GET", path: "/search")] == "search_datasets_search_get")
        #expect(MCPToolCatalog.generatedName(method: "GET", path: "/stage-data/jobs/{id}") == "get_stage_data_jobs_id")
    }

    @Test("arguments become the path (a catch-all's tail keeps its slashes), the query (a list repeated) and the JSON body")
    func request() {
        let tool = MCPTool(
            name: "t", description: "", access: "", inputSchema: ["type": "object", "properties": [:]], outputSchema: nil, wrapsResult: false,
            annotations: [:],
            call: .init(
                method: .post, pathTemplate: "/s3/objects/{bucket}/{key}/presigned-upload", pathParameters: ["bucket", "key"],
                tailParameter: "key", queryParameters: ["terms", "flag"], bodyProperties: ["expires_in"], wholeBody: false))
        let (target, body) = tool.request([
            "bucket": "my bucket", "key": "a/b c/d?.txt", "terms": ["x y", "z&"], "flag": true, "expires_in": 60, "stray": 1,
        ])
        #expect(target == "/s3/objects/my%20bucket/a/b%20c/d%3F.txt/presigned-upload?terms=x%20y&terms=z%26&flag=true")
        #expect(body == .json(["expires_in": 60]))
        // A form route's arguments are its fields, a list repeated.
        let form = MCPTool(
            name: "f", description: "", access: "", inputSchema: ["type": "object", "properties": [:]], outputSchema: nil, wrapsResult: false,
            annotations: [:],
            call: .init(
                method: .post, pathTemplate: "/rexec/spawn", pathParameters: [], tailParameter: nil, queryParameters: [],
                bodyProperties: ["requirments", "force"], wholeBody: false, bodyEncoding: .form))
        #expect(
            form.request(["requirments": ["python==3.12", "numpy"], "force": true]).body?.formText
                == "force=true&requirments=python%3D%3D3.12&requirments=numpy")
    }

    @Test("a missing required argument and an unknown one are named")
    func problems() {
        let tool = MCPTool(
            name: "t", description: "", access: "",
            inputSchema: ["type": "object", "properties": ["terms": [:], "server": [:]], "required": ["terms"]], outputSchema: nil,
            wrapsResult: false, annotations: [:],
            call: .init(
                method: .get, pathTemplate: "/search", pathParameters: [], tailParameter: nil, queryParameters: ["terms", "server"],
                bodyProperties: nil, wholeBody: false))
        #expect(tool.problems(in: [:]) == "'terms' is a required property")
        #expect(tool.problems(in: ["terms": ["x"], "token": "t"])?.hasPrefix("unknown argument 'token'") == true)
        #expect(tool.problems(in: ["terms": ["x"]]) == nil)
    }

    @Test("hints: reads are read-only; creations add; updates and deletions may destroy; GET, PUT and DELETE repeat safely")
    func hints() {
        let read = MCPToolCatalog.annotations(method: .post, operation: .read)
        #expect(read["readOnlyHint"] == true && read["destructiveHint"] == nil && read["idempotentHint"] == false)
        let create = MCPToolCatalog.annotations(method: .post, operation: .create)
        #expect(create["readOnlyHint"] == false && create["destructiveHint"] == false)
        let delete = MCPToolCatalog.annotations(method: .delete, operation: .delete)
        #expect(delete["destructiveHint"] == true && delete["idempotentHint"] == true)
    }

    @Test("JSON-RPC: a request, a notification, a client's response; batches and malformed messages refused with their codes")
    func messages() throws {
        let request = try JSONRPCMessage(["jsonrpc": "2.0", "id": 7, "method": "ping"])
        #expect(request.id == 7 && request.method == "ping" && !request.isNotification)
        #expect(try JSONRPCMessage(["jsonrpc": "2.0", "method": "notifications/initialized"]).isNotification)
        #expect(try JSONRPCMessage(["jsonrpc": "2.0", "id": 1, "result": [:]]).method == nil)
        let refused: [(JSONValue, Int)] = [
            (.array([["jsonrpc": "2.0", "id": 1, "method": "ping"]]), JSONRPCError.invalidRequest),
            (["jsonrpc": "1.0", "id": 1, "method": "ping"], JSONRPCError.invalidRequest),
            (["jsonrpc": "2.0", "id": ["x"], "method": "ping"], JSONRPCError.invalidRequest),
            (["jsonrpc": "2.0", "id": 1, "method": "ping", "params": [1]], JSONRPCError.invalidParams),
        ]
        for (bad, code) in refused {
            do {
                _ = try JSONRPCMessage(bad)
                Issue.record("\(bad) was taken")
            } catch {
                #expect(error.code == code)
            }
        }
    }

    @Test("cursors are offsets only this server reads")
    func cursors() throws {
        #expect(try MCPServer.offset(of: MCPServer.cursor(40), count: 50) == 40)
        #expect(throws: JSONRPCError.Failure.self) { try MCPServer.offset(of: "bm9wZQ==", count: 50) }
        #expect(throws: JSONRPCError.Failure.self) { try MCPServer.offset(of: MCPServer.cursor(60), count: 50) }
    }

    @Test("sessions: their owner's only; a user's oldest goes past the bound; an expired one is gone", arguments: CatalogBackendUnderTest.available)
    func sessions(backend: CatalogBackendUnderTest) async throws {
        try await ScratchCatalog.with(backend) { catalog, _ in
            let database = DatabaseMCPSessionStore(database: try #require(catalog as? any DocumentDatabase))
            let stores: [any MCPSessionStore] = [database, MemoryMCPSessionStore(), RememberingMCPSessionStore(MemoryMCPSessionStore())]
            for store in stores {
                var opened: [MCPSession] = []
                for _ in 0..<3 {
                    opened.append(
                        try await store.open(
                            owner: "alice", protocolVersion: "2025-11-25", client: ("t", "1"), lifetime: .seconds(3600), maxPerUser: 2))
                }
                // Two are left: the newest, and one of the two before it (the older, unless both
                // were made in the same millisecond).
                var left = 0
                for session in opened where try await store.live(session.id, owner: "alice") != nil { left += 1 }
                #expect(left == 2)
                #expect(try await store.live(opened[2].id, owner: "alice")?.protocol_version == "2025-11-25")
                #expect(try await store.live(opened[2].id, owner: "bob") == nil)
                #expect(try await store.live("not-an-id", owner: "alice") == nil)
                var stale = opened[2]
                stale.id = MCPSessionID.make()
                stale.expires_at = "2020-01-01T00:00:00Z"
                try await store.insert(stale)
                #expect(try await store.live(stale.id, owner: "alice") == nil)
                #expect(try await store.session(stale.id) == nil)  // removed when found expired
                #expect(try await store.delete(opened[2].id))
                #expect(try await store.live(opened[2].id, owner: "alice") == nil)
            }
            // Remembered for a moment: a session ended elsewhere (another replica, straight in
            // the database) is still taken here until the memory is stale, then not.
            let remembering = RememberingMCPSessionStore(database, freshFor: .milliseconds(200))
            let session = try await remembering.open(
                owner: "carol", protocolVersion: "2025-06-18", client: (nil, nil), lifetime: .seconds(60), maxPerUser: 4)
            #expect(try await database.delete(session.id))
            #expect(try await remembering.live(session.id, owner: "carol") != nil)
            let deadline = ContinuousClock.now + .seconds(10)
            while try await remembering.live(session.id, owner: "carol") != nil {
                #expect(ContinuousClock.now < deadline)
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}

extension MCPTool.Body {
    var formText: String? {
        if case .form(let form) = self { return form.encoded }
        return nil
    }
}

@Suite("MCP server switch")
struct MCPSwitchTests {
    @Test("MCP_ENABLED=false: no /mcp")
    func turnedOff() async throws {
        try await ConsoleRoutesTests.app(["MCP_ENABLED": "false"]).test(.router) { client in
            try await client.execute(uri: "/ep/mcp", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
