//! `backup` and `restore`: same schema and rows after a wipe, checksums,
//! refusals, and restoring into another env.

use crate::support::{TestDbs, Workspace, fixture, query, query_one};

/// What a database holds: every column of the owned tables and a hash of
/// every table's rows.
fn fingerprint(url: &str) -> Vec<Vec<Option<String>>> {
    let mut rows = query(
        url,
        "SELECT table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
           FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
          ORDER BY 1",
    );
    rows.extend(query(
        url,
        "SELECT indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog') ORDER BY 1",
    ));
    let tables = query(
        url,
        "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    );
    for t in tables {
        let name = t[0].clone().unwrap();
        rows.extend(query(url, &format!("SELECT '{name}', count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {name} t")));
    }
    rows
}

fn fleet(test: &str) -> (TestDbs, Workspace) {
    let dbs = TestDbs::new(test);
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.shop]\nmigrations = \"{}\"\n[databases.events]\nmigrations = \"{}\"\n\
         [envs.copy]\nserver = \"pg\"\ndatabase = \"{}_copy_{{name}}\"\n[envs.prod]\nserver = \"pg\"\nprotected = true\n[workspace]\ndefault_env = \"test\"\n",
        dbs.manifest_head(),
        fixture("native/basic").display(),
        fixture("dbmate/no_transaction").display(),
        dbs.prefix
    ));
    ws.pgfleet().args(["up"]).success();
    let shop = dbs.url(&dbs.name("shop"));
    query(
        &shop,
        "INSERT INTO native_customer (name, email) SELECT 'c' || g, 'c' || g || '@x' FROM generate_series(1, 500) g",
    );
    let events = dbs.url(&dbs.name("events"));
    query(
        &events,
        "INSERT INTO dbmate_notx_event (kind, payload) SELECT 'k' || (g % 7), jsonb_build_object('n', g) FROM generate_series(1, 300) g",
    );
    (dbs, ws)
}

