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
        ]
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
