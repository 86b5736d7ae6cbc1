//! The names of the migration formats, as `pgfleet.toml` spells them (`format = "..."`).
//! What each format means (how its folders are read, whose history table it has) lives
//! with the readers in `migrate::formats`; the manifest only needs the names.

/// The migration formats pgfleet reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Native,
    Prisma,
    Dbmate,
    Sqlx,
    GolangMigrate,
    Flyway,
    NodePgMigrate,
    Goose,
    Atlas,
    Liquibase,
    Drizzle,
    Sqitch,
    Diesel,
    Pop,
    Hasura,
    GraphileMigrate,
    Supabase,
}

impl Format {
    pub const ALL: [Format; 17] = [
        Format::Native,
        Format::Prisma,
        Format::Dbmate,
        Format::Sqlx,
        Format::GolangMigrate,
        Format::Flyway,
        Format::NodePgMigrate,
        Format::Goose,
        Format::Atlas,
        Format::Liquibase,
        Format::Drizzle,
        Format::Sqitch,
        Format::Diesel,
        Format::Pop,
        Format::Hasura,
        Format::GraphileMigrate,
        Format::Supabase,
    ];

    /// The name used in `pgfleet.toml` (`format = "..."`) and in output.
    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::Prisma => "prisma",
            Format::Dbmate => "dbmate",
            Format::Sqlx => "sqlx",
            Format::GolangMigrate => "golang-migrate",
            Format::Flyway => "flyway",
            Format::NodePgMigrate => "node-pg-migrate",
            Format::Goose => "goose",
            Format::Atlas => "atlas",
            Format::Liquibase => "liquibase",
            Format::Drizzle => "drizzle",
            Format::Sqitch => "sqitch",
            Format::Diesel => "diesel",
            Format::Pop => "pop",
            Format::Hasura => "hasura",
            Format::GraphileMigrate => "graphile-migrate",
            Format::Supabase => "supabase",
        }
    }

    /// The format `name` stands for (`golang-migrate`, not `golang_migrate`).
    pub fn from_name(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == s)
    }
}
