-- Read models. Each is owned by one projection and can be rebuilt from the event log.

CREATE FUNCTION jsonb_text_array(j jsonb) RETURNS text[]
    LANGUAGE sql
    IMMUTABLE
AS
$$
SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM jsonb_array_elements_text(coalesce(j, '[]'::jsonb)) AS x
$$;

-- Inventory: the latest spec of each device as jsonb, with typed columns generated from it so a
-- projection writes one value and queries stay indexed.
CREATE TABLE devices
(
    id             text PRIMARY KEY,
    spec           jsonb       NOT NULL,
    status         text        NOT NULL,
    registered_at  timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    version        bigint      NOT NULL,
    hostname       text GENERATED ALWAYS AS (spec ->> 'hostname') STORED,
    address        text GENERATED ALWAYS AS (spec ->> 'address') STORED,
    port           integer GENERATED ALWAYS AS ((spec ->> 'port')::integer) STORED,
    platform       text GENERATED ALWAYS AS (spec ->> 'platform') STORED,
    vendor         text GENERATED ALWAYS AS (spec ->> 'vendor') STORED,
    model          text GENERATED ALWAYS AS (spec ->> 'model') STORED,
    site           text GENERATED ALWAYS AS (spec ->> 'site') STORED,
    group_path     text GENERATED ALWAYS AS (spec ->> 'group') STORED,
    tags           text[] GENERATED ALWAYS AS (jsonb_text_array(spec -> 'tags')) STORED,
    latitude       double precision GENERATED ALWAYS AS ((spec -> 'location' ->> 'latitude')::double precision) STORED,
    longitude      double precision GENERATED ALWAYS AS ((spec -> 'location' ->> 'longitude')::double precision) STORED,
    credential_ref text GENERATED ALWAYS AS (spec ->> 'credential_ref') STORED,
    notes          text GENERATED ALWAYS AS (spec ->> 'notes') STORED
) WITH (fillfactor = 70); -- room on each page for HOT updates: most updates change no indexed column
CREATE INDEX devices_hostname ON devices (lower(hostname), id);
CREATE INDEX devices_site ON devices (site);
CREATE INDEX devices_platform ON devices (platform);
CREATE INDEX devices_group ON devices (group_path text_pattern_ops);
CREATE INDEX devices_tags ON devices USING gin (tags);
CREATE INDEX devices_status ON devices (status);

-- Audit trail: one row per event, with who/what/when/where from and before/after for updates.
CREATE TABLE audit_log
(
    position       bigint PRIMARY KEY,
    recorded_at    timestamptz NOT NULL,
    actor          text        NOT NULL,
    source         text        NOT NULL,
    request_ip     text,
    correlation_id text        NOT NULL,
    aggregate_type text        NOT NULL,
    aggregate_id   text        NOT NULL,
    sequence       bigint      NOT NULL,
    event_type     text        NOT NULL,
    -- Summary, before/after and payload are derived from the event itself when read (joined
    -- by position): the projection stores only what filters and sorts need.
    subject        text        NOT NULL
);
CREATE INDEX audit_log_time ON audit_log (recorded_at DESC, position DESC);
CREATE INDEX audit_log_actor ON audit_log (actor, position DESC);
CREATE INDEX audit_log_aggregate ON audit_log (aggregate_type, aggregate_id, position DESC);
CREATE INDEX audit_log_type ON audit_log (event_type, position DESC);

-- Users as seen by the admin page.
CREATE TABLE users
(
    username             text PRIMARY KEY,
    display_name         text        NOT NULL,
    role                 text        NOT NULL,
    must_change_password boolean     NOT NULL,
    disabled             boolean     NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL,
    last_sign_in_at      timestamptz
);

-- Not event-sourced on purpose: credential material never enters the event log.
CREATE TABLE user_passwords
(
    username   text PRIMARY KEY,
    hash       text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions
(
    token_hash   bytea PRIMARY KEY,
    username     text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ip           text
);
CREATE INDEX sessions_username ON sessions (username);
