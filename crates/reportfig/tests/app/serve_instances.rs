//! Several `reportfig serve` processes on one data folder, as behind one reverse proxy or
//! Kubernetes Service that may send any request to any of them: each answers for the jobs
//! the others finished, reports a job another is still making as it is (never as lost),
//! with its progress moving, cancels it through the folder, forgets at once what another
//! deleted, and reports lost only what an instance that stopped left behind.

use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::serve::{
    call, get, long_job, post_as, submit, upload_accepted, wait_for, wait_for_batch, Server, SIZE,
};

/// The JSON of an answer to `path` that must be 200.
fn ok_json(r: crate::serve::Reply, path: &str) -> Value {
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

fn status(server: &Server, path: &str) -> Value {
    ok_json(get(server, path), path)
}

/// `DELETE path` on `server`, which must answer 200: its JSON.
fn delete(server: &Server, path: &str) -> Value {
    ok_json(call("DELETE", &server.url(path), None, None, None), path)
}

/// Polls `path` on `server` until `check` holds, or fails with `what` after 60 s.
fn wait_until(server: &Server, path: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = status(server, path);
        if check(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: {v}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_instances_on_one_data_folder_answer_for_each_others_jobs() {
    let tmp = TempDir::new().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    let a = Server::start(&home, &data, &["--instance", "a"]);
    let b = Server::start(&home, &data, &["--instance", "b"]);

    // A picture made by A, asked for through B: its status and its PNG, byte for byte.
    let id = submit(
        &a,
        &serde_json::json!({ "caption": "Riverside park", "seed": 3, "steps": 2, "size": SIZE }),
    );
    let done = wait_for(&a, &id, &["done", "failed"]);
    assert_eq!(done["state"], "done", "{done}");
    let there = status(&b, &format!("/api/images/{id}"));
    assert_eq!(there["state"], "done", "{there}");
    assert_eq!(there["instance"], "a");
    assert_eq!(there["seed"], 3);
    let from_a = get(&a, &format!("/api/images/{id}.png"));
    let from_b = get(&b, &format!("/api/images/{id}.png"));
    assert_eq!(
        from_b.status,
        200,
        "{}",
        String::from_utf8_lossy(&from_b.body)
    );
    assert!(from_b.body.starts_with(b"\x89PNG"));
    assert_eq!(from_a.body, from_b.body);

    // A picture deleted on A, after B had read it (and kept it): gone on B at once, not
    // only after B next lists the folder.
    let gone = submit(
        &a,
        &serde_json::json!({ "caption": "Gone soon", "seed": 4, "steps": 1, "size": SIZE }),
    );
    assert_eq!(wait_for(&a, &gone, &["done", "failed"])["state"], "done");
    assert_eq!(status(&b, &format!("/api/images/{gone}"))["state"], "done");
    assert_eq!(get(&b, &format!("/api/images/{gone}.png")).status, 200);
    let deleted = call(
        "DELETE",
        &a.url(&format!("/api/images/{gone}")),
        None,
        None,
        None,
    );
    assert_eq!(deleted.status, 200);
    assert_eq!(get(&b, &format!("/api/images/{gone}")).status, 404);
    assert_eq!(get(&b, &format!("/api/images/{gone}.png")).status, 404);

    // A comparison sheet and a batch made by A, through B.
    let (sheet, _) = post_as(
        &a,
        "/api/compares",
        &serde_json::json!({ "caption": "Bus stop", "seeds": [1, 2], "steps": 1, "size": SIZE }),
        None,
        None,
        None,
    );
    assert_eq!(
        sheet.status,
        202,
        "{}",
        String::from_utf8_lossy(&sheet.body)
    );
    let sheet = sheet.json()["id"].as_str().unwrap().to_string();
    let batch = upload_accepted(
        &a,
        "name=report.md&size=64x64&seed=5",
        "그림: A park\n그림: A bridge\n",
    );
    assert_eq!(
        wait_for_batch(&a, &batch, &["done", "failed"])["state"],
        "done"
    );
    let sheet_status = wait_until(&a, &format!("/api/compares/{sheet}"), "the sheet", |v| {
        v["state"] == "done"
    });
    assert_eq!(sheet_status["kind"], "compare");
    let there = status(&b, &format!("/api/compares/{sheet}"));
    assert_eq!(
        (&there["state"], &there["kind"]),
        (&"done".into(), &"compare".into())
    );
    let png = get(&b, &format!("/api/compares/{sheet}.png"));
    assert_eq!(png.status, 200);
    assert_eq!(
        png.body,
        get(&a, &format!("/api/compares/{sheet}.png")).body
    );
    let there = status(&b, &format!("/api/batches/{batch}"));
    assert_eq!(
        (there["state"].as_str(), there["done"].as_u64()),
        (Some("done"), Some(2)),
        "{there}"
    );
    let zip = get(&b, &format!("/api/batches/{batch}.zip"));
    assert_eq!(zip.status, 200, "{}", String::from_utf8_lossy(&zip.body));
    assert!(zip.body.starts_with(b"PK"));
    // What is unknown everywhere is still 404.
    let nothing = "0".repeat(32);
    assert_eq!(get(&b, &format!("/api/images/{nothing}")).status, 404);
    assert_eq!(get(&b, &format!("/api/batches/{nothing}")).status, 404);

    // The browser's history, whichever instance the proxy sends it to.
    let cookie = format!("reportfig-owner={}", "5".repeat(32));
    let (mine, _) = post_as(
        &a,
        "/api/images",
        &serde_json::json!({ "caption": "My own", "seed": 9, "steps": 1, "size": SIZE }),
        None,
        Some(&cookie),
        None,
    );
    assert_eq!(mine.status, 202);
    let mine = mine.json()["id"].as_str().unwrap().to_string();
    wait_for(&a, &mine, &["done"]);
    let listed = |server: &Server| -> Vec<String> {
        let resp = crate::serve::agent()
            .get(&server.url("/api/images?mine"))
            .set("Cookie", &cookie)
            .call()
            .unwrap();
        let v: Value = serde_json::from_str(&resp.into_string().unwrap()).unwrap();
        v["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(listed(&b), vec![mine.clone()]);
    // An outline sent to A with the cookie is in the history too, as one entry.
    let resp = crate::serve::agent()
        .post(&a.url("/api/batches?name=plan.md&size=64x64&seed=2"))
        .set("Cookie", &cookie)
        .set("Content-Type", "text/markdown")
        .send_string("그림: A square\n")
        .unwrap();
    let mine_batch: Value = serde_json::from_str(&resp.into_string().unwrap()).unwrap();
    let mine_batch = mine_batch["id"].as_str().unwrap().to_string();
    assert_eq!(wait_for_batch(&a, &mine_batch, &["done"])["done"], 1);
    let entries = |server: &Server| -> Vec<Value> {
        let resp = crate::serve::agent()
            .get(&server.url("/api/images?mine"))
            .set("Cookie", &cookie)
            .call()
            .unwrap();
        let v: Value = serde_json::from_str(&resp.into_string().unwrap()).unwrap();
        v["images"].as_array().unwrap().clone()
    };
    for server in [&a, &b] {
        let e = entries(server);
        let batch_entry = e
            .iter()
            .find(|j| j["kind"] == "batch")
            .expect("the outline is listed");
        assert_eq!(batch_entry["id"], mine_batch.as_str());
        assert_eq!(batch_entry["caption"], "plan.md");
        assert_eq!(
            (batch_entry["done"].as_u64(), batch_entry["total"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(batch_entry["zip"], format!("/api/batches/{mine_batch}.zip"));
        let first = get(server, batch_entry["image"].as_str().unwrap());
        assert!(first.body.starts_with(b"\x89PNG"), "its first figure");
        assert_eq!(
            e.len(),
            2,
            "the picture and the outline, not the outline's figures: {e:?}"
        );
    }
    assert!(
        !listed(&b).contains(&batch.clone()),
        "another's batch is not listed"
    );
    let cancel_batch = call(
        "DELETE",
        &b.url(&format!("/api/batches/{mine_batch}")),
        None,
        None,
        None,
    );
    assert_eq!(
        cancel_batch.status, 200,
        "finished: nothing to cancel, nothing refused"
    );

    // A job A is still making: B says it is running there, with A's progress, moving.
    let doomed = submit(&a, &long_job());
    wait_for(&a, &doomed, &["running"]);
    let path = format!("/api/images/{doomed}");
    let first = wait_until(&b, &path, "no progress of A's job on B", |v| {
        v["step"].as_u64().is_some_and(|s| s >= 1)
    });
    assert_eq!(
        (&first["state"], &first["instance"], &first["steps"]),
        (&"running".into(), &"a".into(), &1000.into()),
        "{first}"
    );
    let later = wait_until(&b, &path, "A's progress on B did not move", |v| {
        v["step"].as_u64() > first["step"].as_u64()
    });
    assert!(
        later["progress"].as_f64() > first["progress"].as_f64(),
        "{first} then {later}"
    );
    // Cancelled through B: answered as A answers for its own, gone from both at once,
    // stopped by A within moments, its files removed from the shared folder.
    let asked = Instant::now();
    let answer = delete(&b, &path);
    assert_eq!(
        (&answer["deleted"], &answer["was"]),
        (&true.into(), &"running".into())
    );
    assert_eq!(get(&b, &path).status, 404);
    let deadline = Instant::now() + Duration::from_secs(30);
    while get(&a, &path).status != 404 {
        assert!(
            Instant::now() < deadline,
            "A did not stop its job cancelled through B"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // A's worker removes the files once it has stopped, at the step after the request.
    let left = || -> Vec<String> {
        ["images", "live"]
            .iter()
            .flat_map(|d| {
                std::fs::read_dir(data.join(d))
                    .into_iter()
                    .flatten()
                    .flatten()
            })
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(&doomed))
            .collect()
    };
    while !left().is_empty() {
        assert!(
            Instant::now() < deadline,
            "left in the shared folder: {:?}",
            left()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let stopped_after = asked.elapsed();
    eprintln!(
        "cancel through B near step {} of 1000: stopped and removed by A {:.0} ms after the request",
        later["step"],
        stopped_after.as_secs_f64() * 1000.0
    );

    // A batch A has taken, cancelled through B: its figures wait behind a long job on A
    // (an outline cannot ask for many steps), both instances call the batch cancelled at
    // once, A, which made it, marks its record so, and the requests leave the shared folder.
    let busy = submit(&a, &long_job());
    wait_for(&a, &busy, &["running"]);
    let long_batch = upload_accepted(
        &a,
        "name=long.md&size=64x64&seed=4",
        "그림: A first figure\n그림: A second figure\n",
    );
    let path = format!("/api/batches/{long_batch}");
    assert_eq!(status(&b, &path)["state"], "queued");
    assert_eq!(delete(&b, &path)["cancelled"], 2, "both waiting figures");
    assert_eq!(status(&b, &path)["state"], "cancelled", "at once on B");
    let v = wait_until(&a, &path, "A did not cancel its batch", |v| {
        v["state"] == "cancelled"
    });
    assert_eq!(v["done"], 0, "{v}");
    let record: Value = serde_json::from_slice(
        &std::fs::read(data.join(format!("batches/{long_batch}/batch.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (&record["cancelled"], &record["instance"]),
        (&true.into(), &"a".into())
    );
    delete(&a, &format!("/api/images/{busy}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_dir(data.join("live"))
        .unwrap()
        .flatten()
        .any(|e| !e.file_name().to_string_lossy().ends_with(".json"))
    {
        assert!(Instant::now() < deadline, "cancel requests left in live/");
        std::thread::sleep(Duration::from_millis(20));
    }

    // A's worker is free for the next job, which B sees running there too.
    let long = submit(&a, &long_job());
    wait_for(&a, &long, &["running"]);
    let there = status(&b, &format!("/api/images/{long}"));
    assert_eq!(
        (&there["state"], &there["instance"]),
        (&"running".into(), &"a".into()),
        "{there}"
    );
    // B restarting on the same folder leaves A's running job alone.
    assert!(b.stop().success());
    let b = Server::start(&home, &data, &["--instance", "b"]);
    assert_eq!(
        status(&a, &format!("/api/images/{long}"))["state"],
        "running"
    );
    assert_eq!(
        status(&b, &format!("/api/images/{long}"))["state"],
        "running"
    );
    // A second server under A's name would take A's jobs for its own lost ones: refused.
    let twin = Server::try_start(&home, &data, &["--instance", "a"])
        .err()
        .expect("refused");
    assert!(twin.contains("already uses this data folder"), "{twin}");
    assert_eq!(
        status(&a, &format!("/api/images/{long}"))["state"],
        "running"
    );

    // A deleted through B is gone from A's history as well.
    let deleted = call(
        "DELETE",
        &b.url(&format!("/api/images/{mine}")),
        None,
        None,
        None,
    );
    assert_eq!(
        deleted.status,
        200,
        "{}",
        String::from_utf8_lossy(&deleted.body)
    );
    assert_eq!(get(&b, &format!("/api/images/{mine}.png")).status, 404);
    assert_eq!(listed(&a), vec![mine_batch.clone()], "deleted through B");

    // A gone at once (the machine or pod lost): B reports its unfinished job lost.
    a.kill();
    let lost = wait_until(
        &b,
        &format!("/api/images/{long}"),
        "A's job was not reported lost",
        |v| v["state"] == "failed",
    );
    assert!(
        lost["error"].as_str().unwrap().contains("stopped"),
        "{lost}"
    );
    // And what A finished is still served.
    assert_eq!(get(&b, &format!("/api/images/{id}.png")).body, from_a.body);
    assert!(b.stop().success());
}