#[test]
fn backup_wipe_restore_gives_the_same_schema_rows_and_history() {
    let (dbs, ws) = fleet("backup_roundtrip");
    let shop = dbs.url(&dbs.name("shop"));
    let events = dbs.url(&dbs.name("events"));
    let before = (fingerprint(&shop), fingerprint(&events));
    let dump = |db: &str| ws.pgfleet().args(["schema", "dump", db]).success().stdout;
    let dumps_before = (dump("shop"), dump("events"));
    let out = ws
        .pgfleet()
        .args(["backup", "--out", "b", "--jobs", "2", "--json"])
        .success();
    let manifest: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let entry = manifest["backup"]["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["database"] == "shop")
        .unwrap();
    assert_eq!(entry["database"], "shop");
    assert_eq!(entry["migration_head"], "0003");
    assert_eq!(entry["files"][0]["sha256"].as_str().unwrap().len(), 64);
    assert!(ws.join("b/manifest.json").is_file() && ws.join("b/shop.dump").is_file());

    ws.pgfleet().args(["drop"]).success();
    assert!(dbs.existing().is_empty());
    let out = ws.pgfleet().args(["restore", "b"]).success();
    out.stdout_contains(&format!(
        "shop: restored into `{}` (3 history rows, head 0003)",
        dbs.name("shop")
    ));
    assert_eq!((fingerprint(&shop), fingerprint(&events)), before);
    assert_eq!((dump("shop"), dump("events")), dumps_before);
    ws.pgfleet().args(["status", "--check"]).success();
    // The history came back too: nothing to migrate.
    ws.pgfleet()
        .args(["migrate"])
        .success()
        .stdout_contains("up to date");
}

#[test]
fn restore_refuses_tampered_files_and_non_empty_targets() {
    let (dbs, ws) = fleet("backup_refusals");
    ws.pgfleet().args(["backup", "--out", "b"]).success();
    let again = ws.pgfleet().args(["backup", "--out", "b"]).expect_code(1);
    again.stderr_contains("already holds a backup");

    let out = ws.pgfleet().args(["restore", "b"]).expect_code(1);
    out.stderr_contains(&format!(
        // dbmate's two tables and its `schema_migrations`.
        "`events`: `{}` already holds 3 table(s)",
        dbs.name("events")
    ))
    .stderr_contains("pass `--clean`");

    let shop = dbs.url(&dbs.name("shop"));
    query(
        &shop,
        "DELETE FROM native_invoice; DELETE FROM native_customer WHERE id > 10",
    );
    ws.pgfleet()
        .args(["restore", "b", "shop", "--clean"])
        .success();
    assert_eq!(
        query_one(&shop, "SELECT count(*) FROM native_customer").as_deref(),
        Some("500")
    );

    let mut bytes = std::fs::read(ws.join("b/shop.dump")).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff;
    std::fs::write(ws.join("b/shop.dump"), bytes).unwrap();
    query(&shop, "DELETE FROM native_customer WHERE id > 10");
    let out = ws
        .pgfleet()
        .args(["restore", "b", "--clean"])
        .expect_code(1);
    out.stderr_contains("shop.dump` does not match the backup's manifest");
    // Nothing was restored: the change made after the backup is still there.
    assert_eq!(
        query_one(&shop, "SELECT count(*) FROM native_customer").as_deref(),
        Some("10")
    );
}

#[test]
fn a_backup_restores_into_another_env() {
    let (dbs, ws) = fleet("backup_other_env");
    ws.pgfleet()
        .args(["backup", "--out", "b", "shop"])
        .success();
    ws.pgfleet().args(["-e", "copy", "restore", "b"]).success();
    let copy = dbs.url(&format!("{}_copy_shop", dbs.prefix));
    assert_eq!(
        query_one(&copy, "SELECT count(*) FROM native_customer").as_deref(),
        Some("500")
    );
    assert_eq!(
        query_one(
            &copy,
            "SELECT count(*) FROM pgfleet.history WHERE db = 'shop'"
        )
        .as_deref(),
        Some("3")
    );
    let out = ws
        .pgfleet()
        .args(["-e", "prod", "restore", "b"])
        .expect_code(4);
    out.stderr_contains("`restore` refused: env `prod` is protected");
    let out = ws.pgfleet().args(["restore", "b", "nope"]).expect_code(2);
    out.stderr_contains("unknown database `nope`");
}

#[test]
fn backup_first_saves_a_protected_database_before_dropping_it() {
    let (dbs, ws) = fleet("backup_first");
    let out = ws
        .pgfleet()
        .args(["-e", "prod", "drop", "shop"])
        .expect_code(4);
    out.stderr_contains("`--backup-first`");
    ws.pgfleet()
        .args(["drop", "shop", "--backup-first", "--yes"])
        .success()
        .stderr_contains("backed up 1 database(s) into `");
    let backups: Vec<_> = std::fs::read_dir(ws.join(".pgfleet/backups"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(backups.len(), 1);
    let name = backups[0].file_name().to_string_lossy().into_owned();
    assert!(name.starts_with("test-"), "{name}");
    assert!(backups[0].path().join("manifest.json").is_file());
    assert!(!dbs.existing().contains(&dbs.name("shop")));
    // And it restores.
    ws.pgfleet()
        .args(["restore".as_ref(), backups[0].path().as_os_str()])
        .success();
    assert_eq!(
        query_one(
            &dbs.url(&dbs.name("shop")),
            "SELECT count(*) FROM native_customer"
        )
        .as_deref(),
        Some("500")
    );
}

#[test]
fn a_pg_dump_older_than_the_server_is_refused_by_name() {
    use std::os::unix::fs::PermissionsExt;
    let (_dbs, ws) = fleet("backup_old_dump");
    // A `pg_dump` that says it is 9.6, in the only folder PGFLEET_PG_BIN allows.
    ws.write(
        "oldbin/pg_dump",
        "#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n",
    );
    std::fs::set_permissions(
        ws.join("oldbin/pg_dump"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let out = ws
        .pgfleet()
        .env("PGFLEET_PG_BIN", ws.join("oldbin"))
        .args(["backup", "--out", "b"])
        .expect_code(1);
    out.stderr_contains("no `pg_dump` of PostgreSQL 15 or newer: `")
        .stderr_contains("oldbin/pg_dump` is 9.6.24, older than the server")
        .stderr_contains("hint: install the PostgreSQL 15 client tools");
    assert!(!ws.join("b/manifest.json").exists());
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn backup_folders_are_0700_and_their_files_0600() {
    let (_dbs, ws) = fleet("backup_private");
    ws.pgfleet().args(["backup", "--out", "b/nested"]).success();
    assert_eq!(mode(&ws.join("b/nested")), 0o700);
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(ws.join("b/nested")).unwrap().flatten() {
        names.push(entry.file_name().to_string_lossy().into_owned());
        assert_eq!(mode(&entry.path()), 0o600, "{:?}", entry.path());
    }
    names.sort();
    assert_eq!(
        names,
        [
            "events.dump",
            "events.history.json",
            "manifest.json",
            "shop.dump",
            "shop.history.json"
        ]
    );
    // An existing, empty folder that anyone could read is narrowed.
    ws.mkdir("open");
    std::fs::set_permissions(
        ws.join("open"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    ws.pgfleet()
        .args(["backup", "--out", "open", "shop"])
        .success();
    assert_eq!(mode(&ws.join("open")), 0o700);
}

/// The next pids the kernel hands out, for planting files at names that
/// older versions derived from a pid.
fn next_pids(n: u32) -> std::ops::Range<u32> {
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    last + 1..last + 1 + n
}

#[test]
fn restore_does_not_follow_a_link_planted_at_the_old_temporary_name() {
    let (dbs, ws) = fleet("backup_symlink");
    ws.pgfleet()
        .args(["backup", "--out", "b", "shop"])
        .success();
    ws.pgfleet().args(["drop", "shop"]).success();
    let tmp = ws.join("tmp");
    ws.mkdir("tmp");
    ws.write("victim", "precious\n");
    for pid in next_pids(3000) {
        std::os::unix::fs::symlink(
            ws.join("victim"),
            tmp.join(format!("pgfleet-restore-{pid}-shop.list")),
        )
        .unwrap();
    }
    ws.pgfleet()
        .env("TMPDIR", &tmp)
        .args(["restore", "b"])
        .success();
    assert_eq!(
        std::fs::read_to_string(ws.join("victim")).unwrap(),
        "precious\n"
    );
    // Its own temporary folder is gone again.
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().ends_with(".list"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(
        query_one(
            &dbs.url(&dbs.name("shop")),
            "SELECT count(*) FROM native_customer"
        )
        .as_deref(),
        Some("500")
    );
}

#[test]
fn a_backup_cut_short_after_any_step_has_no_manifest_and_is_refused() {
    let (dbs, ws) = fleet("backup_steps");
    for step in ["dump", "history", "manifest-temp"] {
        let dir = format!("cut-{step}");
        let out = ws
            .pgfleet()
            .env("PGFLEET_TEST_BACKUP_ABORT_AFTER", step)
            .args(["backup", "--out", &dir, "--jobs", "1"])
            .run();
        assert_eq!(out.code, -1, "{step}: not aborted: {}", out.stderr);
        assert!(!ws.join(&format!("{dir}/manifest.json")).exists(), "{step}");
        let out = ws
            .pgfleet()
            .args(["-e", "copy", "restore", &dir])
            .expect_code(1);
        out.stderr_contains(&format!("`{dir}` is not a pgfleet backup: it has no `manifest.json` (the last file a backup writes), only `"))
            .stderr_contains(": an interrupted backup");
        let out = ws
            .pgfleet()
            .args(["-e", "copy", "restore", &dir, "--check"])
            .expect_code(1);
        out.stderr_contains("it has no `manifest.json`");
    }
    // After the rename the backup is whole, even though the process died.
    let out = ws
        .pgfleet()
        .env("PGFLEET_TEST_BACKUP_ABORT_AFTER", "manifest")
        .args(["backup", "--out", "whole"])
        .run();
    assert_eq!(out.code, -1);
    ws.pgfleet()
        .args(["-e", "copy", "restore", "whole"])
        .success();
    assert_eq!(
        query_one(
            &dbs.url(&format!("{}_copy_events", dbs.prefix)),
            "SELECT count(*) FROM dbmate_notx_event"
        )
        .as_deref(),
        Some("300")
    );
}

#[test]
fn backup_verify_and_restore_check_prove_a_backup_by_restoring_it() {
    let (dbs, ws) = fleet("backup_verify");
    let out = ws
        .pgfleet()
        .args(["backup", "--out", "b", "--verify"])
        .success();
    out.stdout_contains("shop: restores to the same rows (2 table(s) compared)")
        // dbmate's table and its `schema_migrations`, which pgfleet keeps in step.
        .stdout_contains("events: restores to the same rows (2 table(s) compared)");
    ws.pgfleet()
        .args(["restore", "b", "--check"])
        .success()
        .stdout_contains("shop: restores to the same rows");
    // No scratch database stays behind.
    let shadows = query_one(
        &dbs.url(&dbs.name("shop")),
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'pgfleet\\_shadow\\_check\\_shop\\_%'",
    );
    assert_eq!(shadows.as_deref(), Some("0"));

    // A dump that lost rows after it was written, its checksums in the
    // manifest rewritten to match: only a test restore can tell.
    let shop = dbs.url(&dbs.name("shop"));
    query(
        &shop,
        "DELETE FROM native_invoice; DELETE FROM native_customer WHERE id > 10",
    );
    ws.pgfleet()
        .args(["backup", "--out", "fewer", "shop"])
        .success();
    query(&shop, "UPDATE native_customer SET name = 'x' WHERE id = 1");
    std::fs::copy(ws.join("fewer/shop.dump"), ws.join("b/shop.dump")).unwrap();
    let fewer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.join("fewer/manifest.json")).unwrap())
            .unwrap();
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.join("b/manifest.json")).unwrap())
            .unwrap();
    for db in manifest["databases"].as_array_mut().unwrap() {
        if db["database"] == "shop" {
            db["files"][0] = fewer["databases"][0]["files"][0].clone();
        }
    }
    std::fs::write(ws.join("b/manifest.json"), manifest.to_string()).unwrap();
    let out = ws
        .pgfleet()
        .args(["restore", "b", "--check"])
        .expect_code(3);
    out.stdout_contains("shop: a restore does NOT reproduce the source:")
        .stdout_contains("`public.native_customer`: 10 row(s), the source had 500")
        .stdout_contains("events: restores to the same rows");
    // --check touched nothing.
    assert_eq!(
        query_one(&shop, "SELECT name FROM native_customer WHERE id = 1").as_deref(),
        Some("x")
    );

    // `backup --verify` catches a pg_dump that writes a wrong dump.
    let bin = ws.join("fakebin");
    ws.mkdir("fakebin");
    ws.write(
        "fakebin/pg_dump",
        "#!/bin/sh\nexec /usr/lib/postgresql/15/bin/pg_dump \"$@\" --exclude-table-data=public.native_customer\n",
    );
    std::fs::set_permissions(
        ws.join("fakebin/pg_dump"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    for tool in ["pg_restore", "psql"] {
        std::os::unix::fs::symlink(format!("/usr/lib/postgresql/15/bin/{tool}"), bin.join(tool))
            .unwrap();
    }
    let out = ws
        .pgfleet()
        .env("PGFLEET_PG_BIN", &bin)
        .args(["backup", "shop", "--out", "bad", "--verify"])
        .expect_code(3);
    out.stdout_contains("`public.native_customer`: 0 row(s), the source had 10");
}

fn spawn_pgfleet(ws: &Workspace, args: &[&str]) -> std::process::Child {
    ws.mkdir("tmp");
    std::process::Command::new(env!("CARGO_BIN_EXE_pgfleet"))
        .current_dir(ws.path())
        // Its own temporary folder, so a test can see what a kill left there.
        .env("TMPDIR", ws.join("tmp"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn kill9(child: &mut std::process::Child) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGKILL,
    );
    let _ = child.wait();
}

/// Waits until no other session is connected to `url`'s database: what a
/// killed pgfleet left running (psql, pg_restore) has ended.
fn wait_idle(url: &str) {
    for _ in 0..500 {
        if query_one(
            url,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .as_deref()
            == Some("0")
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("sessions still open on {url}");
}

/// `kill -9` of `restore --clean` at random moments: afterwards the target
/// is as it was (10 rows, history marked `old`) or fully restored (all rows,
/// the backup's history), never anything between. CI runs 3 trials,
/// `PGFLEET_RELIABILITY_LONG=1` 20.
#[test]
fn crash_restore_leaves_the_target_as_it_was_or_fully_restored() {
    let (dbs, ws) = fleet("backup_crash_restore");
    let shop = dbs.url(&dbs.name("shop"));
    query(
        &shop,
        "INSERT INTO native_customer (name, email) SELECT 'd' || g, 'd' || g || '@x' FROM generate_series(1, 60000) g",
    );
    ws.pgfleet()
        .args(["backup", "--out", "b", "shop"])
        .success();
    let make_old = || {
        query(
            &shop,
            "DELETE FROM native_invoice; DELETE FROM native_customer WHERE id > 10; UPDATE pgfleet.history SET applied_by = 'old' WHERE db = 'shop'",
        );
    };
    let state = || {
        (
            query_one(&shop, "SELECT count(*) FROM native_customer"),
            query_one(
                &shop,
                "SELECT count(*) FILTER (WHERE applied_by = 'old') || '/' || count(*) FROM pgfleet.history WHERE db = 'shop'",
            ),
        )
    };
    make_old();
    let started = std::time::Instant::now();
    ws.pgfleet()
        .args(["restore", "b", "shop", "--clean"])
        .success();
    let full = u64::try_from(started.elapsed().as_millis()).unwrap();
    let restored = (Some("60500".to_owned()), Some("0/3".to_owned()));
    let old = (Some("10".to_owned()), Some("3/3".to_owned()));
    assert_eq!(state(), restored);
    let mut rng = crate::support::Rng::new("crash_restore");
    let mut figures = crate::support::Figures::default();
    let (mut as_was, mut done) = (0, 0);
    for _ in 0..crate::support::trials(3, 20) {
        make_old();
        figures.trials += 1;
        let mut child = spawn_pgfleet(&ws, &["restore", "b", "shop", "--clean", "-q"]);
        std::thread::sleep(std::time::Duration::from_millis(rng.below(full)));
        kill9(&mut child);
        wait_idle(&shop);
        let now = state();
        if now == old {
            as_was += 1;
        } else if now == restored {
            done += 1;
        } else {
            figures.inconsistencies += 1;
            figures.notes.push(format!("half-restored: {now:?}"));
        }
    }
    // A killed restore leaves no temporary file behind (it writes none).
    let left: Vec<_> = std::fs::read_dir(ws.join("tmp"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    eprintln!(
        "crash_restore: {as_was} as it was, {done} fully restored (a restore takes {full} ms)"
    );
    figures.finish("crash_restore");
}

/// `kill -9` of `backup` at random moments: a folder either has no
/// manifest (and restore refuses it) or holds a backup that `restore
/// --check` proves. CI runs 3 trials, `PGFLEET_RELIABILITY_LONG=1` 20.
#[test]
fn crash_backup_never_leaves_a_manifest_for_an_incomplete_backup() {
    let (_dbs, ws) = fleet("backup_crash_backup");
    let started = std::time::Instant::now();
    ws.pgfleet().args(["backup", "--out", "first"]).success();
    let full = u64::try_from(started.elapsed().as_millis()).unwrap();
    let mut rng = crate::support::Rng::new("crash_backup");
    let mut figures = crate::support::Figures::default();
    let (mut cut, mut whole) = (0, 0);
    for trial in 0..crate::support::trials(3, 20) {
        figures.trials += 1;
        let dir = format!("b{trial}");
        let mut child = spawn_pgfleet(&ws, &["backup", "--out", &dir, "-q"]);
        std::thread::sleep(std::time::Duration::from_millis(rng.below(full)));
        kill9(&mut child);
        if ws.join(&format!("{dir}/manifest.json")).exists() {
            whole += 1;
            let out = ws.pgfleet().args(["restore", &dir, "--check"]).run();
            if out.code != 0 {
                figures.inconsistencies += 1;
                figures.notes.push(format!(
                    "{dir}: a manifest, but --check says {}",
                    out.stderr
                ));
            }
        } else {
            cut += 1;
            let out = ws.pgfleet().args(["-e", "copy", "restore", &dir]).run();
            if out.code != 1 || !out.stderr.contains("has no `manifest.json`") {
                figures.inconsistencies += 1;
                figures.notes.push(format!(
                    "{dir}: no manifest, but restore said {}",
                    out.stderr
                ));
            }
        }
    }
    eprintln!(
        "crash_backup: {cut} cut short (refused), {whole} whole (proved); a backup takes {full} ms"
    );
    figures.finish("crash_backup");
}

/// Mounts a `size` tmpfs at `dir` (we run as root); `None`, with the
/// reason printed, where that is not allowed, except under CI.
fn mount_tmpfs(test: &str, dir: &std::path::Path, size: &str) -> Option<()> {
    std::fs::create_dir_all(dir).unwrap();
    let out = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(()),
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_owned(),
                Err(e) => e.to_string(),
            };
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: cannot mount a tmpfs ({why}), and CI must not skip this test"
            );
            eprintln!("skipping {test}: cannot mount a tmpfs: {why}");
            None
        }
    }
}

struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_backup_onto_a_full_file_system_fails_clearly_and_writes_no_manifest() {
    let (dbs, ws) = fleet("backup_full_disk");
    let shop = dbs.url(&dbs.name("shop"));
    query(
        &shop,
        "INSERT INTO native_customer (name, email) SELECT md5(g::text) || md5((g * 3)::text), md5(g::text) || '@x' FROM generate_series(1, 40000) g",
    );
    let full = ws.join("full");
    if mount_tmpfs("backup_full_disk", &full, "256k").is_none() {
        return;
    }
    let _unmount = Unmount(full.clone());
    let before = fingerprint(&shop);
    let out = ws
        .pgfleet()
        .args(["backup", "shop", "--out", "full/b"])
        .expect_code(1);
    out.stderr_contains("error: `shop`: `pg_dump` failed: ")
        .stderr_contains("No space left on device");
    assert!(!full.join("b/manifest.json").exists());
    ws.pgfleet()
        .args(["restore", "full/b"])
        .expect_code(1)
        .stderr_contains("has no `manifest.json`");
    assert_eq!(fingerprint(&shop), before);
}

/// `kill -9` of `import sqlite` at random moments: the target table holds
/// no imported row or all of them. CI runs 3 trials, long 20.
#[test]
fn crash_import_leaves_no_rows_behind() {
    let (dbs, ws) = fleet("backup_crash_import");
    let shop = dbs.url(&dbs.name("shop"));
    query(
        &shop,
        "DELETE FROM native_invoice; DELETE FROM native_customer",
    );
    {
        let conn = rusqlite::Connection::open(ws.join("src.db")).unwrap();
        conn.execute_batch(
            "CREATE TABLE native_customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
             WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 50000)
             INSERT INTO native_customer SELECT n, 'n' || n, 'n' || n || '@x' FROM g;",
        )
        .unwrap();
    }
    let args = [
        "import",
        "sqlite",
        "src.db",
        "--into",
        "shop",
        "--tables",
        "native_customer",
        "-q",
    ];
    let started = std::time::Instant::now();
    ws.pgfleet().args(args).success();
    let full = u64::try_from(started.elapsed().as_millis()).unwrap();
    let count = || query_one(&shop, "SELECT count(*) FROM native_customer");
    assert_eq!(count().as_deref(), Some("50000"));
    let mut rng = crate::support::Rng::new("crash_import");
    let mut figures = crate::support::Figures::default();
    let (mut none, mut all) = (0, 0);
    for _ in 0..crate::support::trials(3, 20) {
        query(&shop, "DELETE FROM native_customer");
        figures.trials += 1;
        let mut child = spawn_pgfleet(&ws, &args);
        std::thread::sleep(std::time::Duration::from_millis(rng.below(full)));
        kill9(&mut child);
        wait_idle(&shop);
        match count().as_deref() {
            Some("0") => none += 1,
            Some("50000") => all += 1,
            other => {
                figures.inconsistencies += 1;
                figures.notes.push(format!("{other:?} rows left behind"));
            }
        }
    }
    eprintln!("crash_import: {none} left nothing, {all} imported all (an import takes {full} ms)");
    figures.finish("crash_import");
}

/// The `(version, table)` pairs a restored copy holds: every history row's
/// table must exist, and every table must have its history row.
fn history_and_schema(url: &str) -> (Vec<String>, Vec<String>) {
    let versions = query(
        url,
        "SELECT version FROM pgfleet.history WHERE db = 'grow' ORDER BY 1",
    )
    .into_iter()
    .map(|r| r[0].clone().unwrap())
    .collect();
    let tables = query(
        url,
        "SELECT substr(tablename, 2) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't%' ORDER BY 1",
    )
    .into_iter()
    .map(|r| r[0].clone().unwrap())
    .collect();
    (versions, tables)
}

#[test]
fn six_concurrent_backups_and_a_backup_during_migrate_each_restore_consistently() {
    let dbs = TestDbs::new("backup_concurrent");
    let ws = Workspace::with_manifest(&format!(
        "{}[databases.grow]\nmigrations = \"db\"\n[envs.copy]\nserver = \"pg\"\ndatabase = \"{}_copy{{name}}\"\n[workspace]\ndefault_env = \"test\"\n",
        dbs.manifest_head(),
        dbs.prefix
    ));
    for i in 1..=40 {
        ws.write(
            &format!("db/{i:04}_t.sql"),
            &format!("SELECT pg_sleep(0.05);\nCREATE TABLE t{i:04} (id int);\nINSERT INTO t{i:04} SELECT generate_series(1, {i});\n"),
        );
    }
    ws.pgfleet().args(["create"]).success();
    ws.pgfleet().args(["migrate", "--to", "0005"]).success();
    // Six at once of the same fleet, while a migrate adds tables.
    let mut migrate = spawn_pgfleet(&ws, &["migrate", "-q"]);
    let backups: Vec<_> = (0..6)
        .map(|i| {
            std::thread::sleep(std::time::Duration::from_millis(150));
            spawn_pgfleet(&ws, &["backup", "--out", &format!("b{i}"), "-q"])
        })
        .collect();
    for mut b in backups {
        assert!(b.wait().unwrap().success());
    }
    assert!(migrate.wait().unwrap().success());
    let copy = dbs.url(&format!("{}_copygrow", dbs.prefix));
    let mut heads = Vec::new();
    for i in 0..6 {
        let dir = format!("b{i}");
        ws.pgfleet().args(["restore", &dir, "--check"]).success();
        ws.pgfleet()
            .args(["-e", "copy", "restore", &dir, "--clean"])
            .success();
        let (versions, tables) = history_and_schema(&copy);
        assert_eq!(versions, tables, "{dir}: history and schema disagree");
        heads.push(versions.len());
    }
    eprintln!("backup_concurrent: migrations in each backup: {heads:?}");
}

/// `restore --clean` drops the owned schemas and makes them again: `public`
/// comes back with its owner, grants and comment, so `drift` (which compares
/// with a fresh database) finds nothing.
#[test]
fn drift_finds_nothing_after_restore_clean() {
    let (_dbs, ws) = fleet("backup_drift_after_clean");
    ws.pgfleet().args(["backup", "--out", "b"]).success();
    ws.pgfleet().args(["restore", "b", "--clean"]).success();
    let out = ws.pgfleet().args(["drift"]).success();
    out.stdout_contains("shop: no drift")
        .stdout_contains("events: no drift");
}

/// Each restored database is named once, not once as progress and again in
/// the summary.
#[test]
fn restore_clean_says_restored_into_once_per_database() {
    let (dbs, ws) = fleet("backup_restored_once");
    ws.pgfleet().args(["backup", "--out", "b"]).success();
    let out = ws.pgfleet().args(["restore", "b", "--clean"]).success();
    for db in ["shop", "events"] {
        let line = format!("{db}: restored into `{}`", dbs.name(db));
        let seen = out.stdout.matches(&line).count() + out.stderr.matches(&line).count();
        assert_eq!(
            seen, 1,
            "{line}\n--- stdout\n{}\n--- stderr\n{}",
            out.stdout, out.stderr
        );
    }
}
