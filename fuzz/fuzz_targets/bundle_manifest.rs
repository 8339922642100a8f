//! `models import` bundle manifests: the input is the manifest of a bundle that holds one
//! real file (`models--org--tiny/snapshots/<commit>/model_index.json`, listed by the seed in
//! `fuzz/seeds/bundle_manifest/`). Whatever the manifest names, importing writes only inside
//! the cache, and a refusal names the bundle or the cache.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reportfig::model::bundle;

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// Names in `dir` other than `keep`.
fn others(dir: &std::path::Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    // Two levels above the bundle, so a name that climbs out is seen wherever it lands.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("a").join("b");
    let stick = root.join("stick");
    let cache = root.join("cache");
    let snapshot = stick.join("models--org--tiny/snapshots").join(COMMIT);
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::write(snapshot.join("model_index.json"), b"{}").unwrap();
    std::fs::write(stick.join(bundle::MANIFEST), data).unwrap();
    let result = bundle::import(&stick, &cache, &mut |_| {});
    for (dir, keep) in [
        (tmp.path().to_path_buf(), &["a"][..]),
        (tmp.path().join("a"), &["b"][..]),
        (root.clone(), &["stick", "cache"][..]),
    ] {
        let outside = others(&dir, keep);
        assert!(outside.is_empty(), "written outside the cache: {outside:?}");
    }
    if let Err(e) = result {
        let message = e.to_string();
        assert!(
            message.contains("stick") || message.contains("cache"),
            "{message}"
        );
    }
});
