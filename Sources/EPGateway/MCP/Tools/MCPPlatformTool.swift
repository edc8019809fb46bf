import Access
import AccessPolicy
import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import ServiceKit

/// A tool no single route makes: a few calls an agent would otherwise chain and poll itself
/// (stage data and wait for the job), or a call to another service of the platform made with
/// the caller's token (their batch jobs at the deploy API). Each is listed only when what it
/// needs is configured, and every call it makes is decided by the policy of the route or the
/// service it calls, as that call over HTTP would be.
struct MCPPlatformTool: Sendable {
    let name: String
    let description: String
    let inputSchema: JSONValue
    let annotations: JSONValue
    let run: @Sendable ([String: JSONValue], Call) async throws -> JSONValue

    /// What a run acts with: the caller's request and the endpoint's routes.
    struct Call: Sendable {
        let caller: RouteCaller
        let request: Request
        let context: IdentityRequestContext
    }

    var listing: JSONValue {
        ["name": .string(name), "description": .string(description), "inputSchema": inputSchema, "annotations": annotations]
    }

    func problems(in arguments: [String: JSONValue]) -> String? {
        MCPTool.problems(in: arguments, schema: inputSchema)
    }

    // MARK: The tools

    /// Those this endpoint's configuration allows.
    static func available(staging: Bool, kbatch: URL?, pods: URL?) -> [MCPPlatformTool] {
        var tools: [MCPPlatformTool] = []
        if staging { tools.append(stageAndWait) }
        if let kbatch { tools += batchJobs(at: kbatch) }
        if let pods { tools += podTools(at: pods) }
        return tools
    }

