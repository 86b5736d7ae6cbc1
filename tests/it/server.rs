//! `pgfleet server`: the embedded PostgreSQL, each test with its own cluster.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::support::{Workspace, query_one};

fn status(ws: &Workspace) -> serde_json::Value {
    let out = ws.pgfleet().args(["server", "status", "--json"]).success();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    doc["servers"].clone()
}

#[test]
fn start_status_stop_and_restart_on_the_same_port() {
    let ws = Workspace::with_manifest("[servers.local]\nembedded = true\n");
    let out = ws.pgfleet().args(["server", "status"]).success();
    out.stdout_contains("server `local`: not initialized yet");

    let out = ws.pgfleet().args(["server", "start"]).success();
    out.stdout_contains("server `local`: initialized and started on 127.0.0.1:");
    // It outlives the pgfleet process that started it.
    let s = status(&ws);
    assert_eq!(s[0]["state"], "running");
    let port = s[0]["port"].as_u64().unwrap();
    assert!(s[0]["pid"].as_u64().unwrap() > 0);
    assert!(
        s[0]["postgres_version"].as_str().unwrap().starts_with('1'),
        "{s}"
    );
    assert!(
        s[0]["data_dir"]
            .as_str()
            .unwrap()
            .ends_with(".pgfleet/local/data"),
        "{s}"
    );
    let url = format!("postgresql://postgres@127.0.0.1:{port}/postgres");
    assert_eq!(query_one(&url, "SELECT 1").as_deref(), Some("1"));
    // Nothing under .pgfleet/ is open to other local users.
    let mode = |rel: &str| {
        std::fs::metadata(ws.join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(".pgfleet"), 0o750);
    assert_eq!(mode(".pgfleet/local"), 0o750);
    assert_eq!(mode(".pgfleet/local/data"), 0o700);
    assert_eq!(mode(".pgfleet/local/server.log"), 0o600);
    for file in ["port", "version", "initdb.log", "pg_ctl.log", ".lock"] {
        assert_eq!(mode(&format!(".pgfleet/local/{file}")), 0o640, "{file}");
    }
    let text = ws.pgfleet().args(["server", "status"]).success();
    text.stdout_contains(&format!(
        "server `local`: running, pid {}, 127.0.0.1:{port}, PostgreSQL ",
        s[0]["pid"]
    ));

    let out = ws.pgfleet().args(["server", "start"]).success();
    assert_eq!(
        out.stdout,
        format!("server `local`: already running on 127.0.0.1:{port}\n")
    );

    ws.pgfleet()
        .args(["server", "logs"])
        .success()
        .stdout_contains("database system is ready to accept connections");

    ws.pgfleet()
        .args(["server", "stop"])
        .success()
        .stdout_contains("server `local`: stopped");
    assert_eq!(status(&ws)[0]["state"], "stopped");
    ws.pgfleet()
        .args(["server", "stop"])
        .success()
        .stdout_contains("server `local`: not running");

    let out = ws.pgfleet().args(["server", "start"]).success();
    assert_eq!(
        out.stdout,
        format!("server `local`: started on 127.0.0.1:{port}\n")
    );
    ws.pgfleet().args(["server", "stop"]).success();
}

#[test]
fn a_killed_server_leaves_a_stale_pid_file_that_start_handles() {
    let ws = Workspace::with_manifest("[servers.local]\nembedded = true\n");
    ws.pgfleet().args(["server", "start"]).success();
    let pid = status(&ws)[0]["pid"].as_u64().unwrap();
    let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
    // Wait for the postmaster to be gone; its pid file stays behind.
    for _ in 0..100 {
        if nix::sys::signal::kill(pid, None).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(ws.join(".pgfleet/local/data/postmaster.pid").exists());
    ws.pgfleet()
        .args(["server", "start"])
        .success()
        .stdout_contains("server `local`: started on");
    assert_eq!(status(&ws)[0]["state"], "running");
    ws.pgfleet().args(["server", "stop"]).success();
}

#[test]
fn several_embedded_servers_each_with_its_own_port() {
    let ws =
        Workspace::with_manifest("[servers.a]\nembedded = true\n[servers.b]\nembedded = true\n");
    // A `.pgfleet/` made 0700 earlier (a backup under `.pgfleet/backups/`).
    std::fs::create_dir(ws.join(".pgfleet")).unwrap();
    std::fs::set_permissions(ws.join(".pgfleet"), std::fs::Permissions::from_mode(0o700)).unwrap();
    ws.pgfleet().args(["server", "start"]).success();
    let mode = std::fs::metadata(ws.join(".pgfleet"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o750);
    let s = status(&ws);
    assert_eq!(
        (s[0]["server"].as_str(), s[1]["server"].as_str()),
        (Some("a"), Some("b"))
    );
    assert_ne!(s[0]["port"], s[1]["port"]);
    ws.pgfleet().args(["server", "stop", "a"]).success();
    let s = status(&ws);
    assert_eq!(
        (s[0]["state"].as_str(), s[1]["state"].as_str()),
        (Some("stopped"), Some("running"))
    );
    let out = ws.pgfleet().args(["server", "stop", "c"]).expect_code(2);
    out.stderr_contains("error: no embedded server `c`; embedded servers: a, b");
    ws.pgfleet()
        .args(["server", "stop"])
        .success()
        .stdout_contains("server `b`: stopped");
}

#[test]
fn missing_binaries_say_how_to_install() {
    let ws = Workspace::with_manifest("[servers.local]\nembedded = true\n");
    let out = ws
        .pgfleet()
        .env("PGFLEET_PG_BIN", "/nowhere")
        .args(["server", "start"])
        .expect_code(1);
    out.stderr_contains("error: PostgreSQL binaries not found in `/nowhere` (from PGFLEET_PG_BIN)")
        .stderr_contains("hint: ");
    assert!(!ws.join(".pgfleet/local/data").exists());
}

#[test]
fn as_root_an_unreachable_workspace_names_the_folder_and_the_fix() {
    if !nix::unistd::geteuid().is_root() {
        return; // Only root hands the server to another user.
    }
    let ws = Workspace::new();
    let locked = ws.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(
        locked.join("pgfleet.toml"),
        "[servers.local]\nembedded = true\n",
    )
    .unwrap();
    let out = crate::support::Pgfleet::new()
        .current_dir(&locked)
        .args(["server", "start"])
        .expect_code(1);
    out.stderr_contains(&format!("`{}`", locked.display()))
        .stderr_contains(&format!("chmod o+x {}", locked.display()));
}

/// After a reboot the embedded server is stopped: any command that needs it starts it
/// and says so on stderr; `--no-start` makes a stopped server one error, not one per
/// database.
#[test]
fn commands_start_a_stopped_embedded_server_unless_no_start() {
    let ws = Workspace::with_manifest(
        "[servers.local]\nembedded = true\n\
         [databases.one]\nmigrations = \"one\"\n[databases.two]\nmigrations = \"two\"\n\
         [envs.dev]\nserver = \"local\"\ndatabase = \"{name}\"\n",
    );
    ws.write("one/1_a.sql", "CREATE TABLE a (id int);\n")
        .write("two/1_b.sql", "CREATE TABLE b (id int);\n");
    ws.pgfleet().args(["up"]).success();
    ws.pgfleet().args(["server", "stop"]).success();

    let refused = ws.pgfleet().args(["--no-start", "migrate"]).expect_code(1);
    assert_eq!(
        refused.stderr,
        "error: embedded server `local` is not running\n\
         hint: start it with `pgfleet server start` (or `pgfleet up`)\n"
    );
    assert_eq!(status(&ws)[0]["state"], "stopped");

    ws.write("two/2_c.sql", "CREATE TABLE c (id int);\n");
    let out = ws.pgfleet().args(["migrate"]).success();
    out.stderr_contains("server `local`: started on 127.0.0.1:");
    out.stdout_contains("two       migrated    1");
    let s = status(&ws);
    assert_eq!(s[0]["state"], "running");
    let port = s[0]["port"].as_u64().unwrap();
    let url = format!("postgresql://postgres@127.0.0.1:{port}/two");
    assert_eq!(
        query_one(&url, "SELECT count(*) FROM pgfleet.history").as_deref(),
        Some("2")
    );
    // Running: nothing is said about it.
    let again = ws.pgfleet().args(["status"]).success();
    assert!(!again.stderr.contains("started"), "{}", again.stderr);
    ws.pgfleet().args(["server", "stop"]).success();
}
