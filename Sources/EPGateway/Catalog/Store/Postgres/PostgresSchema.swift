/// The PostgreSQL catalog's schema, one migration a version, applied in order at start-up under
/// an advisory lock (several replicas may start at once); each version is one transaction and
/// is never edited once released (add a new one instead).
enum PostgresSchema {
    static let migrations: [[String]] = [
        // 1: organizations, datasets (indexed columns, the whole dataset as JSON text, and its
        //    words as a tsvector under a GIN index), and their resources.
        [
            """
            CREATE TABLE organizations (
                id text PRIMARY KEY,
                name text NOT NULL UNIQUE,
                title text NOT NULL,
                description text NOT NULL DEFAULT '',
                creator_user_id text,
                creator_md5 text,
                created timestamptz NOT NULL
            )
            """,
            """
            CREATE TABLE datasets (
                id text PRIMARY KEY,
                name text NOT NULL UNIQUE,
                organization_id text NOT NULL REFERENCES organizations(id),
                is_private boolean NOT NULL DEFAULT false,
                creator_user_id text,
                title text NOT NULL DEFAULT '',
                document text NOT NULL,
                words tsvector NOT NULL,
                created timestamptz NOT NULL,
                modified timestamptz NOT NULL
            )
            """,
            "CREATE INDEX datasets_by_organization ON datasets (organization_id)",
            "CREATE INDEX datasets_by_created ON datasets (created DESC)",
            "CREATE INDEX datasets_by_words ON datasets USING GIN (words)",
            """
            CREATE TABLE resources (
                id text PRIMARY KEY,
                dataset_id text NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
                position bigint NOT NULL,
                name text NOT NULL DEFAULT '',
                url text NOT NULL DEFAULT '',
                format text NOT NULL DEFAULT '',
                description text NOT NULL DEFAULT '',
                document text NOT NULL
            )
            """,
            "CREATE INDEX resources_by_dataset ON resources (dataset_id, position)",
        ],
        // 2: access requests (AccessRequests/Store).
        AccessRequestStore.migration,
        // 3: staging jobs (Staging/Store).
        StagingJobStore.migration,
        // 4: the CKAN action API's other page order (`metadata_modified`; `created` has one).
        [
            "CREATE INDEX datasets_by_modified ON datasets (modified DESC)"
        ],
        // 5: who may see a dataset, as searches ask it: counting every match of a page is an
        //    index-only scan rather than a read of every dataset's document.
        [
            "CREATE INDEX datasets_by_visibility ON datasets (is_private, creator_user_id)"
        ],
        // 6: MCP sessions (MCP/Sessions).
        DatabaseMCPSessionStore.migration,
    ]

    static var latestVersion: Int { migrations.count }

    /// The advisory lock migrations hold (any fixed number; this one spells "ndpcat").
    static let migrationLock: Int64 = 0x6E_6470_6361_74
}