    /// `POST /stage-data/?async=true`, then `GET /stage-data/jobs/{id}` until the job ends or
    /// the wait is over (the job goes on; its id is in the answer).
    static let stageAndWait = MCPPlatformTool(
        name: "stage_data_and_wait",
        description: """
            Stage a file or folder of the source storage into your area (local_copy, local_symlink) or your Jupyter \
            server (jupyter_copy), and wait for the staging job to end (at most wait_seconds; it goes on after that).

            Calls `POST /stage-data/?async=true`, then `GET /stage-data/jobs/{id}` · access policy: create staging (private, own)
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "local_path_on_storage": ["type": "string", "description": "The path under the source storage."],
                "relative_path": ["type": "string", "description": "Where it goes, under your area or your Jupyter server."],
                "method": ["type": "string", "enum": ["local_copy", "local_symlink", "jupyter_copy"], "default": "local_copy"],
                "jupyter_token": ["type": "string", "description": "Your Jupyter server's token, for jupyter_copy."],
                "wait_seconds": ["type": "integer", "minimum": 0, "maximum": 600, "default": 60],
            ],
            "required": ["local_path_on_storage", "relative_path"],
        ],
        annotations: MCPToolCatalog.annotations(method: .post, operation: .create)
    ) { arguments, call in
        let method = arguments["method"]?.stringValue ?? "local_copy"
        var query: [(String, String)] = [("method", method), ("async", "true")]
        if let token = arguments["jupyter_token"]?.stringValue { query.append(("jupyter_token", token)) }
        let body: JSONValue = [
            "data": ["local_path_on_storage": arguments["local_path_on_storage"] ?? "", "relative_path": arguments["relative_path"] ?? ""]
        ]
        let started = try await call.caller.call(
            .post, "/stage-data/?" + FormBody(fields: query).encoded, body: body, for: call.request, context: call.context)
        guard started.succeeded, let id = started.json?["job_id"]?.stringValue ?? started.json?["id"]?.stringValue else {
            return MCPServer.result(of: started, tool: "stage_data_and_wait", wraps: false, structured: false)
        }
        let wait = Duration.seconds(min(600, max(0, Int(arguments["wait_seconds"]?.doubleValue ?? 60))))
        let deadline = ContinuousClock.now + wait
        var job = started
        // Staging reports progress in its job; a short pause between reads keeps the wait cheap.
        while ContinuousClock.now < deadline, !Self.finished(job.json) {
            try await Task.sleep(for: .milliseconds(200))
            job = try await call.caller.call(.get, "/stage-data/jobs/\(MCPTool.encodeSegment(id))", for: call.request, context: call.context)
            guard job.succeeded else { break }
        }
        return MCPServer.result(of: job, tool: "stage_data_and_wait", wraps: false, structured: false)
    }

    static func finished(_ job: JSONValue?) -> Bool {
        ["succeeded", "failed", "cancelled"].contains(job?["status"]?.stringValue ?? "")
    }

    /// The caller's kbatch jobs at the deploy API (`KBATCH_INTERNAL_URL`), as the kbatch
    /// client makes and reads them, with the caller's own token.
    static func batchJobs(at base: URL) -> [MCPPlatformTool] {
        let kbatch = PlatformService(name: "the deploy API", base: base)
        let where_ = "the deploy API's kbatch (`\(base.path)`)"
        let submit = MCPPlatformTool(
            name: "submit_batch_job",
            description: """
                Submit a batch job: a command run in a container image, as `kbatch job submit` does (or, with a schedule, \
                a cron job). Answers the Job; read its output with get_batch_job_logs.

                Calls \(where_) `POST /jobs/` or `POST /cronjobs/` · access policy: create job (private, own)
                """,
            inputSchema: [
                "type": "object",
                "properties": [
                    "name": ["type": "string", "description": "A name prefix: lower-case letters, digits and dashes."],
                    "image": ["type": "string", "description": "The container image, e.g. python:3.12-slim."],
                    "command": ["type": "array", "items": ["type": "string"], "description": "The command and its arguments."],
                    "env": ["type": "object", "additionalProperties": ["type": "string"], "description": "Environment variables."],
                    "schedule": ["type": "string", "description": "A cron schedule: makes it a cron job."],
                ],
                "required": ["name", "image", "command"],
            ],
            annotations: MCPToolCatalog.annotations(method: .post, operation: .create)
        ) { arguments, call in
            var container: [String: JSONValue] = ["name": "job", "image": arguments["image"] ?? "", "command": arguments["command"] ?? []]
            if let env = arguments["env"]?.objectValue {
                container["env"] = .array(env.sorted { $0.key < $1.key }.map { ["name": .string($0.key), "value": $0.value] })
            }
            let spec: JSONValue = [
                "backoff_limit": 0, "template": ["spec": ["restart_policy": "Never", "containers": [.object(container)]]],
            ]
            let name = arguments["name"]?.stringValue ?? "job"
            if let schedule = arguments["schedule"]?.stringValue {
                let job: JSONValue = [
                    "metadata": ["generate_name": .string(name + "-")], "spec": ["schedule": .string(schedule), "job_template": ["spec": spec]],
                ]
                return await kbatch.call(.POST, "cronjobs/", ["job": job, "code": .null], call, tool: "submit_batch_job")
            }
            let job: JSONValue = ["metadata": ["generate_name": .string(name + "-")], "spec": spec]
            return await kbatch.call(.POST, "jobs/", ["job": job, "code": .null], call, tool: "submit_batch_job")
        }
        let list = MCPPlatformTool(
            name: "list_batch_jobs",
            description: "Your batch jobs and their status.\n\nCalls \(where_) `GET /jobs/` · access policy: read job (private, own)",
            inputSchema: ["type": "object", "properties": [:]],
            annotations: MCPToolCatalog.annotations(method: .get, operation: .read)
        ) { _, call in await kbatch.call(.GET, "jobs/", nil, call, tool: "list_batch_jobs") }
        let logs = MCPPlatformTool(
            name: "get_batch_job_logs",
            description:
                "The output of one of your batch jobs, so far.\n\nCalls \(where_) `GET /jobs/logs/{job_name}/` · access policy: read job (private, own)",
            inputSchema: ["type": "object", "properties": ["job_name": ["type": "string"]], "required": ["job_name"]],
            annotations: MCPToolCatalog.annotations(method: .get, operation: .read)
        ) { arguments, call in
            await kbatch.call(
                .GET, "jobs/logs/\(MCPTool.encodeSegment(arguments["job_name"]?.stringValue ?? ""))/", nil, call, tool: "get_batch_job_logs")
        }
        let delete = MCPPlatformTool(
            name: "delete_batch_job",
            description:
                "Delete one of your batch jobs and its pods.\n\nCalls \(where_) `DELETE /jobs/{job_name}` · access policy: delete job (private, own)",
            inputSchema: ["type": "object", "properties": ["job_name": ["type": "string"]], "required": ["job_name"]],
            annotations: MCPToolCatalog.annotations(method: .delete, operation: .delete)
        ) { arguments, call in
            await kbatch.call(.DELETE, "jobs/\(MCPTool.encodeSegment(arguments["job_name"]?.stringValue ?? ""))", nil, call, tool: "delete_batch_job")
        }
        return [submit, list, logs, delete]
    }
}

// MARK: Pods

extension MCPPlatformTool {
    /// The caller's pods at the user-pods-backend (`PODS_INTERNAL_URL`), named by the caller's
    /// username and sent with their token, so the backend's policy decides them.
    static func podTools(at base: URL) -> [MCPPlatformTool] {
        let backend = PlatformService(name: "the pods backend", base: base)
        let where_ = "the user-pods-backend"
        /// `actsAs`: the method the call stands for (every backend route is a POST), for the hints.
        func tool(
            _ name: String, _ summary: String, path: String, actsAs method: HTTPRequest.Method, operation: PolicyOperation,
            properties: JSONValue, required: [String]
        ) -> MCPPlatformTool {
            MCPPlatformTool(
                name: name,
                description: "\(summary)\n\nCalls \(where_) `POST \(path)` · access policy: \(operation.rawValue) pod (private, own)",
                inputSchema: ["type": "object", "properties": properties, "required": .array(required.map(JSONValue.string))],
                annotations: MCPToolCatalog.annotations(method: method, operation: operation)
            ) { arguments, call in
                var body = arguments
                body["user_id"] = .string(call.context.identity?.preferredName ?? call.context.identity?.sub ?? "")
                return await backend.call(.POST, String(path.dropFirst()), .object(body), call, tool: name)
            }
        }
        return [
            tool(
                "list_my_pods", "Your pods: status, expiry, ssh and web addresses (null when you have none).", path: "/get_pods",
                actsAs: .get, operation: .read, properties: [:], required: []),
            tool(
                "create_pod", "Create a pod of yours from a manifest the platform allows (a Jupyter server, an ssh box).",
                path: "/create_pod", actsAs: .post, operation: .create,
                properties: ["yaml_url": ["type": "string", "description": "The manifest's URL (one the backend's whitelist allows)."]],
                required: ["yaml_url"]),
            tool(
                "extend_pod", "Keep one of your pods longer: its expiry becomes now + duration (e.g. 12h, 7d, 30d), within the maximum.",
                path: "/extend_pod", actsAs: .post, operation: .update,
                properties: ["pod_name": ["type": "string"], "duration": ["type": "string", "description": "30d, 12h, 1d12h…"]],
                required: ["pod_name", "duration"]),
            tool(
                "delete_pod", "Delete one of your pods (its storage goes with your last pod).", path: "/delete_pod", actsAs: .delete,
                operation: .delete, properties: ["pod_name": ["type": "string"]], required: ["pod_name"]),
        ]
    }
}

/// Another service of the platform as the platform tools call it: the caller's own token
/// (their identity at that service, whose policy decides) and the correlation id, nothing else.
struct PlatformService: Sendable {
    let name: String
    let upstream: JSONUpstream

    init(name: String, base: URL) {
        self.name = name
        upstream = JSONUpstream(base: base.absoluteString, timeout: .seconds(30), answerLimit: 4 << 20)
    }

    func call(_ method: HTTPMethod, _ path: String, _ body: JSONValue?, _ call: MCPPlatformTool.Call, tool: String) async -> JSONValue {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let authorization = call.request.headers[.authorization] { headers.append(("Authorization", authorization)) }
        headers.append(("X-Correlation-ID", call.context.correlationID))
        do {
            let answer = try await upstream.call(method, path, headers: headers, json: body)
            return MCPServer.result(
                of: RouteCaller.Answer(status: answer.status, json: answer.json, text: answer.text, truncated: false), tool: tool, wraps: false,
                structured: false)
        } catch {
            return MCPServer.toolError("Error calling \(tool): \(name) did not answer (\(error)).")
        }
    }
}
