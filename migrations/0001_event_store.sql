-- The event store: postgres-es's `events` table extended with a global order, the writing
-- transaction's id, and a per-aggregate hash chain. Append-only.

CREATE TABLE events
(
    aggregate_type  text                         NOT NULL,
    aggregate_id    text                         NOT NULL,
    sequence        bigint CHECK (sequence >= 1) NOT NULL,
    event_type      text                         NOT NULL,
    event_version   text                         NOT NULL,
    -- `json` (not jsonb) keeps the exact text that was hashed.
    payload         json                         NOT NULL,
    metadata        json                         NOT NULL,
    global_position bigint GENERATED ALWAYS AS IDENTITY,
    tx_id           xid8                         NOT NULL DEFAULT pg_current_xact_id(),
    hash            bytea                        NOT NULL,
    -- metadata.recorded_at as a typed column, set on insert, so set-based projections never
    -- cast untrusted text (a bad cast would stall them).
    recorded_at     timestamptz                  NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

-- Readers follow (tx_id, global_position) below the oldest running transaction, so an event
-- committed late by a slow writer is never skipped.
CREATE UNIQUE INDEX events_global_order ON events (tx_id, global_position);
CREATE UNIQUE INDEX events_global_position ON events (global_position);

CREATE TABLE snapshots
(
    aggregate_type   text                                 NOT NULL,
    aggregate_id     text                                 NOT NULL,
    last_sequence    bigint CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload          json                                 NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);
-- postgres-es looks snapshots up by aggregate only.
CREATE UNIQUE INDEX snapshots_by_aggregate ON snapshots (aggregate_type, aggregate_id);

-- The link of one event in its aggregate's chain. Used by the insert trigger and by
-- `netledger audit verify`, so both compute exactly the same bytes.
CREATE FUNCTION event_hash(prev bytea, a_type text, a_id text, seq bigint, e_type text, e_version text,
                           payload json, metadata json)
    RETURNS bytea
    LANGUAGE sql
    IMMUTABLE
AS
$$
SELECT sha256(coalesce(prev, ''::bytea) || convert_to(
        a_type || E'\x1f' || a_id || E'\x1f' || seq::text || E'\x1f' || e_type || E'\x1f' || e_version
            || E'\x1f' || payload::text || E'\x1f' || metadata::text, 'UTF8'))
$$;

CREATE FUNCTION events_chain() RETURNS trigger
    LANGUAGE plpgsql
AS
$$
DECLARE
    prev bytea;
BEGIN
    IF NEW.sequence > 1 THEN
        SELECT e.hash INTO prev
        FROM events e
        WHERE e.aggregate_type = NEW.aggregate_type
          AND e.aggregate_id = NEW.aggregate_id
          AND e.sequence = NEW.sequence - 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'event % of %/% has no predecessor', NEW.sequence, NEW.aggregate_type, NEW.aggregate_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    NEW.hash := event_hash(prev, NEW.aggregate_type, NEW.aggregate_id, NEW.sequence, NEW.event_type,
                           NEW.event_version, NEW.payload, NEW.metadata);
    BEGIN
        NEW.recorded_at := coalesce((NEW.metadata ->> 'recorded_at')::timestamptz, now());
    EXCEPTION
        WHEN others THEN NEW.recorded_at := now();
    END;
    RETURN NEW;
END
$$;

CREATE TRIGGER events_chain
    BEFORE INSERT
    ON events
    FOR EACH ROW
EXECUTE FUNCTION events_chain();

CREATE FUNCTION events_append_only() RETURNS trigger
    LANGUAGE plpgsql
AS
$$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on events is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_no_update_or_delete
    BEFORE UPDATE OR DELETE
    ON events
    FOR EACH ROW
EXECUTE FUNCTION events_append_only();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE
    ON events
    FOR EACH STATEMENT
EXECUTE FUNCTION events_append_only();

CREATE FUNCTION events_notify() RETURNS trigger
    LANGUAGE plpgsql
AS
$$
BEGIN
    PERFORM pg_notify('events', NEW.global_position::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify
    AFTER INSERT
    ON events
    FOR EACH ROW
EXECUTE FUNCTION events_notify();

-- One row per projection: the (tx_id, global_position) of the last event it applied.
CREATE TABLE projection_checkpoints
(
    name           text PRIMARY KEY,
    tx_id          xid8        NOT NULL DEFAULT '0'::xid8,
    position       bigint      NOT NULL DEFAULT 0,
    events_applied bigint      NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
