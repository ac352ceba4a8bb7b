-- The state of many stores in one schema: every table starts with the tenant (one store
-- of a fleet), so each pair's rows are keyed by it. Mirrors framework/state/sqlite.py.
CREATE TABLE cursors (
    tenant text NOT NULL, pair text NOT NULL, entity text NOT NULL, side text NOT NULL,
    cursor text, full_done boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant, pair, entity, side));
CREATE TABLE records (
    tenant text NOT NULL, pair text NOT NULL, entity text NOT NULL, side text NOT NULL,
    id text NOT NULL, link_key text, link_id bigint, deleted boolean NOT NULL DEFAULT false,
    data bytea, latest bytea, hash bytea,
    PRIMARY KEY (tenant, pair, entity, side, id));
CREATE TABLE links (
    id bigserial PRIMARY KEY, tenant text NOT NULL, pair text NOT NULL, entity text NOT NULL,
    pos_id text NOT NULL, platform_id text NOT NULL, link_key text,
    status text NOT NULL DEFAULT 'ok', created_at timestamptz NOT NULL DEFAULT now());
CREATE UNIQUE INDEX links_pos ON links (tenant, pair, entity, pos_id);
CREATE UNIQUE INDEX links_platform ON links (tenant, pair, entity, platform_id);
CREATE INDEX links_key ON links (tenant, pair, entity, link_key);
CREATE TABLE keys (
    tenant text NOT NULL, pair text NOT NULL, entity text NOT NULL, side text NOT NULL,
    name text NOT NULL, value text NOT NULL, id text NOT NULL,
    PRIMARY KEY (tenant, pair, entity, side, name, value, id));
CREATE INDEX keys_by_id ON keys (tenant, pair, entity, side, id);
CREATE TABLE inbox (
    seq bigserial PRIMARY KEY, tenant text NOT NULL, pair text NOT NULL,
    entity text NOT NULL, side text NOT NULL, id text NOT NULL, change bytea NOT NULL);
CREATE INDEX inbox_record ON inbox (tenant, pair, entity, side, id);
CREATE INDEX inbox_entity ON inbox (tenant, pair, entity, seq);
CREATE TABLE journal (
    seq bigserial PRIMARY KEY, tenant text NOT NULL, pair text NOT NULL,
    entity text NOT NULL, side text NOT NULL, link_id bigint, request bytea NOT NULL,
    expected bytea, source bytea, attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX journal_pair ON journal (tenant, pair, entity, seq);
CREATE TABLE problems (
    id bigserial PRIMARY KEY, tenant text NOT NULL, pair text NOT NULL, entity text NOT NULL,
    side text NOT NULL, record_id text NOT NULL, rule text NOT NULL, reason text NOT NULL,
    payload bytea, attempts integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(), resolved_at timestamptz);
CREATE INDEX problems_record ON problems (tenant, pair, entity, side, record_id);
CREATE INDEX problems_open ON problems (tenant, pair) WHERE resolved_at IS NULL;
CREATE TABLE runs (
    id bigserial PRIMARY KEY, tenant text NOT NULL, pair text NOT NULL,
    started_at timestamptz NOT NULL, finished_at timestamptz, status text NOT NULL,
    counts text, calls text, error text);
CREATE INDEX runs_pair ON runs (tenant, pair, id);
CREATE INDEX runs_tenant ON runs (tenant, id);
CREATE TABLE moves (
    seq bigserial PRIMARY KEY, tenant text NOT NULL, run_id bigint NOT NULL,
    entity text, record text, toward text, action text, fields text, rule text);
CREATE INDEX moves_run ON moves (tenant, run_id, seq);
CREATE TABLE leases (
    tenant text NOT NULL, pair text NOT NULL, holder text NOT NULL, pid integer NOT NULL,
    host text NOT NULL, started_at double precision NOT NULL,
    heartbeat_at double precision NOT NULL, ttl double precision NOT NULL, run_id bigint,
    PRIMARY KEY (tenant, pair));
CREATE TABLE merges (
    id bigserial PRIMARY KEY, tenant text NOT NULL, pair text NOT NULL, entity text NOT NULL,
    side text NOT NULL, survivor text NOT NULL, merged bytea NOT NULL, details bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX merges_pair ON merges (tenant, pair, id);
