/// The SQLite catalog's schema, one migration a version, applied in order at start-up; each
/// version is one transaction and is never edited once released (add a new one instead).
enum SQLiteSchema {
    /// Each migration's statements (SQLite prepares one statement per call).
    static let migrations: [[String]] = [
        // 1: organizations, datasets (indexed columns plus the whole dataset as JSON), their
        //    resources, and the full-text index over each dataset's words.
        [
            """
            CREATE TABLE organizations (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                title TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                creator_user_id TEXT,
                creator_md5 TEXT,
                created TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE datasets (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                organization_id TEXT NOT NULL REFERENCES organizations(id),
                private INTEGER NOT NULL DEFAULT 0,
                creator_user_id TEXT,
                document TEXT NOT NULL,
                created TEXT NOT NULL,
                modified TEXT NOT NULL
            )
            """,
            "CREATE INDEX datasets_by_organization ON datasets(organization_id)",
            """
            CREATE TABLE resources (
                id TEXT PRIMARY KEY,
                dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                name TEXT NOT NULL DEFAULT '',
                url TEXT NOT NULL DEFAULT '',
                format TEXT NOT NULL DEFAULT '',
                description TEXT NOT NULL DEFAULT '',
                document TEXT NOT NULL
            )
            """,
            "CREATE INDEX resources_by_dataset ON resources(dataset_id, position)",
            "CREATE VIRTUAL TABLE dataset_words USING fts5(dataset_id UNINDEXED, words, tokenize = 'unicode61')",
        ],
        // 2: the full-text index keyed by a stable integer (`dataset_search_rows.row`, an
        //    INTEGER PRIMARY KEY, which VACUUM keeps), so removing a dataset's words is a rowid
        //    lookup; version 1 found them by an UNINDEXED column, a scan of the whole index (50 ms
        //    an update or delete at 100,000 datasets, under the one writer).
        [
            "CREATE TABLE dataset_search_rows (row INTEGER PRIMARY KEY, dataset_id TEXT NOT NULL UNIQUE)",
            "CREATE VIRTUAL TABLE dataset_text USING fts5(words, tokenize = 'unicode61')",
            "INSERT INTO dataset_search_rows (dataset_id) SELECT dataset_id FROM dataset_words",
            """
            INSERT INTO dataset_text (rowid, words)
            SELECT r.row, w.words FROM dataset_words w JOIN dataset_search_rows r ON r.dataset_id = w.dataset_id
            """,
            "DROP TABLE dataset_words",
        ],
        // 3: access requests (AccessRequests/Store).
        AccessRequestStore.migration,
        // 4: staging jobs (Staging/Store).
        StagingJobStore.migration,
        // 5: the orders the CKAN action API pages by (`metadata_created`, `metadata_modified`),
        //    so a page of the newest datasets is an index walk, not a sort of every dataset.
        [
            "CREATE INDEX datasets_by_created ON datasets(created)",
            "CREATE INDEX datasets_by_modified ON datasets(modified)",
        ],
        // 6: who may see a dataset, as searches ask it (`private = 0 OR creator_user_id = ?`):
        //    counting every match of a page (the console's landing page, `package_search` of
        //    `*:*`) reads this small index instead of every dataset's document (35 ms → 4 ms
        //    among 100,000).
        [
            "CREATE INDEX datasets_by_visibility ON datasets(private, creator_user_id)"
        ],
        // 7: MCP sessions (MCP/Sessions).
        DatabaseMCPSessionStore.migration,
    ]

    static var latestVersion: Int { migrations.count }

    /// Set on every connection: write-ahead log (readers never wait for the writer), foreign
    /// keys, and a wait instead of an immediate "database is locked" when another process writes.
    static let connectionPragmas = [
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA busy_timeout = 5000",
    ]
}
