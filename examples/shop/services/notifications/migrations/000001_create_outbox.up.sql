CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL,
    channel    text NOT NULL,
    payload    jsonb NOT NULL,
    sent_at    timestamptz
);
