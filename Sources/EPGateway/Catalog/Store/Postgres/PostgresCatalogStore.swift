import Essentials
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// The catalog in PostgreSQL (`LOCAL_CATALOG_BACKEND=postgres`, `CATALOG_POSTGRES_URL`), for
/// several replicas on one database.
///
/// Every write is one transaction on a pooled connection; the database serializes what must be:
/// unique names (a clash, whoever wins, is ``CatalogError/datasetExists(_:)`` or
/// ``CatalogError/organizationExists(_:)``), the dataset row locked for a read-modify-write update,
/// the organization row locked while it is deleted. Full-text search is a `tsvector` of the
/// dataset's words (``CatalogText/words(_:)``, handed over as lexemes, so both stores agree on
/// what a word is) under a GIN index, queried with prefix lexemes.
final class PostgresCatalogStore: CatalogStore {
    let url: PostgresURL
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger
    /// How long one call may wait for the database (a pool lease included) before it is 503.
    private let callDeadline: Duration

    struct Opened {
        let store: PostgresCatalogStore
        let migratedFrom: Int
    }

    private init(url: PostgresURL, client: PostgresClient, logger: Logger, callDeadline: Duration) {
        self.url = url
        self.client = client
        self.logger = logger
        self.callDeadline = callDeadline
        self.runner = Task { await client.run() }
    }

    /// Connects once to migrate (so a wrong password or an unreachable server stops start-up
    /// with the reason), then starts the pool.
    static func open(
        url: PostgresURL, maximumConnections: Int = 10, callDeadline: Duration = .seconds(10), logger: Logger
    ) async throws -> Opened {
        let found: Int
        do {
            let connection = try await withDeadline(.seconds(15)) {
                try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 1, logger: logger)
            }
            do {
                found = try await migrate(connection, url: url, logger: logger)
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
        } catch let error as CatalogStartupError {
            throw error
        } catch {
            throw CatalogStartupError(message: "cannot reach the catalog database \(url): \(Self.reason(error))")
        }
        var configuration = url.clientConfiguration()
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return Opened(store: PostgresCatalogStore(url: url, client: client, logger: logger, callDeadline: callDeadline), migratedFrom: found)
    }

    /// Applies the migrations the database lacks, in one transaction under an advisory lock, so
    /// replicas starting together migrate once. Returns the version found.
    private static func migrate(_ connection: PostgresConnection, url: PostgresURL, logger: Logger) async throws -> Int {
        try await inTransaction(connection, logger: logger) {
            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                logger: logger)
            let found =
                try await connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", logger: logger).collect().first?
                .decode(Int.self) ?? 0
            guard found <= PostgresSchema.latestVersion else {
                throw CatalogStartupError.newerSchema(database: "\(url)", found: found, known: PostgresSchema.latestVersion)
            }
            for version in (found + 1)..<(PostgresSchema.latestVersion + 1) {
                do {
                    for statement in PostgresSchema.migrations[version - 1] {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                } catch {
                    throw CatalogStartupError.migrationFailed(database: "\(url)", version: version, reason: Self.reason(error))
                }
                try await connection.query("INSERT INTO schema_migrations (version) VALUES (\(version))", logger: logger)
            }
            return found
        }
    }

