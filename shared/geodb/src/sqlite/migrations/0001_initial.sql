-- GeoDB on SQLite, version 1. UUIDs are hyphenated lower-case TEXT (their text order is their
-- byte order), timestamps INTEGER milliseconds since the epoch, booleans INTEGER 0/1.
-- No foreign keys: the CQL backend cannot enforce them, so the checks that matter live in
-- transactions in the Rust code and both backends refuse the same things.

CREATE TABLE tags (
    id   TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE sites (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL UNIQUE,
    tag_id        TEXT,
    load_balancer TEXT,
    status        TEXT NOT NULL
);
CREATE INDEX sites_by_tag ON sites (tag_id) WHERE tag_id IS NOT NULL;

CREATE TABLE backends (
    id          TEXT PRIMARY KEY NOT NULL,
    site_id     TEXT NOT NULL,
    host        TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL,
    load_factor INTEGER NOT NULL
);
CREATE INDEX backends_by_site ON backends (site_id, host);

CREATE TABLE user_groups (
    site_id        TEXT NOT NULL,
    name           TEXT NOT NULL,
    backend_id     TEXT NOT NULL,
    alt_backend_id TEXT,
    moving         TEXT,
    sticky_users   INTEGER NOT NULL DEFAULT 0,
    sticky_backend INTEGER NOT NULL DEFAULT 0,
    last_moved_at  INTEGER,
    PRIMARY KEY (site_id, name)
) WITHOUT ROWID;
CREATE INDEX user_groups_by_backend ON user_groups (backend_id);
-- After a finished move alt_backend_id keeps the previous backend; only a moving group
-- still needs its destination.
CREATE INDEX user_groups_moving_to ON user_groups (alt_backend_id) WHERE moving IS NOT NULL;

-- An unassigned user has group_name '' so that it sorts first and keyset paging over
-- (group_name, name) needs no NULL handling.
CREATE TABLE users (
    name                  TEXT PRIMARY KEY NOT NULL,
    site_id               TEXT NOT NULL,
    group_name            TEXT NOT NULL DEFAULT '',
    failover_group        TEXT,
    moving_site_id        TEXT,
    moving_group          TEXT,
    moving_failover_group TEXT
);
CREATE INDEX users_by_site_group ON users (site_id, group_name, name);

CREATE TABLE proxy_dest_stats (
    site_id      TEXT NOT NULL,
    proxy        TEXT NOT NULL,
    backend_id   TEXT NOT NULL,
    protocol     TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    window_secs  INTEGER NOT NULL,
    successes    INTEGER NOT NULL,
    failures     INTEGER NOT NULL,
    PRIMARY KEY (site_id, proxy, backend_id, protocol, window_start)
) WITHOUT ROWID;
CREATE INDEX proxy_dest_stats_by_window ON proxy_dest_stats (site_id, window_start);

-- scope_id is '' for the global scope.
CREATE TABLE cluster_settings (
    scope_kind TEXT NOT NULL,
    scope_id   TEXT NOT NULL,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (scope_kind, scope_id, name)
) WITHOUT ROWID;

CREATE TABLE site_reachability (
    src_site_id  TEXT NOT NULL,
    dest_site_id TEXT NOT NULL,
    reachable    INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (src_site_id, dest_site_id)
) WITHOUT ROWID;
CREATE INDEX site_reachability_by_dest ON site_reachability (dest_site_id, src_site_id);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
CREATE INDEX api_tokens_by_created ON api_tokens (created_at, id);
