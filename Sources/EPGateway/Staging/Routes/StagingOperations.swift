import Essentials
import ServiceKit

/// The staging routes in the gateway's OpenAPI document (present when `STAGING_ENABLED`).
enum StagingOperations {
    typealias Doc = OpenAPIDocument

    static let errors: [Int: Doc.Operation.Response] = [
        401: .init("Missing or invalid token", schema: Doc.errorDetail),
        403: .init("Refused by the access policy", schema: Doc.errorDetail),
        422: .init("Invalid request", schema: Doc.errorDetail),
    ]

    static let job = Doc.object([
        "id": Doc.string, "user": Doc.string, "method": Doc.string, "source": Doc.string, "destination": [:], "status": Doc.string,
        "bytes_done": Doc.integer, "bytes_total": [:], "message": [:], "error": [:], "created_at": Doc.string, "started_at": [:],
        "finished_at": [:], "updated_at": Doc.string,
    ])
    static let methods = Doc.object(["allowed_methods": ["type": "array", "items": Doc.string]])

    static func query(_ name: String, required: Bool = false, schema: JSONValue = Doc.string) -> JSONValue {
        ["name": .string(name), "in": "query", "required": .bool(required), "schema": schema]
    }

    static let all: [Doc.Operation] = [
        Doc.Operation(
            "POST", "/stage-data/",
            summary: "Stage data from the source storage (policy: staging create): local_copy or local_symlink into the caller's area, "
                + "jupyter_copy into their Jupyter server, direct_download streams the file. async=true answers 202 with the job.",
            tags: ["staging"], security: .bearer,
            parameters: [
                query(
                    "method", required: true, schema: ["type": "string", "enum": ["local_copy", "local_symlink", "direct_download", "jupyter_copy"]]),
                query("username"), query("jupyter_token"), query("async", schema: Doc.boolean),
            ],
            requestBody: Doc.jsonBody(
                Doc.object(
                    [
                        "data": Doc.object(["local_path_on_storage": Doc.string, "relative_path": Doc.string], required: ["local_path_on_storage"]),
                        "jupyter_token": Doc.string,
                    ], required: ["data"])),
            responses: errors.merging([
                200: .init(
                    "Staged (or the file, for direct_download)",
                    schema: Doc.object(["status": Doc.string, "message": Doc.string, "job_id": Doc.string])),
                202: .init("Started: the job", schema: job),
                400: .init("Invalid method, missing source, or a path outside its root", schema: Doc.errorDetail),
                500: .init("The staging failed (the job says why)", schema: Doc.errorDetail),
                502: .init("The Jupyter server failed", schema: Doc.errorDetail),
                507: .init("The user's area is full: Insufficient storage: … (nothing left behind)", schema: Doc.errorDetail),
            ]) { $1 }),
        Doc.Operation(
            "GET", "/stage-data/jobs", summary: "The caller's staging jobs, newest first; everyone's for an admin (policy: staging read).",
            tags: ["staging"], security: .bearer, parameters: [query("limit", schema: ["type": "integer", "minimum": 1, "maximum": 1000])],
            responses: errors.merging([200: .init("Jobs", schema: ["type": "array", "items": job])]) { $1 }),
        Doc.Operation(
            "GET", "/stage-data/jobs/{id}", summary: "A staging job and its progress (policy: staging read).", tags: ["staging"], security: .bearer,
            parameters: [["name": "id", "in": "path", "required": true, "schema": Doc.string]],
            responses: errors.merging([200: .init("The job", schema: job), 404: .init("No such job of yours", schema: Doc.errorDetail)]) { $1 }),
        Doc.Operation(
            "DELETE", "/stage-data/jobs/{id}",
            summary: "Cancel a queued or running job (202, the job), or remove a finished job's record (204) (policy: staging delete).",
            tags: ["staging"], security: .bearer, parameters: [["name": "id", "in": "path", "required": true, "schema": Doc.string]],
            responses: errors.merging([
                202: .init("Cancelling", schema: job), 204: .init("Removed"), 404: .init("No such job of yours", schema: Doc.errorDetail),
                409: .init("Running in another replica", schema: Doc.errorDetail),
            ]) { $1 }),
        Doc.Operation(
            "GET", "/config/allowed-methods/", summary: "The staging methods offered (policy: staging read, public).", tags: ["staging"],
            responses: [200: .init("Methods", schema: methods)]),
        Doc.Operation(
            "GET", "/config/", summary: "The staging configuration (policy: staging read, protected: admins).", tags: ["staging"], security: .bearer,
            responses: errors.merging([200: .init("Configuration", schema: Doc.object([:]))]) { $1 }),
    ]
}
