#!/usr/bin/env python3
"""Writes N migrations of the kind real services accumulate, the same SQL in the
layouts the migration benchmark feeds to each tool. Standard library only; the same
--n and --seed always give the same files.

    python3 bench/gen_migrations.py --n 500 --out DIR [--seed 7]

Under DIR:
  sqlx/migrations/<version>_<name>.sql      plain files (sqlx-cli; pgfleet reads them too)
  dbmate/db/migrations/<version>_<name>.sql with dbmate's `-- migrate:up` / `-- migrate:down`
  psql/all_txeach.sql                       every migration in its own BEGIN ... COMMIT,
                                            for one `psql -f` session: the floor
"""
import argparse
import os
import random

FIRST_VERSION = 20250101000000
WORDS = ["account", "invoice", "payment", "order", "shipment", "product", "ticket",
         "device", "address", "refund", "coupon", "review", "tenant", "region", "plan",
         "event", "audit", "message", "session", "ledger"]
COLUMNS = [("status", "smallint NOT NULL DEFAULT 0", "0"),
           ("amount", "numeric(12,2)", "12.50"),
           ("email", "text", "'someone@example.com'"),
           ("active", "boolean NOT NULL DEFAULT true", "true"),
           ("quantity", "integer", "3"),
           ("note", "text", "'n/a'"),
           ("placed_at", "timestamptz", "now()")]


class Schema:
    """The tables made so far and their columns, so later migrations refer to real ones."""

    def __init__(self, rng):
        self.rng = rng
        self.tables = {}

    def create_table(self, i):
        name = "%s_%d" % (self.rng.choice(WORDS), i)
        cols = self.rng.sample(COLUMNS, 3)
        self.tables[name] = [c[0] for c in cols]
        body = ",\n    ".join("%s %s" % (c[0], c[1]) for c in cols)
        refs = [t for t in self.tables if t != name]
        ref = ""
        if refs and self.rng.random() < 0.5:
            parent = self.rng.choice(refs)
            ref = ",\n    %s_id bigint REFERENCES %s (id)" % (parent, parent)
        sql = ("CREATE TABLE %s (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
               "    %s%s,\n    created_at timestamptz NOT NULL DEFAULT now()\n);\n") % (name, body, ref)
        return "create_" + name, sql

    def next(self, i):
        if not self.tables or self.rng.random() < 0.3:
            return self.create_table(i)
        table = self.rng.choice(sorted(self.tables))
        kind = self.rng.choice(["column", "index", "rows", "fix", "check", "view", "comment"])
        if kind == "column":
            col = "extra_%d" % i
            self.tables[table].append(col)
            return "add_%s_to_%s" % (col, table), \
                "ALTER TABLE %s ADD COLUMN %s text;\n" % (table, col)
        if kind == "index":
            col = self.rng.choice(self.tables[table])
            return "index_%s_%s" % (table, col), \
                "CREATE INDEX %s_%s_%d_idx ON %s (%s);\n" % (table, col, i, table, col)
        if kind == "rows":
            return "seed_%s" % table, \
                "INSERT INTO %s (created_at) SELECT now() - g * interval '1 minute' FROM generate_series(1, 50) g;\n" % table
        if kind == "fix":
            return "fix_%s" % table, \
                "UPDATE %s SET created_at = created_at WHERE id %% 7 = 0;\n" % table
        if kind == "check":
            return "check_%s_%d" % (table, i), \
                "ALTER TABLE %s ADD CONSTRAINT %s_created_%d CHECK (created_at > '2000-01-01');\n" % (table, table, i)
        if kind == "view":
            return "view_%s_%d" % (table, i), \
                "CREATE VIEW recent_%s_%d AS SELECT * FROM %s WHERE created_at > now() - interval '1 day';\n" % (table, i, table)
        return "comment_%s" % table, \
            "COMMENT ON TABLE %s IS 'touched by migration %d';\n" % (table, i)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sqlx = os.path.join(args.out, "sqlx", "migrations")
    dbmate = os.path.join(args.out, "dbmate", "db", "migrations")
    psql = os.path.join(args.out, "psql")
    for d in (sqlx, dbmate, psql):
        os.makedirs(d, exist_ok=True)
    schema = Schema(random.Random(args.seed))
    with open(os.path.join(psql, "all_txeach.sql"), "w") as floor:
        for i in range(1, args.n + 1):
            name, sql = schema.next(i)
            file = "%d_%s.sql" % (FIRST_VERSION + i, name)
            with open(os.path.join(sqlx, file), "w") as f:
                f.write(sql)
            with open(os.path.join(dbmate, file), "w") as f:
                f.write("-- migrate:up\n%s\n-- migrate:down\n" % sql)
            floor.write("BEGIN;\n%sCOMMIT;\n" % sql)
    print("%d migrations in %s" % (args.n, args.out))


if __name__ == "__main__":
    main()
