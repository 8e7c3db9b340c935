-- The reports' views select register and client deposit accounts by the
-- prefix their ids begin with. The prefixes are the books' (finance
-- AccountPrefixes), which Migrate writes here after every migration, so no
-- SQL spells an account id.

-- +goose Up
CREATE TABLE account_prefixes (
    kind   text PRIMARY KEY,  -- 'register' or 'client'
    prefix text NOT NULL
);

CREATE OR REPLACE VIEW register_days AS
SELECT p.location,
       substr(p.account, length(ap.prefix) + 1) AS register,
       p.business_date,
       coalesce(sum(p.amount) FILTER (WHERE p.amount >= 0), 0)::bigint AS money_in,
       coalesce(-sum(p.amount) FILTER (WHERE p.amount < 0), 0)::bigint AS money_out,
       sum(p.amount)::bigint AS net,
       count(*)::bigint AS postings
FROM postings p
JOIN account_prefixes ap ON ap.kind = 'register' AND starts_with(p.account, ap.prefix)
GROUP BY p.location, p.account, p.business_date, ap.prefix;

CREATE OR REPLACE VIEW register_day_kinds AS
SELECT p.location, substr(p.account, length(ap.prefix) + 1) AS register, p.business_date, p.kind, sum(p.amount)::bigint AS net
FROM postings p
JOIN account_prefixes ap ON ap.kind = 'register' AND starts_with(p.account, ap.prefix)
GROUP BY p.location, p.account, p.business_date, p.kind, ap.prefix;

CREATE OR REPLACE VIEW client_balances AS
SELECT c.location, c.id, c.name, c.phone, c.email,
       coalesce((SELECT -sum(p.amount) FROM postings p, account_prefixes ap
                 WHERE ap.kind = 'client' AND p.location = c.location AND p.account = ap.prefix || c.id), 0)::bigint AS balance
FROM clients c;

-- +goose Down
CREATE OR REPLACE VIEW register_days AS
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

CREATE OR REPLACE VIEW register_day_kinds AS
SELECT location, substr(account, 10) AS register, business_date, kind, sum(amount)::bigint AS net
FROM postings
WHERE account LIKE 'register/%'
GROUP BY location, account, business_date, kind;

CREATE OR REPLACE VIEW client_balances AS
SELECT c.location, c.id, c.name, c.phone, c.email,
       coalesce((SELECT -sum(p.amount) FROM postings p
                 WHERE p.location = c.location AND p.account = 'client/' || c.id), 0)::bigint AS balance
FROM clients c;

DROP TABLE account_prefixes;
