-- Operations, configuration archive, host keys and the vault.

-- Secrets (device credentials, lab credentials): AES-256-GCM under the master key, never in
-- events or logs. The id is what a device's `credential_ref` names.
CREATE TABLE vault_secrets
(
    id         text PRIMARY KEY,
    purpose    text        NOT NULL,
    nonce      bytea       NOT NULL,
    ciphertext bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Configuration text, content-addressed by the SHA-256 of the normalised text and encrypted
-- like the vault (configurations hold secrets). Immutable: a hash names one content forever.
CREATE TABLE config_blobs
(
    hash       text PRIMARY KEY,
    nonce      bytea       NOT NULL,
    ciphertext bytea       NOT NULL,
    bytes      integer     NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Read model of the `configs` projection: one row per configuration version.
CREATE TABLE config_versions
(
    device_id    text        NOT NULL,
    version      bigint      NOT NULL,
    running_hash text        NOT NULL,
    startup_hash text,
    drift        boolean     NOT NULL,
    operation_id text,
    actor        text        NOT NULL,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (device_id, version)
);

-- Read model of the `configs` projection: the latest backup of each device.
CREATE TABLE config_state
(
    device_id       text PRIMARY KEY,
    latest_version  bigint      NOT NULL,
    drift           boolean     NOT NULL,
    last_backup_at  timestamptz NOT NULL,
    last_changed    boolean     NOT NULL,
    backups         bigint      NOT NULL
);

-- Read model of the `host_keys` projection.
CREATE TABLE device_host_keys
(
    device_id   text PRIMARY KEY,
    fingerprint text        NOT NULL,
    trusted_at  timestamptz NOT NULL
);

-- Read model of the `operations` projection.
CREATE TABLE operations
(
    id            text PRIMARY KEY,
    kind          text        NOT NULL,
    status        text        NOT NULL,
    selection     text        NOT NULL,
    reason        text        NOT NULL,
    requested_by  text        NOT NULL,
    requested_at  timestamptz NOT NULL,
    scheduled_at  timestamptz,
    started_at    timestamptz,
    finished_at   timestamptz,
    concurrency   integer     NOT NULL,
    spec          jsonb       NOT NULL,
    targets_total integer     NOT NULL,
    succeeded     integer     NOT NULL DEFAULT 0,
    failed        integer     NOT NULL DEFAULT 0,
    cancelled     integer     NOT NULL DEFAULT 0,
    cancelled_by  text,
    cancel_reason text
);
CREATE INDEX operations_requested ON operations (requested_at DESC, id);
CREATE INDEX operations_status ON operations (status);

CREATE TABLE operation_targets
(
    operation_id text    NOT NULL,
    device_id    text    NOT NULL,
    ordinal      integer NOT NULL,
    hostname     text    NOT NULL,
    status       text    NOT NULL,
    summary      text    NOT NULL DEFAULT '',
    -- Progress steps as they arrive, then the final output.
    log          text    NOT NULL DEFAULT '',
    output       text    NOT NULL DEFAULT '',
    details      jsonb   NOT NULL DEFAULT 'null',
    started_at   timestamptz,
    finished_at  timestamptz,
    duration_ms  bigint,
    PRIMARY KEY (operation_id, device_id)
);
CREATE INDEX operation_targets_device ON operation_targets (device_id, operation_id);
