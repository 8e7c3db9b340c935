-- Closed days (issue 15): each register's close and the day's seal, as the
-- location wrote them. The seal chain itself is verified at the location
-- (`paydesk verify`); here it is a record of what was sealed and when.

-- +goose Up
CREATE TABLE day_closes (
    location   text NOT NULL,
    date       date NOT NULL,
    register   text NOT NULL,
    kind       text NOT NULL,
    expected   bigint NOT NULL,
    counted    bigint NOT NULL,
    over_short bigint NOT NULL,
    reason     text NOT NULL DEFAULT '',
    float      bigint NOT NULL DEFAULT 0,
    to_bank    bigint NOT NULL DEFAULT 0,
    staff      text NOT NULL DEFAULT '',
    time       timestamptz,
    PRIMARY KEY (location, date, register)
);

CREATE TABLE day_seals (
    location   text NOT NULL,
    date       date NOT NULL,
    prev       text NOT NULL DEFAULT '',
    prev_seal  text NOT NULL DEFAULT '',
    seal       text NOT NULL,
    operations integer NOT NULL,
    staff      text NOT NULL DEFAULT '',
    time       timestamptz,
    PRIMARY KEY (location, date)
);

-- +goose Down
DROP TABLE day_seals, day_closes;
