-- What operators use (issue 15): every write's history per field, records kept apart, and
-- journaled writes a guard held back. Mirrors framework/state/sqlite_ops.py.
CREATE TABLE history (
    id bigserial PRIMARY KEY, tenant text NOT NULL, run_id bigint, at timestamptz NOT NULL,
    pair text NOT NULL, entity text NOT NULL, link_id bigint, pos_id text, platform_id text,
    action text NOT NULL, field text, old bytea, new bytea, source text, toward text,
    policy text, rule text, associate text, note text);
CREATE INDEX history_link ON history (tenant, link_id) WHERE link_id IS NOT NULL;
CREATE INDEX history_pos ON history (tenant, pair, entity, pos_id);
CREATE INDEX history_platform ON history (tenant, pair, entity, platform_id);
CREATE INDEX history_age ON history (tenant, id);
CREATE TABLE apart (
    tenant text NOT NULL, pair text NOT NULL, entity text NOT NULL, pos_id text NOT NULL,
    platform_id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, pair, entity, pos_id, platform_id));
ALTER TABLE journal ADD COLUMN held_run bigint, ADD COLUMN held_kind text,
    ADD COLUMN held_reason text;
CREATE INDEX journal_held ON journal (tenant, pair, held_run) WHERE held_run IS NOT NULL;
