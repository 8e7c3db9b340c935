-- The chain's central books: one schema for every location, each row keyed
-- by (location, the location's own id). Rows come only from paydesk serve's
-- replication; nothing here is edited by hand.

-- +goose Up
CREATE TABLE locations (
    location        text PRIMARY KEY,           -- the stable id from [replicate] location
    name            text NOT NULL DEFAULT '',
    currency        text NOT NULL DEFAULT '',
    locale          text NOT NULL DEFAULT '',
    time_zone       text NOT NULL DEFAULT '',
    file_id         text NOT NULL,              -- which bbolt file ships here: two files claiming one location are refused
    op_id           bigint NOT NULL DEFAULT 0,  -- the cursor: everything up to here has arrived
    audit_seq       bigint NOT NULL DEFAULT 0,
    change_seq      bigint NOT NULL DEFAULT 0,
    shipped_at      timestamptz
);

CREATE TABLE registers (
    location      text NOT NULL,
    id            text NOT NULL,
    name          text NOT NULL,
    kind          text NOT NULL,
    start_balance bigint NOT NULL,
    position      integer NOT NULL,
    PRIMARY KEY (location, id)
);

CREATE TABLE operations (
    location      text NOT NULL,
    id            bigint NOT NULL,
    key           text NOT NULL,
    kind          text NOT NULL,
    business_date date NOT NULL,
    time          timestamptz NOT NULL,
    staff         text NOT NULL,
    client_id     bigint NOT NULL DEFAULT 0,
    booking_id    text NOT NULL DEFAULT '',
    comment       text NOT NULL DEFAULT '',
    lines         jsonb,
    reverses      bigint NOT NULL DEFAULT 0,
    provider_ref  text NOT NULL DEFAULT '',
    PRIMARY KEY (location, id)
);
CREATE INDEX operations_day ON operations (location, business_date);
CREATE INDEX operations_reverses ON operations (location, reverses) WHERE reverses <> 0;

-- business_date and kind are the operation's, copied so day totals are one
-- index range over postings.
CREATE TABLE postings (
    location      text NOT NULL,
    op_id         bigint NOT NULL,
    n             smallint NOT NULL,
    account       text NOT NULL,
    amount        bigint NOT NULL,
    business_date date NOT NULL,
    kind          text NOT NULL,
    PRIMARY KEY (location, op_id, n)
);
-- A register's opening is the sum of everything before a day: one index-only range.
CREATE INDEX postings_account_day ON postings (location, account, business_date) INCLUDE (amount);
CREATE INDEX postings_day ON postings (location, business_date);

CREATE TABLE clients (
    location     text NOT NULL,
    id           bigint NOT NULL,
    name         text NOT NULL,
    phone        text NOT NULL,
    email        text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    credit_limit bigint NOT NULL DEFAULT 0,
    created      timestamptz NOT NULL,
    PRIMARY KEY (location, id)
);
CREATE INDEX clients_phone ON clients (phone);

CREATE TABLE bookings (
    location       text NOT NULL,
    id             text NOT NULL,
    client_id      bigint NOT NULL DEFAULT 0,
    service        text NOT NULL DEFAULT '',
    starts_at      timestamptz,
    group_event    boolean NOT NULL DEFAULT false,
    total          bigint NOT NULL DEFAULT 0,
    paid           bigint NOT NULL DEFAULT 0,
    refunded       bigint NOT NULL DEFAULT 0,
    status         text NOT NULL,
    flag           text NOT NULL DEFAULT '',
    payment_intent text NOT NULL DEFAULT '',
    created        timestamptz,
    updated        timestamptz,
    PRIMARY KEY (location, id)
);

CREATE TABLE refunds (
    location     text NOT NULL,
    key          text NOT NULL,
    booking_id   text NOT NULL,
    amount       bigint NOT NULL,
    reason       text NOT NULL DEFAULT '',
    staff        text NOT NULL DEFAULT '',
    status       text NOT NULL,
    provider_ref text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    operation_id bigint NOT NULL DEFAULT 0,
    created      timestamptz,
    updated      timestamptz,
    PRIMARY KEY (location, key)
);

-- Names and roles only: PINs never leave the location.
CREATE TABLE staff (
    location text NOT NULL,
    name     text NOT NULL,
    role     text NOT NULL,
    disabled boolean NOT NULL DEFAULT false,
    created  timestamptz,
    PRIMARY KEY (location, name)
);

CREATE TABLE audit (
    location text NOT NULL,
    seq      bigint NOT NULL,
    time     timestamptz NOT NULL,
    staff    text NOT NULL DEFAULT '',
    action   text NOT NULL,
    subject  text NOT NULL DEFAULT '',
    reason   text NOT NULL DEFAULT '',
    detail   text NOT NULL DEFAULT '',
    PRIMARY KEY (location, seq)
);

-- Views for the chain's reports. A register's day is what the location's
-- own aggregate holds: money in is the sum of its positive postings, out the
-- sum of its negative ones, by kind the net per operation kind.
CREATE VIEW register_days AS
SELECT location,
       substr(account, 10) AS register,
       business_date,
       coalesce(sum(amount) FILTER (WHERE amount >= 0), 0)::bigint AS money_in,
       coalesce(-sum(amount) FILTER (WHERE amount < 0), 0)::bigint AS money_out,
       sum(amount)::bigint AS net,
       count(*)::bigint AS postings
FROM postings
WHERE account LIKE 'register/%'
GROUP BY location, account, business_date;

CREATE VIEW register_day_kinds AS
SELECT location, substr(account, 10) AS register, business_date, kind, sum(amount)::bigint AS net
FROM postings
WHERE account LIKE 'register/%'
GROUP BY location, account, business_date, kind;

-- What the business owes each client at each location (deposits are credit-normal).
CREATE VIEW client_balances AS
SELECT c.location, c.id, c.name, c.phone, c.email,
       coalesce((SELECT -sum(p.amount) FROM postings p
                 WHERE p.location = c.location AND p.account = 'client/' || c.id), 0)::bigint AS balance
FROM clients c;

CREATE VIEW refunds_due AS
SELECT b.location, b.id AS booking_id, b.client_id, coalesce(c.name, '') AS client_name,
       coalesce(c.phone, '') AS client_phone, b.service, b.starts_at, b.paid, b.refunded,
       (b.paid - b.refunded) AS due
FROM bookings b
LEFT JOIN clients c ON c.location = b.location AND c.id = b.client_id
WHERE b.status = 'canceled' AND b.paid > b.refunded;

-- Operations with the reversal that undid them, as the desk shows them.
CREATE VIEW operations_reversed AS
SELECT o.*, r.id AS reversed_by
FROM operations o
LEFT JOIN operations r ON r.location = o.location AND r.reverses = o.id AND r.reverses <> 0;

-- +goose Down
DROP VIEW operations_reversed;
DROP VIEW refunds_due;
DROP VIEW client_balances;
DROP VIEW register_day_kinds;
DROP VIEW register_days;
DROP TABLE audit, staff, refunds, bookings, clients, postings, operations, registers, locations;
