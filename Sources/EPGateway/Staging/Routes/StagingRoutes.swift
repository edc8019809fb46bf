import Access
import AccessPolicy
import AsyncHTTPClient
import Essentials
import Foundation
import Hummingbird
import Identity
import Logging
import NIOPosix
import ServiceKit
import ServiceLifecycle
import _NIOFileSystem

/// Data staging (docs/specs/anchors-platforms.md §B), compatible with the prototype's API:
/// `POST /stage-data/?method=M` with `{"data": {"local_path_on_storage", "relative_path"}}`,
/// its answers and texts, plus a `job_id` in each; `async=true` answers 202 at once. Unlike
/// the prototype: the user is the token's, paths cannot leave their roots, the source is never
/// changed, every operation is a job in the catalog database, and `/logs/` and `/create-file/`
/// are gone (docs/staging.md).
struct StagingRoutes: ServiceFeature {
    let settings: StagingSettings
    let paths: StagingPaths
    let runner: StagingRunner
    let access: EndpointAccess
    let http: HTTPClient

    init(settings: StagingSettings, store: StagingJobStore, access: EndpointAccess, logger: Logger) {
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

    var store: StagingJobStore { runner.store }

    /// The runner: it starts queued jobs, keeps running ones alive and fails those a dead process left.
    var services: [any Service] { [runner] }

    /// Staging is `staging create` of the caller's own; a job is read and deleted as the
    /// caller's own (`private`), which the default policy extends to admins. A synchronous copy
    /// and a download take as long as the data needs: no overall request timeout.
    var routes: [Route<IdentityRequestContext>] {
        let jobSchema = JSONSchema.anyObject
        let job = { (method: HTTPRequest.Method, operation: PolicyOperation, summary: String) in
            Route<IdentityRequestContext>.on(method, "/stage-data/jobs/{id}", summary, access: .policy(.staging, operation, .inHandler(.private)))
                .tags("staging").responds(404, "No such job of yours")
        }
        return [
            Route.post(
                "/stage-data/",
                "Stage data from the source storage: local_copy or local_symlink into the caller's area, jupyter_copy into their Jupyter "
                    + "server, direct_download streams the file. async=true answers 202 with the job.",
                access: .policy(.staging, .create, .callersOwn)
            ).tags("staging").query(StageQuery.self).body(StageBody.self).streamingBody()
                .answers(200, "Staged (or the file, for direct_download)", schema: JSONSchema.of(Staged.self))
                .responds(202, "Started: the job", schema: jobSchema)
                .responds(400, "Invalid method, missing source, or a path outside its root")
                .responds(500, "The staging failed (the job says why)").responds(502, "The Jupyter server failed")
                .responds(507, "The user's area is full: Insufficient storage: … (nothing left behind)")
                .handle { call in try await stage(try order(call.query, call.body, context: call.context), logger: call.context.logger) },
            Route.get(
                "/stage-data/jobs", "The caller's staging jobs, newest first; everyone's for an admin.",
                access: .policy(.staging, .read, .inHandler(.private))
            ).tags("staging").query(JobsQuery.self).answers(200, "Jobs", schema: JSONSchema.array(of: jobSchema))
                .handle { call in try await jobs(limit: call.query.limit ?? 100, context: call.context) },
            job(.get, .read, "A staging job and its progress.").answers(200, "The job", schema: jobSchema)
                .handle { call in try await visibleJob(call.context).json },
            job(.delete, .delete, "Cancel a queued or running job (202, the job), or remove a finished job's record (204).")
                .responds(202, "Cancelling", schema: jobSchema).responds(204, "Removed").responds(409, "Running in another replica")
                .handle { call in try await cancel(context: call.context) },
            Route.get("/config/allowed-methods/", "The staging methods offered.", access: .policy(.staging, .read, .fixed(.public)))
                .tags("staging").handle { _ in AllowedMethods(allowed_methods: settings.allowedMethods.map(\.rawValue)) },
            Route.get("/config/", "The staging configuration (admins).", access: .policy(.staging, .read, .fixed(.protected))).tags("staging")
                .handle { _ in
                    StagingConfiguration(
                        source_storage_path: settings.sourceRoot, target_storage_path: settings.targetRoot,
                        allowed_methods: settings.allowedMethods.map(\.rawValue), jupyter_url: settings.jupyterURL, max_running: settings.maxRunning)
                },
        ]
    }

    /// `?method=&username=&jupyter_token=&async=`.
    struct StageQuery: QueryRequest {
        /// Checked against the methods offered, with the prototype's 400.
        var method: String
        /// Another user's area: admins only.
        var username: String?
        var jupyter_token: String?
        var background: Bool?

        enum CodingKeys: String, CodingKey {
            case method, username, jupyter_token
            case background = "async"
        }
    }

    /// `{"data": {"local_path_on_storage", "relative_path"}, "jupyter_token"?}`.
    struct StageBody: JSONRequest {
        var data: StageData
        var jupyter_token: String?

        struct StageData: Decodable, Sendable {
            var local_path_on_storage: String
            /// Required unless the method is direct_download.
            var relative_path: String?
        }

        /// The route streams (a copy takes its time), so it bounds its body itself.
        static func read(from request: Request) async throws -> StageBody {
            try await decode(from: request, limit: 64 << 10)
        }
    }

    struct JobsQuery: QueryRequest, Validatable {
        var limit: Int?

        func validate(_ checks: inout FieldChecks) {
            checks.range(limit, "limit", 1...1000)
        }
    }

    /// Upstream's answer once the data is there.
    struct Staged: JSONAnswer {
        var status: String
        var message: String
        var job_id: String
    }

    struct AllowedMethods: JSONAnswer {
        var allowed_methods: [String]
    }

    struct StagingConfiguration: JSONAnswer {
        static var nilEncoding: JSONValueEncoder.NilEncoding { .null }
        var source_storage_path: String
        var target_storage_path: String
        var allowed_methods: [String]
        var jupyter_url: String?
        var max_running: Int
    }

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
        /// Who asked (the token's `sub`).
        var owner: String
    }

    func stage(_ order: Order, logger: Logger) async throws -> Response {
        let source = try paths.source(order.sourcePath)
        let owner = order.owner
        let job = StagingJob(
            owner: owner, username: order.username, method: order.method, source: order.sourcePath, destination: order.relativePath)
        switch order.method {
        case .directDownload:
            return try await download(source, job: job, logger: logger)
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
    private func order(_ query: StageQuery, _ body: StageBody, context: IdentityRequestContext) throws -> Order {
        guard let method = StagingMethod(rawValue: query.method), settings.allowedMethods.contains(method) else {
            throw StagingError.invalidMethod(query.method)
        }
        if method != .directDownload, body.data.relative_path == nil {
            throw APIError(
                .unprocessableContent,
                detail: [["type": "missing", "loc": ["body", "data", "relative_path"], "msg": "Field required", "input": nil]])
        }
        guard let user = context.identity else { throw APIError(.unauthorized, detail: "Not authenticated") }
        let own = user.preferredName ?? user.sub
        var username = own
        if let asked = query.username, asked != own {
            guard actsForAnyone(user) else { throw StagingError.usernameMismatch }
            username = asked
        }
        return Order(
            method: method, username: username, sourcePath: body.data.local_path_on_storage, relativePath: body.data.relative_path,
            jupyterToken: body.jupyter_token ?? query.jupyter_token, background: query.background ?? false, owner: user.sub)
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
            return try Staged(status: "success", message: job.message ?? "", job_id: job.id).makeResponse(status: .ok)
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
    func jobs(limit: Int, context: IdentityRequestContext) async throws -> JSONValue {
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
