import AccessPolicy
import AsyncHTTPClient
import Essentials
import Foundation
import Hummingbird
import Identity
import Logging
import NIOPosix
import ServiceKit
import _NIOFileSystem

/// Data staging (docs/specs/anchors-platforms.md §B), compatible with the prototype's API:
/// `POST /stage-data/?method=M` with `{"data": {"local_path_on_storage", "relative_path"}}`,
/// its answers and texts, plus a `job_id` in each; `async=true` answers 202 at once. Unlike
/// the prototype: the user is the token's, paths cannot leave their roots, the source is never
/// changed, every operation is a job in the catalog database, and `/logs/` and `/create-file/`
/// are gone (README).
struct StagingRoutes: Sendable {
    let settings: StagingSettings
    let paths: StagingPaths
    let runner: StagingRunner
    let access: EndpointAccess
    let http: HTTPClient

    static let createBinding = PolicyBinding(.staging, .create, .callersOwn)
    static let readBinding = PolicyBinding(.staging, .read, .inHandler(.private))
    static let deleteBinding = PolicyBinding(.staging, .delete, .inHandler(.private))
    static let methodsBinding = PolicyBinding(.staging, .read, .fixed(.public))
    static let configBinding = PolicyBinding(.staging, .read, .fixed(.protected))
    /// A synchronous copy and a download take as long as the data needs: no request timeout.
    static let streamingPaths = ["/stage-data/"]

    init(settings: StagingSettings, store: any StagingJobStore, access: EndpointAccess, logger: Logger) {
        self.settings = settings
        self.paths = StagingPaths(sourceRoot: settings.sourceRoot, targetRoot: settings.targetRoot)
        let paths = self.paths
        self.runner = StagingRunner(store: store, maxRunning: settings.maxRunning, logger: logger) { job in
            guard job.method == .localCopy, let relative = job.destination, let destination = try? paths.destination(relative, user: job.username)
            else { return }
            LocalStaging.removeTemporaries(of: destination)
        }
        self.access = access
        self.http = UpstreamHTTPClient.shared
    }

    var store: any StagingJobStore { runner.store }

