-- Latency monitoring: destinations, jobs, samples with rollups, device health, alerts.

-- Read model of the `monitoring` projection: places engineers measure latency to.
CREATE TABLE destinations
(
    id         text PRIMARY KEY,
    name       text        NOT NULL,
    address    text        NOT NULL,
    site       text        NOT NULL DEFAULT '',
    city       text        NOT NULL DEFAULT '',
    country    text        NOT NULL DEFAULT '',
    tags       text[]      NOT NULL DEFAULT '{}',
    removed    boolean     NOT NULL DEFAULT false,
    version    bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX destinations_name ON destinations (lower(name)) WHERE NOT removed;

-- Read model of the `monitoring` projection: one row per job.
CREATE TABLE monitor_jobs
(
    id            text PRIMARY KEY,
    name          text        NOT NULL,
    status        text        NOT NULL,
    selection     text        NOT NULL,
    spec          jsonb       NOT NULL,
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz,
    interval_ms   integer     NOT NULL,
    targets_total integer     NOT NULL,
    created_by    text        NOT NULL,
    created_at    timestamptz NOT NULL,
    started_at    timestamptz,
    finished_at   timestamptz,
    cancelled_by  text,
    finish_reason text,
    version       bigint      NOT NULL
);
CREATE INDEX monitor_jobs_status ON monitor_jobs (status, starts_at);

-- Read model of the `monitoring` projection: intervals with no measurement (the server was down).
CREATE TABLE monitor_job_gaps
(
    job_id   text        NOT NULL,
    gap_from timestamptz NOT NULL,
    gap_to   timestamptz NOT NULL,
    PRIMARY KEY (job_id, gap_from)
);

-- Measurements, not facts (DESIGN.md section 5): one row per target per round, written in
-- batches by the collector. Partitioned by day; partitions are created ahead by the writer and
-- the default partition keeps any row that arrives for a day without one.
CREATE TABLE monitor_samples
(
    job_id     text        NOT NULL,
    target     text        NOT NULL,
    at         timestamptz NOT NULL,
    sent       smallint    NOT NULL,
    received   smallint    NOT NULL,
    rtt_min_us integer,
    rtt_avg_us integer,
    rtt_max_us integer,
    jitter_us  integer
) PARTITION BY RANGE (at);
CREATE TABLE monitor_samples_default PARTITION OF monitor_samples DEFAULT;
CREATE INDEX monitor_samples_job_at ON monitor_samples (job_id, at);

-- Rollups, updated in the same transaction as the samples they summarise. Sums (not averages)
-- so buckets merge exactly when later rows arrive.
CREATE TABLE monitor_rollup_1m
(
    job_id     text        NOT NULL,
    target     text        NOT NULL,
    bucket     timestamptz NOT NULL,
    rounds     integer     NOT NULL,
    sent       integer     NOT NULL,
    received   integer     NOT NULL,
    rtt_min_us integer,
    rtt_sum_us bigint      NOT NULL,
    rtt_n      integer     NOT NULL,
    rtt_max_us integer,
    jitter_sum_us bigint   NOT NULL,
    jitter_n   integer     NOT NULL,
    PRIMARY KEY (job_id, target, bucket)
);
CREATE TABLE monitor_rollup_1h (LIKE monitor_rollup_1m INCLUDING ALL);

-- Device health measurements (CPU % polled over SSH).
CREATE TABLE health_samples
(
    device_id text        NOT NULL,
    at        timestamptz NOT NULL,
    cpu_pct   real,
    error     text,
    PRIMARY KEY (device_id, at)
);

-- Read model of the `alerts` projection: one row per alert episode (raised .. cleared).
CREATE TABLE alerts
(
    id              text PRIMARY KEY,
    subject         text        NOT NULL,
    subject_label   text        NOT NULL,
    metric          text        NOT NULL,
    job_id          text,
    device_id       text,
    threshold       double precision NOT NULL,
    value           double precision NOT NULL,
    last_value      double precision NOT NULL,
    raised_at       timestamptz NOT NULL,
    cleared_at      timestamptz,
    -- Set when the episode ended because its source went away (the job finished), not by recovery.
    close_reason    text,
    acknowledged_by text,
    acknowledged_at timestamptz,
    ack_note        text
);
CREATE INDEX alerts_open ON alerts (raised_at DESC) WHERE cleared_at IS NULL;
CREATE INDEX alerts_subject ON alerts (subject, raised_at DESC);
