-- Webhooks (issue 18, `syncwright serve`): the durable inbox of events, de-duplicated per
-- pair, system and event id, and counts per system. Mirrors framework/state/sqlite_webhooks.py.
CREATE TABLE webhook_notifications (
    id bigserial PRIMARY KEY, tenant text NOT NULL, pair text NOT NULL, system text NOT NULL,
    event_id text NOT NULL, entity text NOT NULL, kind text NOT NULL, record_ids text NOT NULL,
    occurred_at double precision, received_at double precision NOT NULL,
    done boolean NOT NULL DEFAULT false, run_id bigint,
    UNIQUE (tenant, pair, system, event_id));
CREATE INDEX webhook_pending ON webhook_notifications (tenant, pair, done, id);
CREATE TABLE webhook_counts (
    tenant text NOT NULL, system text NOT NULL, counter text NOT NULL, n bigint NOT NULL,
    PRIMARY KEY (tenant, system, counter));
CREATE TABLE webhook_last (
    tenant text NOT NULL, system text NOT NULL, at double precision, status text,
    event_id text, PRIMARY KEY (tenant, system));