    var createRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.post("stage-data") { request, context in try await stage(request, context: context) }
        return routes
    }

    var readRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("stage-data/jobs") { request, context in try await jobs(request, context: context) }
        routes.get("stage-data/jobs/{id}") { _, context in try await job(context: context) }
        return routes
    }

    var deleteRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.delete("stage-data/jobs/{id}") { _, context in try await cancel(context: context) }
        return routes
    }

    var methodsRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("config/allowed-methods") { _, _ -> JSONValue in ["allowed_methods": allowedMethods] }
        return routes
    }

    var configRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("config") { _, _ -> JSONValue in
            [
                "source_storage_path": .string(settings.sourceRoot), "target_storage_path": .string(settings.targetRoot),
                "allowed_methods": allowedMethods,
                "jupyter_url": settings.jupyterURL.map(JSONValue.string) ?? .null, "max_running": .number(Double(settings.maxRunning)),
            ]
        }
        return routes
    }

    private var allowedMethods: JSONValue { .array(settings.allowedMethods.map { .string($0.rawValue) }) }

    /// Whether `user` may read anyone's jobs (an admin, by the default policy): such a caller
    /// sees every job and may stage for any user.
    private func actsForAnyone(_ user: UserIdentity?) -> Bool {
        access.permits(user, .staging, .read, PolicyObject(mode: .private))
    }

    // MARK: Staging

    /// What a request asks for, checked before anything is created.
    struct Order {
        var method: StagingMethod
        var username: String
        var sourcePath: String
        var relativePath: String?
        var jupyterToken: String?
        var background: Bool
    }

    func stage(_ request: Request, context: IdentityRequestContext) async throws -> Response {
        let order = try await self.order(request, context: context)
        let source = try paths.source(order.sourcePath)
        let owner = context.identity?.sub ?? "unknown"
        let job = StagingJob(
            owner: owner, username: order.username, method: order.method, source: order.sourcePath, destination: order.relativePath)
        switch order.method {
        case .directDownload:
            return try await download(source, job: job, logger: context.logger)
        case .localCopy, .localSymlink:
            let destination = try paths.destination(order.relativePath!, user: order.username)
            let shown = StagingPaths.folder(forUser: order.username) + "/" + order.relativePath!
            if FileManager.default.fileExists(atPath: destination.path) || StagingPaths.isSymlink(destination) {
                return try await alreadyThere(job, at: shown, order: order)
            }
            let work: StagingWork =
                order.method == .localCopy ? .copy(from: source, to: destination) : .symlink(to: source, at: destination)
            let total = order.method == .localCopy ? try await Self.size(of: source) : 0
            return try await start(job, work, total: total, order: order)
        case .jupyterCopy:
            guard let token = order.jupyterToken, !token.isEmpty else { throw StagingError.jupyterTokenMissing }
            guard let server = settings.jupyterServer(for: order.username) else {
                throw APIError(.badRequest, detail: "No Jupyter server address can be made for the user name '\(order.username)'.")
            }
            let target = try StagingPaths.components(order.relativePath!, field: "relative_path")
            let contents = JupyterContents(
                server: server, token: token, http: http, timeout: settings.jupyterTimeout, chunkSize: settings.jupyterChunkSize)
            // Also checks the token and that the server answers, before a job exists.
            if try await contents.exists(target) {
                return try await alreadyThere(job, at: order.relativePath!, order: order)
            }
            return try await start(
                job, .jupyter(from: source, contents: contents, path: target), total: try await Self.size(of: source), order: order)
        }
    }

    /// A tree's size takes a walk of it: off the cooperative threads.
    static func size(of source: URL) async throws -> Int64 {
        try await NIOThreadPool.singleton.runIfActive { try LocalStaging.size(of: source) }
    }

    /// The request's method, user, paths and token; refusals before anything happens.
    private func order(_ request: Request, context: IdentityRequestContext) async throws -> Order {
        let query = request.uri.queryParameters
        guard let methodName = query["method"].map(String.init) else {
            throw APIError.validation("Field required", field: "method", location: "query")
        }
        guard let method = StagingMethod(rawValue: methodName), settings.allowedMethods.contains(method) else {
            throw StagingError.invalidMethod(methodName)
        }
        let body = try await JSONBody.object(from: request, expecting: "a JSON object with a data object is required", limit: 64 << 10)
        guard let data = body["data"]?.objectValue else { throw APIError.validation("Field required", field: "data") }
        func text(_ name: String, in object: [String: JSONValue], at location: [JSONValue], required: Bool) throws -> String? {
            let loc = JSONValue.array(location + [.string(name)])
            switch object[name] {
            case .string(let value): return value
            case nil, .null:
                guard required else { return nil }
                throw APIError(.unprocessableContent, detail: [["loc": loc, "msg": "Field required", "type": "missing"]])
            default: throw APIError(.unprocessableContent, detail: [["loc": loc, "msg": "Input should be a valid string", "type": "string_type"]])
            }
        }
        let sourcePath = try text("local_path_on_storage", in: data, at: ["body", "data"], required: true)!
        let relativePath = try text("relative_path", in: data, at: ["body", "data"], required: method != .directDownload)
        let jupyterToken = try text("jupyter_token", in: body, at: ["body"], required: false) ?? query["jupyter_token"].map(String.init)

        guard let user = context.identity else { throw APIError(.unauthorized, detail: "Not authenticated") }
        let own = user.preferredName ?? user.sub
        var username = own
        if let asked = query["username"].map(String.init), asked != own {
            guard actsForAnyone(user) else { throw StagingError.usernameMismatch }
            username = asked
        }
        let background = ["true", "1", "yes"].contains(query["async"].map { $0.lowercased() } ?? "")
        return Order(
            method: method, username: username, sourcePath: sourcePath, relativePath: relativePath, jupyterToken: jupyterToken,
            background: background)
    }

    /// Starts the job: answered at once (`async=true`, 202 and the job) or when it ends.
    private func start(_ job: StagingJob, _ work: StagingWork, total: Int64, order: Order) async throws -> Response {
        let created = try await runner.create(job)
        let message = "Data staged for user \(order.username) with method \(order.method.rawValue)"
        // Its own task: the job goes on if the caller hangs up.
        let running = Task { [runner] in await runner.run(created, work, total: total, message: message) }
        if order.background {
            return created.json.response(status: .accepted, headers: [.location: "stage-data/jobs/\(created.id)"])
        }
        let finished = await running.value
        return try Self.answer(finished)
    }

    /// The destination exists: nothing is copied (as upstream), and the job says so.
    private func alreadyThere(_ job: StagingJob, at shown: String, order: Order) async throws -> Response {
        let created = try await runner.create(job)
        let message = "Data already available at \(shown)"
        let finished = await runner.finish(created.id) { $0.finish(.succeeded, message: message) } ?? created
        if order.background { return finished.json.response(status: .accepted) }
        return try Self.answer(finished)
    }

    /// Upstream's answer for a finished job, with its id.
    static func answer(_ job: StagingJob) throws -> Response {
        switch job.status {
        case .succeeded:
            return (["status": "success", "message": .string(job.message ?? ""), "job_id": .string(job.id)] as JSONValue).response(status: .ok)
        default:
            if let error = job.error, error.hasPrefix(LocalStaging.FileFailure.outOfSpacePrefix) {
                return (["detail": .string(error), "job_id": .string(job.id)] as JSONValue).response(
                    status: .init(code: 507, reasonPhrase: "Insufficient Storage"))
            }
            let status: HTTPResponse.Status = job.method == .jupyterCopy ? .badGateway : .internalServerError
            return (["detail": .string("Unexpected error: \(job.error ?? "the job did not finish")"), "job_id": .string(job.id)] as JSONValue)
                .response(status: status)
        }
    }

    /// `direct_download`: the file streamed as an attachment (a folder is refused: stage it
    /// with `local_copy`), recorded as a job that succeeds once the last byte is sent.
    private func download(_ source: URL, job: StagingJob, logger: Logger) async throws -> Response {
        let attributes = try FileManager.default.attributesOfItem(atPath: source.path)
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw APIError(.badRequest, detail: "Only a file can be downloaded; \(job.source) is a folder (stage it with local_copy).")
        }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        // Opened before the answer starts: a file that cannot be read is an error answer, not
        // a cut-off download.
        let file = try await FileSystem.shared.openFile(forReadingAt: FilePath(source.path))
        var download = job
        download.status = .running
        download.startedAt = Timestamp.isoUTC(Date())
        download.bytesTotal = size
        let (runner, id, logger, started) = (runner, job.id, logger, download)
        let headers: HTTPFields = [
            .contentType: "application/octet-stream", .contentDisposition: StorageRoutes.attachment(filename: source.lastPathComponent),
            .init("X-Staging-Job-Id")!: id,
        ]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody(contentLength: Int(size)) { writer in
                // Recorded once the body is being written: an answer whose connection is gone
                // before that never starts, and must not leave a job "running".
                do {
                    _ = try await runner.create(started)
                } catch {
                    logger.error("could not record a download", metadata: ["staging.job": "\(id)", "error": "\(error)"])
                }
                var sent: Int64 = 0
                do {
                    // Read a MiB at a time straight into buffers on NIO's file threads.
                    for try await chunk in file.readChunks(chunkLength: .mebibytes(1)) {
                        try await writer.write(chunk)
                        sent += Int64(chunk.readableBytes)
                    }
                    try await writer.finish(nil)
                    try? await file.close()
                } catch {
                    try? await file.close()
                    let done = sent
                    _ = await runner.finish(id) {
                        $0.bytesDone = done
                        $0.finish(.failed, error: "The download stopped after \(done) bytes: \(error)")
                    }
                    throw error
                }
                let done = sent
                _ = await runner.finish(id) {
                    $0.bytesDone = done
                    $0.finish(.succeeded, message: "Data sent to the caller")
                }
            })
    }

    // MARK: Jobs

    /// `?limit=1…1000 (100)`: the caller's jobs, newest first; everyone's for whoever the
    /// policy lets read any job (admins).
    func jobs(_ request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        let limit =
            try request.uri.queryParameters["limit"].map { text -> Int in
                guard let value = Int(text), (1...1000).contains(value) else {
                    throw APIError.validation("limit must be an integer from 1 to 1000", field: "limit", location: "query")
                }
                return value
            } ?? 100
        let user = context.identity
        let jobs = try await store.stagingJobs(ownerSub: actsForAnyone(user) ? nil : (user?.sub ?? ""), limit: limit)
        return .array(jobs.filter { access.permits(user, .staging, .read, $0.policyObject) }.map(\.json))
    }

    /// A queued or running job is stopped (202, the job: it turns `failed` with "Cancelled by
    /// …" within a chunk, its temporary removed); a finished job's record is removed (204;
    /// the staged data stays). A job running in another replica is 409.
    func cancel(context: IdentityRequestContext) async throws -> Response {
        let user = context.identity
        let job = try await visibleJob(context)
        let id = job.id
        try access.authorize(user, .staging, .delete, job.policyObject, logger: context.logger)
        guard !job.status.isFinished else {
            guard try await store.deleteStagingJob(id) else { throw StagingError.jobNotFound }
            context.logger.info("staging job removed", metadata: ["staging.job": "\(id)"])
            return Response(status: .noContent)
        }
        let who = user?.username ?? user?.sub ?? "unknown"
        guard await runner.stop(id, reason: "Cancelled by \(who).") else { throw StagingError.runningElsewhere(job.runner ?? "unknown") }
        context.logger.info("staging job cancelled", metadata: ["staging.job": "\(id)"])
        return job.json.response(status: .accepted)
    }

    func job(context: IdentityRequestContext) async throws -> JSONValue {
        try await visibleJob(context).json
    }

    /// The job named in the path, if the caller may read it. Someone else's job is "not
    /// found" rather than forbidden: ids are not to be probed.
    private func visibleJob(_ context: IdentityRequestContext) async throws -> StagingJob {
        let id = try context.parameters.require("id")
        guard let job = try await store.stagingJob(id), access.permits(context.identity, .staging, .read, job.policyObject) else {
            throw StagingError.jobNotFound
        }
        return job
    }
}
