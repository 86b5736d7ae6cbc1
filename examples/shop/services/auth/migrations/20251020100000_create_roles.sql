CREATE TABLE roles (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    text   NOT NULL CHECK (role IN ('admin', 'staff', 'customer')),
    PRIMARY KEY (user_id, role)
);

-- pgfleet:down
DROP TABLE roles;
