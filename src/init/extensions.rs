//! Extensions a database's migrations use but never create: a team whose
//! extensions were made by hand, or by the Docker image's init scripts, has
//! migrations that fail on a fresh server. `init` lists them in `extensions`
//! so that `pgfleet up` creates them first.
//!
//! Only extensions shipped with PostgreSQL (contrib) and two common ones are
//! recognised, by names that only they define; a name counts when it stands
//! as a word (`tsvector(` is not pgvector's `vector(`).

use std::collections::BTreeSet;

/// Extension, and the words that show it is used (lowercase).
const KNOWN: &[(&str, &[&str])] = &[
    ("citext", &["citext"]),
    (
        "pgcrypto",
        &[
            "gen_random_bytes(",
            "gen_salt(",
            "crypt(",
            "pgp_sym_encrypt(",
            "hmac(",
        ],
    ),
    ("uuid-ossp", &["uuid_generate_v1(", "uuid_generate_v4("]),
    ("hstore", &["hstore"]),
    ("ltree", &["ltree", "lquery"]),
    ("pg_trgm", &["gin_trgm_ops", "gist_trgm_ops", "similarity("]),
    ("unaccent", &["unaccent("]),
    ("btree_gist", &["gist_int4_ops", "gist_int8_ops"]),
    ("postgis", &["geometry(", "geography("]),
    ("vector", &["vector(", "vector_cosine_ops", "vector_l2_ops"]),
];

/// What one set of scripts uses and creates.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    pub used: BTreeSet<String>,
    pub created: BTreeSet<String>,
}

impl Usage {
    /// Adds one script.
    pub fn add(&mut self, sql: &str) {
        let text: String = sql.to_ascii_lowercase().replace(['"', '\''], "");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for (ext, words) in KNOWN {
            if text.contains(&format!("create extension {ext}"))
                || text.contains(&format!("create extension if not exists {ext}"))
            {
                self.created.insert((*ext).to_owned());
            } else if words.iter().any(|w| has_word(&text, w)) {
                self.used.insert((*ext).to_owned());
            }
        }
    }

    /// Used somewhere and created nowhere.
    pub fn missing(&self) -> Vec<String> {
        self.used.difference(&self.created).cloned().collect()
    }
}

/// `word` in `text`, not preceded by a letter, digit or `_`.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before_ok = text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        let after = text[i + word.len()..].chars().next();
        let after_ok =
            word.ends_with('(') || after.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        before_ok && after_ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_but_not_created() {
        let mut usage = Usage::default();
        usage.add("CREATE TABLE u (email CITEXT, doc tsvector, at timestamptz);");
        usage.add("SELECT to_tsvector('x'); SELECT gen_random_uuid();");
        usage.add("CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\";\nSELECT uuid_generate_v4();");
        usage.add("CREATE INDEX ON t USING gin (name gin_trgm_ops);");
        usage.add("CREATE EXTENSION pg_trgm;");
        usage.add("SELECT citext_value, my_hstore_col FROM t;");
        assert_eq!(usage.missing(), ["citext"]);
    }
}
