-- Fleet workers (framework/fleet/): when each store's pair is next due, and when each run
-- of a worker started against the time it was due (the lag operators watch).
CREATE TABLE fleet_schedule (
    tenant text NOT NULL, pair text NOT NULL, due_at timestamptz NOT NULL,
    interval_s double precision NOT NULL, PRIMARY KEY (tenant, pair));
CREATE INDEX fleet_schedule_due ON fleet_schedule (due_at);
CREATE TABLE fleet_starts (
    id bigserial PRIMARY KEY, tenant text NOT NULL, pair text NOT NULL,
    due_at timestamptz NOT NULL, started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz, worker text NOT NULL, run_id bigint, status text);
CREATE INDEX fleet_starts_pair ON fleet_starts (tenant, pair, id);