    /// `body` inside `BEGIN … COMMIT` on `connection`; any error rolls it back. (postgres-nio's
    /// own `withTransaction` wraps every error in `PostgresTransactionError`, which would hide
    /// the unique violations and catalog errors the callers map.)
    private static func inTransaction<Value>(
        _ connection: PostgresConnection, logger: Logger, _ body: () async throws -> Value
    ) async throws -> Value {
        try await connection.query("BEGIN", logger: logger)
        do {
            let value = try await body()
            try await connection.query("COMMIT", logger: logger)
            return value
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    // MARK: Running statements

    /// Runs `body` within the call deadline, turning the database's refusals into the
    /// catalog's: a unique name taken → `clash`, anything else → 503 (the reason logged).
    private func call<Value: Sendable>(
        clash: (any Error & Sendable)? = nil, deadline: Duration? = nil, _ body: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        do {
            return try await withDeadline(deadline ?? callDeadline, body)
        } catch let error as any APIErrorConvertible {
            // The catalog's and the access requests' own refusals.
            throw error
        } catch let error as PSQLError where error.sqlState == Self.uniqueViolation && clash != nil {
            throw clash!
        } catch let error as PSQLError where error.sqlState == Self.diskFull {
            throw CatalogError.outOfSpace
        } catch {
            logger.error("catalog database call failed", metadata: ["catalog.database": "\(url)", "error": "\(Self.reason(error))"])
            throw CatalogError.unavailable(Self.reason(error))
        }
    }

    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await call { [client, logger] in try await client.query(query, logger: logger).collect() }
    }

    /// `body` inside `BEGIN … COMMIT` on one pooled connection; any error rolls it back. A
    /// deadlock or serialization failure (the database chose this transaction to abort) is
    /// retried, twice at most.
    func transaction<Value: Sendable>(
        clash: (any Error & Sendable)? = nil, _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> Value
    ) async throws -> Value {
        try await call(clash: clash) { [client, logger] in
            var attempt = 1
            while true {
                do {
                    return try await client.withConnection { connection in
                        try await Self.inTransaction(connection, logger: logger) { try await body(connection, logger) }
                    }
                } catch let error as PSQLError where attempt < 3 && Self.retryable.contains(error.sqlState ?? "") {
                    attempt += 1
                }
            }
        }
    }

    static let uniqueViolation = "23505"
    /// `disk_full` (class 53, insufficient resources).
    static let diskFull = "53100"
    static let foreignKeyViolation = "23503"
    static let retryable: Set<String> = ["40001", "40P01"]

    /// What went wrong, for logs: the server's message when it sent one (PSQLError's own
    /// description hides it).
    static func reason(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        if let error = error as? DeadlineExceeded { return "no answer within \(error.duration)" }
        return "\(error)"
    }

    // MARK: Organizations

    func organizationNames(containing: String?, createdBy: String?) async throws -> [String] {
        var query = PostgresQueryBuilder("SELECT name FROM organizations WHERE true")
        if let containing, !containing.isEmpty { query.append(" AND strpos(lower(name), lower(\(query.bind(containing)))) > 0") }
        if let createdBy { query.append(" AND creator_user_id = \(query.bind(createdBy))") }
        query.append(" ORDER BY name")
        return try await rows(query.query).map { try $0.decode(String.self) }
    }

    func createOrganization(_ organization: NewOrganization) async throws -> CatalogOrganization {
        let created = CatalogOrganization(
            id: CatalogID.make(), name: organization.name, title: organization.title, description: organization.description,
            creator: organization.creator, created: Date())
        try await transaction(clash: CatalogError.organizationExists(organization.name)) { connection, logger in
            _ = try await connection.query(
                """
                INSERT INTO organizations (id, name, title, description, creator_user_id, creator_md5, created)
                VALUES (\(created.id), \(created.name), \(created.title), \(created.description), \(created.creator?.userID),
                        \(created.creator?.md5), \(created.created))
                """, logger: logger)
        }
        return created
    }

    func organization(named name: String) async throws -> CatalogOrganization? {
        try await rows(
            "SELECT id, name, title, description, creator_user_id, creator_md5, created FROM organizations WHERE name = \(name)"
        ).first.map(Self.organization)
    }

    func deleteOrganization(named name: String, cascade: Bool) async throws {
        try await transaction { connection, logger in
            // The row lock keeps datasets from being added to it meanwhile (their foreign key
            // check waits for it, then fails).
            guard
                let id = try await connection.query("SELECT id FROM organizations WHERE name = \(name) FOR UPDATE", logger: logger)
                    .collect().first?.decode(String.self)
            else { throw CatalogError.organizationNotFound }
            let count =
                try await connection.query("SELECT count(*) FROM datasets WHERE organization_id = \(id)", logger: logger).collect().first?
                .decode(Int.self) ?? 0
            if count > 0 {
                guard cascade else { throw CatalogError.organizationHasDatasets(name, count: count) }
                try await connection.query("DELETE FROM datasets WHERE organization_id = \(id)", logger: logger)
            }
            try await connection.query("DELETE FROM organizations WHERE id = \(id)", logger: logger)
        }
    }

    // MARK: Datasets

    /// One statement, so one round trip and no explicit transaction (a statement is atomic):
    /// the organization looked up, the dataset inserted from it, the resources from the
    /// dataset. No organization, no dataset row, and the count says so.
    func createDataset(_ dataset: CatalogDataset) async throws -> CatalogDataset {
        let resources = dataset.resources
        let query: PostgresQuery = """
            WITH organization AS (SELECT id FROM organizations WHERE name = \(dataset.organization)),
            dataset AS (
                INSERT INTO datasets (id, name, organization_id, is_private, creator_user_id, title, document, words, created, modified)
                SELECT \(dataset.id), \(dataset.name), organization.id, \(dataset.isPrivate), \(dataset.creator), \(dataset.title),
                       \(Self.text(dataset.document)), array_to_tsvector(\(Self.lexemes(dataset.words))::text[]), \(dataset.created),
                       \(dataset.modified)
                FROM organization
                RETURNING id
            ),
            resource AS (
                INSERT INTO resources (id, dataset_id, position, name, url, format, description, document)
                SELECT r.id, dataset.id, r.position, r.name, r.url, r.format, r.description, r.document
                FROM dataset, unnest(\(resources.map(\.id))::text[], \(Array(resources.indices))::bigint[], \(resources.map(\.name))::text[],
                                     \(resources.map(\.url))::text[], \(resources.map(\.format))::text[], \(resources.map(\.description))::text[],
                                     \(resources.map { Self.text($0.document) })::text[])
                     AS r(id, position, name, url, format, description, document)
            )
            SELECT count(*) FROM dataset
            """
        let inserted = try await call(clash: CatalogError.datasetExists(dataset.name)) { [client, logger] in
            do {
                return try await client.query(query, logger: logger).collect().first?.decode(Int.self) ?? 0
            } catch let error as PSQLError where error.sqlState == Self.foreignKeyViolation {
                // The organization was deleted between the lookup and the insert.
                throw CatalogError.organizationMissing(dataset.organization)
            }
        }
        guard inserted == 1 else { throw CatalogError.organizationMissing(dataset.organization) }
        return dataset
    }

    func dataset(_ idOrName: String) async throws -> CatalogDataset? {
        let found = try await rows("SELECT document FROM datasets WHERE id = \(idOrName) OR name = \(idOrName)")
        return try await call { [self] in try await load(found, using: nil) }.first
    }

    func updateDataset(_ idOrName: String, _ change: @escaping @Sendable (inout CatalogDataset) throws -> Void) async throws -> CatalogDataset {
        try await transaction { [self] connection, logger in
            try await DatasetUpdate.apply(to: idOrName, change, using: UpdateSteps(store: self, connection: connection, logger: logger))
        }
    }

    /// An update's SQL on one connection inside its transaction.
    private struct UpdateSteps: DatasetUpdateSteps {
        let store: PostgresCatalogStore
        let connection: PostgresConnection
        let logger: Logger

        func lockedDataset(_ idOrName: String) async throws -> (dataset: CatalogDataset, organizationID: String)? {
            // FOR UPDATE: concurrent updates of one dataset take turns, none is lost.
            let found = try await connection.query(
                "SELECT document, organization_id FROM datasets WHERE id = \(idOrName) OR name = \(idOrName) FOR UPDATE", logger: logger
            ).collect()
            guard let row = found.first, let dataset = try await store.load([row], using: connection).first else { return nil }
            return (dataset, try row.decode((String, String).self).1)
        }

        func organizationID(named name: String) async throws -> String {
            try await PostgresCatalogStore.organizationID(name, on: connection, logger)
        }

        func replace(_ stored: CatalogDataset, with dataset: CatalogDataset, organizationID: String) async throws {
            // An UPDATE, not a delete and insert: a transaction waiting on this row's lock then
            // reads the new version instead of finding the row gone.
            do {
                try await connection.query(
                    """
                    UPDATE datasets SET name = \(dataset.name), organization_id = \(organizationID), is_private = \(dataset.isPrivate),
                        creator_user_id = \(dataset.creator), title = \(dataset.title), document = \(PostgresCatalogStore.text(dataset.document)),
                        words = array_to_tsvector(\(PostgresCatalogStore.lexemes(dataset.words))::text[]), modified = \(dataset.modified)
                    WHERE id = \(stored.id)
                    """, logger: logger)
            } catch let error as PSQLError where error.sqlState == PostgresCatalogStore.uniqueViolation {
                throw DatasetNameClash()
            }
            try await connection.query("DELETE FROM resources WHERE dataset_id = \(stored.id)", logger: logger)
            try await PostgresCatalogStore.insertResources(of: dataset, on: connection, logger)
        }
    }

    func deleteDataset(_ idOrName: String) async throws -> CatalogDataset? {
        try await transaction { [self] connection, logger in
            let found = try await connection.query(
                "SELECT document FROM datasets WHERE id = \(idOrName) OR name = \(idOrName) FOR UPDATE", logger: logger
            ).collect()
            guard let dataset = try await load(found, using: connection).first else { return nil }
            try await connection.query("DELETE FROM datasets WHERE id = \(dataset.id)", logger: logger)
            return dataset
        }
    }

    func searchDatasets(_ query: DatasetQuery) async throws -> DatasetPage {
        var filter = PostgresQueryBuilder("FROM datasets WHERE true")
        if !query.words.isEmpty { filter.append(" AND words @@ \(filter.bind(Self.prefixQuery(query.words)))::tsquery") }
        for condition in query.filters { Self.append(condition, to: &filter) }
        switch query.visibility {
        case .none: filter.append(" AND NOT is_private")
        case .createdBy(let creator): filter.append(" AND (NOT is_private OR creator_user_id = \(filter.bind(creator)))")
        case .all: break
        }
        var listing = filter
        listing.prepend("SELECT document ")
        let order = (query.order.map { "\($0.field == .title ? "title" : $0.field.rawValue) \($0.descending ? "DESC" : "ASC")" } + ["id"])
        listing.append(" ORDER BY \(order.joined(separator: ", ")) LIMIT \(listing.bind(query.limit)) OFFSET \(listing.bind(query.offset))")
        let found = try await rows(listing.query)
        var count = query.countFromPage(found.count)
        if query.counting, count == nil {
            var counting = filter
            counting.prepend("SELECT count(*) ")
            count = try await rows(counting.query).first?.decode(Int.self) ?? 0
        }
        return DatasetPage(count: count, datasets: try await call { [self] in try await load(found, using: nil) })
    }

    private static func append(_ condition: DatasetFilter, to query: inout PostgresQueryBuilder) {
        switch condition {
        case .id(let id): query.append(" AND id = \(query.bind(id))")
        case .name(let name): query.append(" AND name = \(query.bind(name))")
        case .organization(let organization):
            let value = query.bind(organization)
            query.append(" AND organization_id = (SELECT id FROM organizations WHERE name = \(value) OR id = \(value))")
        case .tag(let tag): query.append(" AND document::jsonb -> 'tags' ? \(query.bind(tag))")
        case .group(let group): query.append(" AND document::jsonb -> 'groups' ? \(query.bind(group))")
        case .resourceFormat(let format):
            query.append(
                " AND EXISTS (SELECT 1 FROM resources f WHERE f.dataset_id = datasets.id AND lower(f.format) = \(query.bind(format.lowercased())))")
        case .license(let license): query.append(" AND document::jsonb ->> 'license_id' = \(query.bind(license))")
        case .extra(let key, let value):
            query.append(
                " AND document::jsonb -> 'extras' @> jsonb_build_array(jsonb_build_object('key', \(query.bind(key))::text, 'value', \(query.bind(value))::text))"
            )
        case .isPrivate(let isPrivate): query.append(" AND is_private = \(query.bind(isPrivate))")
        }
    }

    func publicDatasetNames(limit: Int, offset: Int) async throws -> [String] {
        try await rows("SELECT name FROM datasets WHERE NOT is_private ORDER BY name LIMIT \(limit) OFFSET \(offset)").map {
            try $0.decode(String.self)
        }
    }

    func organizationSummaries() async throws -> [OrganizationSummary] {
        try await rows(
            """
            SELECT o.id, o.name, o.title, o.description, o.creator_user_id, o.creator_md5, o.created,
                   (SELECT count(*) FROM datasets d WHERE d.organization_id = o.id AND NOT d.is_private)
            FROM organizations o ORDER BY o.name
            """
        ).map { row in
            let (id, name, title, description, userID, md5, created, count) = try row.decode(
                (String, String, String, String, String?, String?, Date, Int).self)
            return OrganizationSummary(
                organization: CatalogOrganization(
                    id: id, name: name, title: title, description: description,
                    creator: userID.map { CreatorStamp(userID: $0, md5: md5 ?? "") }, created: created),
                publicDatasets: count)
        }
    }

    /// Every token as a prefix lexeme, all required: `'ocean':* & 'temp':*`. The cast to
    /// tsquery takes lexemes as written (no parser, no stemming); quotes and backslashes inside
    /// are escaped as its syntax asks.
    static func prefixQuery(_ tokens: [String]) -> String {
        tokens.map { token in
            let escaped = token.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''")
            return "'\(escaped)':*"
        }.joined(separator: " & ")
    }

    func resource(_ id: String) async throws -> (resource: CatalogResource, dataset: CatalogDataset)? {
        let found = try await rows("SELECT d.document FROM resources r JOIN datasets d ON d.id = r.dataset_id WHERE r.id = \(id)")
        guard let dataset = try await call({ [self] in try await load(found, using: nil) }).first,
            let resource = dataset.resources.first(where: { $0.id == id })
        else { return nil }
        return (resource, dataset)
    }

    func searchResources(_ query: ResourceQuery) async throws -> (count: Int, hits: [ResourceHit]) {
        var filter = PostgresQueryBuilder("FROM resources r JOIN datasets d ON d.id = r.dataset_id WHERE true")
        if let text = query.text, !text.isEmpty {
            let needle = filter.bind(text.lowercased())
            filter.append(
                " AND (strpos(lower(r.name), \(needle)) > 0 OR strpos(lower(r.url), \(needle)) > 0 OR strpos(lower(r.description), \(needle)) > 0)")
        }
        for (column, value) in [("r.name", query.name), ("r.url", query.url), ("r.description", query.description)] {
            if let value { filter.append(" AND strpos(lower(\(column)), \(filter.bind(value.lowercased()))) > 0") }
        }
        if let format = query.format { filter.append(" AND lower(r.format) = \(filter.bind(format.lowercased()))") }
        switch query.privateVisibility {
        case .none: filter.append(" AND NOT d.is_private")
        case .createdBy(let creator): filter.append(" AND (NOT d.is_private OR d.creator_user_id = \(filter.bind(creator)))")
        case .all: break
        }
        var counting = filter
        counting.prepend("SELECT count(*) ")
        var listing = filter
        listing.prepend("SELECT r.document, d.id, d.name, d.title, d.is_private, d.creator_user_id ")
        listing.append(" ORDER BY d.created, d.id, r.position LIMIT \(listing.bind(query.limit)) OFFSET \(listing.bind(query.offset))")
        let count = try await rows(counting.query).first?.decode(Int.self) ?? 0
        let hits = try await rows(listing.query).compactMap { row -> ResourceHit? in
            let (document, datasetID, datasetName, datasetTitle, isPrivate, creator) = try row.decode(
                (String, String, String, String, Bool, String?).self)
            guard let resource = CatalogResource(storedText: document) else { return nil }
            return ResourceHit(
                resource: resource, datasetID: datasetID, datasetName: datasetName, datasetTitle: datasetTitle, datasetIsPrivate: isPrivate,
                datasetCreator: creator)
        }
        return (count, hits)
    }

    /// Datasets from rows whose first column is the `document`, with their resources (one query
    /// for all), on `connection` inside a transaction or on the pool.
    private func load(_ rows: [PostgresRow], using connection: PostgresConnection?) async throws -> [CatalogDataset] {
        let stored = StoredDatasets(texts: rows.compactMap { try? $0.decode(String.self) })
        let ids = stored.ids
        guard !ids.isEmpty else { return [] }
        let query: PostgresQuery = "SELECT dataset_id, document FROM resources WHERE dataset_id = ANY(\(ids)) ORDER BY dataset_id, position"
        let found =
            if let connection {
                try await connection.query(query, logger: logger).collect()
            } else {
                try await client.query(query, logger: logger).collect()
            }
        return stored.assemble(resources: try found.map { try $0.decode((String, String).self) })
    }

    private static func organizationID(_ name: String, on connection: PostgresConnection, _ logger: Logger) async throws -> String {
        guard
            let id = try await connection.query("SELECT id FROM organizations WHERE name = \(name) FOR KEY SHARE", logger: logger).collect()
                .first?.decode(String.self)
        else { throw CatalogError.organizationMissing(name) }
        return id
    }

    /// All of a dataset's resources in one statement (arrays unnested).
    private static func insertResources(of dataset: CatalogDataset, on connection: PostgresConnection, _ logger: Logger) async throws {
        let resources = dataset.resources
        guard !resources.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO resources (id, dataset_id, position, name, url, format, description, document)
            SELECT id, \(dataset.id), position, name, url, format, description, document
            FROM unnest(\(resources.map(\.id))::text[], \(Array(resources.indices))::bigint[], \(resources.map(\.name))::text[],
                        \(resources.map(\.url))::text[], \(resources.map(\.format))::text[], \(resources.map(\.description))::text[],
                        \(resources.map { text($0.document) })::text[])
                 AS r(id, position, name, url, format, description, document)
            """, logger: logger)
    }

    private static func text(_ document: JSONValue) -> String {
        String(decoding: document.bytes(), as: UTF8.self)
    }

    /// The dataset's words as distinct lexemes; PostgreSQL refuses a lexeme of 2 KiB or more, and
    /// nobody searches for one.
    static func lexemes(_ text: String) -> [String] {
        Array(Set(CatalogText.words(text).filter { $0.utf8.count < 2048 })).sorted()
    }

    func datasetCount() async throws -> Int {
        try await rows("SELECT count(*) FROM datasets").first?.decode(Int.self) ?? 0
    }

    func refreshStatistics() async throws {
        _ = try await call(deadline: .seconds(300)) { [client, logger] in
            try await client.query("ANALYZE organizations, datasets, resources", logger: logger).collect().count
        }
    }

    /// A short deadline: readiness and `/status/` ask, and must answer while the database is away.
    func ping() async throws {
        _ = try await call(deadline: .seconds(2)) { [client, logger] in try await client.query("SELECT 1", logger: logger).collect().count }
    }

    func close() async throws {
        runner.cancel()
        await runner.value
    }

    private static func organization(_ row: PostgresRow) throws -> CatalogOrganization {
        let (id, name, title, description, userID, md5, created) = try row.decode((String, String, String, String, String?, String?, Date).self)
        return CatalogOrganization(
            id: id, name: name, title: title, description: description, creator: userID.map { CreatorStamp(userID: $0, md5: md5 ?? "") },
            created: created)
    }
}

extension PSQLError {
    var sqlState: String? { serverInfo?[.sqlState] }
}

/// A statement assembled from parts, its values bound as `$1`, `$2`, … in order.
struct PostgresQueryBuilder: Sendable {
    private var sql: String
    private var bindings = PostgresBindings()

    init(_ sql: String) { self.sql = sql }

    /// Binds `value` and returns its placeholder.
    mutating func bind(_ value: some PostgresNonThrowingEncodable & Sendable) -> String {
        bindings.append(value)
        return "$\(bindings.count)"
    }

    mutating func append(_ part: String) { sql += part }

    /// Binds `value` and appends its placeholder.
    mutating func append(bound value: some PostgresNonThrowingEncodable & Sendable) {
        let placeholder = bind(value)
        sql += placeholder
    }
    mutating func prepend(_ part: String) { sql = part + sql }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: bindings) }
}
