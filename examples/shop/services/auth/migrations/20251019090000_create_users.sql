CREATE TABLE users (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       citext NOT NULL UNIQUE,
    password    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- pgfleet:down
DROP TABLE users;
