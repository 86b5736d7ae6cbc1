-- migrate:up
CREATE TABLE invoices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL,          -- auth.users.id, checked by `pgfleet verify`
    total_cents bigint NOT NULL CHECK (total_cents >= 0),
    issued_at   timestamptz NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE invoices;
