//! Where weights come from, without the internet: `--model` parsing, local folder checks,
//! offline resolution from fake Hugging Face caches laid out exactly as hf-hub writes them,
//! and downloads from a tiny hub served on 127.0.0.1 by the test itself.

// The fake hub caches use symlinks, as hf-hub does on unix.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reportfig::model::presets;
use reportfig::model::source::{
    fetch, list_models, render_fetch_report, render_models_list, resolve, DownloadEvent,
    HubOptions, ModelFiles, ModelSource, SourceError,
};
use reportfig_testkit::TinyFamily;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const SHA2: &str = "fedcba9876543210fedcba9876543210fedcba98";

type Files = BTreeMap<String, Vec<u8>>;

/// A diffusers-layout model: configs from the tiny fixtures, placeholder weights (resolution
/// never opens them), the tokenizer files the SD repos ship. `fp16` adds fp16 variants.
fn diffusers_files(family: TinyFamily, fp16: bool) -> Files {
    let mut f = Files::new();
    let mut put = |k: &str, v: &[u8]| {
        f.insert(k.to_string(), v.to_vec());
    };
    put(
        "model_index.json",
        family.config_json("model_index").unwrap().as_bytes(),
    );
    put(
        "scheduler/scheduler_config.json",
        family.config_json("scheduler").unwrap().as_bytes(),
    );
    let mut nets = vec![
        ("unet", "diffusion_pytorch_model"),
        ("vae", "diffusion_pytorch_model"),
        ("text_encoder", "model"),
    ];
    let mut tokenizers = vec!["tokenizer"];
    if family == TinyFamily::Sdxl {
        nets.push(("text_encoder_2", "model"));
        tokenizers.push("tokenizer_2");
    }
    for (net, base) in nets {
        put(
            &format!("{net}/config.json"),
            family.config_json(net).unwrap().as_bytes(),
        );
        put(
            &format!("{net}/{base}.safetensors"),
            format!("f32 weights of {net}").as_bytes(),
        );
        if fp16 {
            put(
                &format!("{net}/{base}.fp16.safetensors"),
                format!("f16 weights of {net}").as_bytes(),
            );
        }
    }
    for tok in tokenizers {
        put(&format!("{tok}/vocab.json"), br#"{"a</w>": 0}"#);
        put(&format!("{tok}/merges.txt"), b"#version: 0.2\n");
        put(&format!("{tok}/tokenizer_config.json"), b"{}");
        put(&format!("{tok}/special_tokens_map.json"), b"{}");
    }
    f
}

fn write_folder(dir: &Path, files: &Files) {
    for (rel, bytes) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

fn etag(bytes: &[u8]) -> String {
    // FNV-1a: distinct content, distinct blob name, as the hub's sha256 etags are.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h = (h ^ *b as u64).wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// Writes `files` into `cache` as hf-hub does: content in `blobs/<etag>`, relative symlinks
/// in `snapshots/<sha>/`, and `refs/<revision>` holding the sha.
fn write_cache(cache: &Path, repo: &str, revision: &str, sha: &str, files: &Files) {
    let repo_dir = cache.join(format!("models--{}", repo.replace('/', "--")));
    for (rel, bytes) in files {
        let tag = etag(bytes);
        let blob = repo_dir.join("blobs").join(&tag);
        std::fs::create_dir_all(blob.parent().unwrap()).unwrap();
        std::fs::write(&blob, bytes).unwrap();
        let link = repo_dir.join("snapshots").join(sha).join(rel);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        let ups = "../".repeat(rel.matches('/').count() + 2);
        std::os::unix::fs::symlink(format!("{ups}blobs/{tag}"), &link).unwrap();
    }
    let r = repo_dir.join("refs").join(revision);
    std::fs::create_dir_all(r.parent().unwrap()).unwrap();
    std::fs::write(r, sha).unwrap();
}

/// `family`'s files as `repo` at `main` = [`SHA`] in the fake cache.
fn write_tiny_cache(cache: &Path, repo: &str, family: TinyFamily, fp16: bool) {
    write_cache(cache, repo, "main", SHA, &diffusers_files(family, fp16));
}

/// Resolves `model` (a `--model` value) offline from the fake cache.
fn resolve_offline(model: &str, cache: &Path) -> Result<ModelFiles, SourceError> {
    resolve(
        &ModelSource::parse(model).unwrap(),
        &offline(cache),
        &mut quiet(),
    )
}

/// Resolves the local folder `dir` (offline, with `dir` as the cache).
fn resolve_local(dir: &Path) -> Result<ModelFiles, SourceError> {
    resolve(&ModelSource::Local(dir.into()), &offline(dir), &mut quiet())
}

fn offline(cache: &Path) -> HubOptions {
    HubOptions {
        offline: true,
        ..HubOptions::new(cache.to_path_buf())
    }
}

fn quiet() -> impl FnMut(DownloadEvent) {
    |_| {}
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap().to_string_lossy().into_owned()
}

// ---------------------------------------------------------------- --model parsing

#[test]
fn parses_presets_repo_ids_and_folders() {
    let turbo = ModelSource::parse("sd-turbo").unwrap();
    assert_eq!(
        turbo,
        ModelSource::Preset(presets::find("sd-turbo").unwrap())
    );
    assert_eq!(turbo.display_name(), "sd-turbo");
    assert!(
        matches!(ModelSource::parse("SDXL").unwrap(), ModelSource::Preset(p) if p.name == "sdxl")
    );

    let hub = ModelSource::parse("org/fine-tune.v2").unwrap();
    assert_eq!(
        hub,
        ModelSource::Hub {
            repo: "org/fine-tune.v2".into(),
            revision: "main".into()
        }
    );
    assert_eq!(hub.display_name(), "org/fine-tune.v2");
    let pinned = ModelSource::parse("org/name@refs/pr/3").unwrap();
    assert_eq!(
        pinned,
        ModelSource::Hub {
            repo: "org/name".into(),
            revision: "refs/pr/3".into()
        }
    );
    assert_eq!(pinned.display_name(), "org/name@refs/pr/3");
    // A repo id naming a preset's repo still gets that preset's licence notice.
    let by_repo = ModelSource::parse("stabilityai/sd-turbo").unwrap();
    assert_eq!(by_repo.preset().map(|p| p.name.as_str()), Some("sd-turbo"));

    for s in ["./models/x", "/data/models/sd15", "../x", "a/b/c"] {
        assert_eq!(
            ModelSource::parse(s).unwrap(),
            ModelSource::Local(PathBuf::from(s)),
            "{s}"
        );
    }
    match ModelSource::parse("~/models/sd15").unwrap() {
        ModelSource::Local(p) => assert!(p.ends_with("models/sd15") && !p.starts_with("~")),
        other => panic!("{other:?}"),
    }
    // An existing folder given by a bare name.
    let here = tempfile::Builder::new()
        .prefix("model-here-")
        .tempdir_in(".")
        .unwrap();
    let name = here
        .path()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        ModelSource::parse(&name).unwrap(),
        ModelSource::Local(PathBuf::from(&name))
    );
}

#[test]
fn unknown_model_lists_presets_and_the_three_forms() {
    let err = ModelSource::parse("sd-turbo-xl").unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SourceError::UnknownModel { .. }));
    for needle in [
        "\"sd-turbo-xl\"",
        "sd-turbo, sdxl-turbo, sd15, sd21, sdxl",
        "org/name@revision",
        "folder",
    ] {
        assert!(msg.contains(needle), "{needle} not in {msg}");
    }
    for bad in ["org/name@", "org/na me", "-org/name", "org--x/name"] {
        assert!(
            matches!(ModelSource::parse(bad), Err(SourceError::BadRepoId { .. })),
            "{bad}"
        );
    }
    assert!(matches!(
        ModelSource::parse("  "),
        Err(SourceError::Empty { .. })
    ));
}

// ---------------------------------------------------------------- local folders

#[test]
fn local_folder_resolves_every_component() {
    let dir = tempfile::tempdir().unwrap();
    write_folder(dir.path(), &diffusers_files(TinyFamily::Sd15, true));
    let src = ModelSource::Local(dir.path().to_path_buf());
    let files = resolve(&src, &offline(dir.path()), &mut quiet()).unwrap();
    let root = dir.path();
    assert_eq!(files.root, root);
    assert_eq!(rel(root, &files.model_index), "model_index.json");
    assert_eq!(rel(root, &files.unet.config), "unet/config.json");
    // A folder prefers the full-precision file it was saved with.
    assert_eq!(
        files
            .unet
            .weights
            .iter()
            .map(|p| rel(root, p))
            .collect::<Vec<_>>(),
        ["unet/diffusion_pytorch_model.safetensors"]
    );
    assert_eq!(
        rel(root, &files.text_encoder.weights[0]),
        "text_encoder/model.safetensors"
    );
    assert_eq!(rel(root, &files.tokenizer), "tokenizer");
    assert!(files.tokenizer.join("vocab.json").is_file());
    assert_eq!(files.text_encoder_2, None);
    assert_eq!(files.tokenizer_2, None);
    assert_eq!(
        rel(root, &files.scheduler_config),
        "scheduler/scheduler_config.json"
    );
    assert_eq!(files.revision, None);
    // model_index + scheduler + 3 x (config + weights) + 4 tokenizer files.
    assert_eq!(files.files.len(), 12);
    assert!(files.files.iter().all(|f| f.is_file()));
}

#[test]
fn local_sdxl_folder_has_second_encoder_and_tokenizer_json_is_enough() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = diffusers_files(TinyFamily::Sdxl, false);
    for name in ["vocab.json", "merges.txt", "special_tokens_map.json"] {
        f.remove(&format!("tokenizer/{name}"));
    }
    f.insert("tokenizer/tokenizer.json".into(), b"{}".to_vec());
    write_folder(dir.path(), &f);
    let files = resolve_local(dir.path()).unwrap();
    let te2 = files.text_encoder_2.unwrap();
    assert!(te2.config.ends_with("text_encoder_2/config.json"));
    assert!(te2.weights[0].ends_with("text_encoder_2/model.safetensors"));
    assert!(files.tokenizer_2.unwrap().ends_with("tokenizer_2"));
    assert!(files
        .files
        .iter()
        .any(|p| p.ends_with("tokenizer/tokenizer.json")));
    assert!(!files
        .files
        .iter()
        .any(|p| p.ends_with("tokenizer/vocab.json")));

    // Without tokenizer_2 the folder is incomplete, and the error says what is missing.
    std::fs::remove_dir_all(dir.path().join("tokenizer_2")).unwrap();
    let err = resolve_local(dir.path()).unwrap_err();
    assert!(
        matches!(&err, SourceError::MissingInFolder { file, .. } if file == "tokenizer_2/vocab.json"),
        "{err}"
    );
}

#[test]
fn local_folder_missing_component_names_folder_file_and_layout() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = diffusers_files(TinyFamily::Sd21, false);
    f.remove("vae/diffusion_pytorch_model.safetensors");
    write_folder(dir.path(), &f);
    let err = resolve_local(dir.path()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
    assert!(
        msg.contains("is missing vae/diffusion_pytorch_model.safetensors"),
        "{msg}"
    );
    assert!(
        msg.contains("A diffusers-layout folder holds model_index.json"),
        "{msg}"
    );

    std::fs::remove_file(dir.path().join("model_index.json")).unwrap();
    let err = resolve_local(dir.path()).unwrap_err();
    assert!(
        err.to_string().contains("is missing model_index.json"),
        "{err}"
    );
}

#[test]
fn local_pickle_weights_are_refused_with_a_conversion_hint() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = diffusers_files(TinyFamily::Sd15, false);
    f.remove("unet/diffusion_pytorch_model.safetensors");
    f.insert(
        "unet/diffusion_pytorch_model.bin".into(),
        b"pickle".to_vec(),
    );
    write_folder(dir.path(), &f);
    let err = resolve_local(dir.path()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SourceError::UnsupportedWeights { .. }));
    assert!(msg.contains("unet/diffusion_pytorch_model.bin"), "{msg}");
    assert!(
        msg.contains("only .safetensors weights are supported"),
        "{msg}"
    );
    assert!(msg.contains("safe_serialization=True"), "{msg}");
}

#[test]
fn sharded_weights_are_listed_in_order_and_bad_indexes_explained() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = diffusers_files(TinyFamily::Sd15, false);
    f.remove("unet/diffusion_pytorch_model.safetensors");
    f.insert(
        "unet/diffusion_pytorch_model.safetensors.index.json".into(),
        br#"{"metadata": {"total_size": 8}, "weight_map": {
            "conv_in.weight": "diffusion_pytorch_model-00001-of-00002.safetensors",
            "conv_out.weight": "diffusion_pytorch_model-00002-of-00002.safetensors",
            "conv_in.bias": "diffusion_pytorch_model-00001-of-00002.safetensors"}}"#
            .to_vec(),
    );
    for i in 1..=2 {
        f.insert(
            format!("unet/diffusion_pytorch_model-0000{i}-of-00002.safetensors"),
            b"shard".to_vec(),
        );
    }
    write_folder(dir.path(), &f);
    let src = ModelSource::Local(dir.path().into());
    let files = resolve(&src, &offline(dir.path()), &mut quiet()).unwrap();
    let shards: Vec<_> = files
        .unet
        .weights
        .iter()
        .map(|p| rel(dir.path(), p))
        .collect();
    assert_eq!(
        shards,
        [
            "unet/diffusion_pytorch_model-00001-of-00002.safetensors",
            "unet/diffusion_pytorch_model-00002-of-00002.safetensors"
        ]
    );

    std::fs::remove_file(
        dir.path()
            .join("unet/diffusion_pytorch_model-00002-of-00002.safetensors"),
    )
    .unwrap();
    let err = resolve(&src, &offline(dir.path()), &mut quiet()).unwrap_err();
    assert!(
        err.to_string()
            .contains("is missing unet/diffusion_pytorch_model-00002-of-00002.safetensors"),
        "{err}"
    );

    std::fs::write(
        dir.path()
            .join("unet/diffusion_pytorch_model.safetensors.index.json"),
        br#"{"weight_map": {"a": "../elsewhere/x.safetensors"}}"#,
    )
    .unwrap();
    let err = resolve(&src, &offline(dir.path()), &mut quiet()).unwrap_err();
    assert!(matches!(err, SourceError::BadShardIndex { .. }), "{err}");
    assert!(err
        .to_string()
        .contains("not a .safetensors file in the same folder"));
}

#[test]
fn missing_folder_and_single_file_checkpoints_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("nope");
    let err = resolve(
        &ModelSource::Local(gone.clone()),
        &offline(dir.path()),
        &mut quiet(),
    )
    .unwrap_err();
    assert!(matches!(err, SourceError::FolderNotFound { .. }));
    assert!(err.to_string().contains("does not exist"));

    let single = dir.path().join("model.safetensors");
    std::fs::write(&single, b"x").unwrap();
    let err = resolve(
        &ModelSource::Local(single),
        &offline(dir.path()),
        &mut quiet(),
    )
    .unwrap_err();
    assert!(matches!(err, SourceError::NotAFolder { .. }));
    assert!(err.to_string().contains("from_single_file"), "{err}");
}

// ---------------------------------------------------------------- offline cache

#[test]
fn offline_resolves_from_the_cache_and_prefers_fp16() {
    let cache = tempfile::tempdir().unwrap();
    write_tiny_cache(
        cache.path(),
        "stabilityai/sd-turbo",
        TinyFamily::Turbo,
        true,
    );
    let src = ModelSource::parse("sd-turbo").unwrap();
    let files = resolve(&src, &offline(cache.path()), &mut quiet()).unwrap();
    let snapshot = cache
        .path()
        .join("models--stabilityai--sd-turbo/snapshots")
        .join(SHA);
    assert_eq!(files.root, snapshot);
    assert_eq!(files.revision.as_deref(), Some(SHA));
    assert_eq!(
        rel(&snapshot, &files.unet.weights[0]),
        "unet/diffusion_pytorch_model.fp16.safetensors"
    );
    assert_eq!(
        rel(&snapshot, &files.text_encoder.weights[0]),
        "text_encoder/model.fp16.safetensors"
    );
    assert_eq!(
        std::fs::read(&files.vae.weights[0]).unwrap(),
        b"f16 weights of vae"
    );
    assert!(files.tokenizer.join("merges.txt").is_file());
}

#[test]
fn offline_uses_plain_weights_when_the_cache_has_no_fp16() {
    let cache = tempfile::tempdir().unwrap();
    write_tiny_cache(cache.path(), "org/tune", TinyFamily::Sd15, false);
    let files = resolve_offline("org/tune", cache.path()).unwrap();
    assert!(files.unet.weights[0].ends_with("unet/diffusion_pytorch_model.safetensors"));
}

#[test]
fn offline_with_an_empty_cache_names_the_file_and_the_fetch_command() {
    let cache = tempfile::tempdir().unwrap();
    let err = resolve_offline("sd-turbo", cache.path()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SourceError::NotInCache { .. }));
    assert!(msg.contains("model_index.json"), "{msg}");
    assert!(msg.contains("stabilityai/sd-turbo@main"), "{msg}");
    assert!(msg.contains("`reportfig models fetch sd-turbo`"), "{msg}");
    assert!(msg.contains(&cache.path().display().to_string()), "{msg}");
}

#[test]
fn offline_incomplete_cache_names_the_missing_file() {
    let cache = tempfile::tempdir().unwrap();
    let mut f = diffusers_files(TinyFamily::Sdxl, true);
    f.remove("text_encoder_2/model.safetensors");
    f.remove("text_encoder_2/model.fp16.safetensors");
    write_cache(cache.path(), "org/xl", "main", SHA, &f);
    let err = resolve_offline("org/xl", cache.path()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("offline: org/xl@main is not downloaded, or not completely (text_encoder_2/model.safetensors is missing"),
        "{msg}"
    );
    assert!(msg.contains("`reportfig models fetch org/xl`"), "{msg}");
}

#[test]
fn offline_follows_revision_refs_and_commit_ids() {
    let cache = tempfile::tempdir().unwrap();
    let mut v2 = diffusers_files(TinyFamily::Sd15, false);
    v2.insert(
        "unet/diffusion_pytorch_model.safetensors".into(),
        b"v2".to_vec(),
    );
    write_tiny_cache(cache.path(), "org/tune", TinyFamily::Sd15, false);
    write_cache(cache.path(), "org/tune", "v2", SHA2, &v2);

    let opts = offline(cache.path());
    let main = resolve(
        &ModelSource::parse("org/tune").unwrap(),
        &opts,
        &mut quiet(),
    )
    .unwrap();
    let tagged = resolve(
        &ModelSource::parse("org/tune@v2").unwrap(),
        &opts,
        &mut quiet(),
    )
    .unwrap();
    let by_sha = resolve(
        &ModelSource::parse(&format!("org/tune@{SHA2}")).unwrap(),
        &opts,
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(main.revision.as_deref(), Some(SHA));
    assert_eq!(tagged.revision.as_deref(), Some(SHA2));
    assert_eq!(std::fs::read(&tagged.unet.weights[0]).unwrap(), b"v2");
    assert_eq!(by_sha, tagged);

    let err = resolve(
        &ModelSource::parse("org/tune@v3").unwrap(),
        &opts,
        &mut quiet(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("`reportfig models fetch org/tune@v3`"),
        "{err}"
    );
}

// ---------------------------------------------------------------- models list

#[test]
fn models_list_shows_licences_sizes_and_cache_state() {
    let cache = tempfile::tempdir().unwrap();
    write_tiny_cache(
        cache.path(),
        "stabilityai/sd-turbo",
        TinyFamily::Turbo,
        true,
    );
    let mut partial = diffusers_files(TinyFamily::Sd15, true);
    partial.remove("vae/diffusion_pytorch_model.fp16.safetensors");
    partial.remove("vae/diffusion_pytorch_model.safetensors");
    write_cache(
        cache.path(),
        "stable-diffusion-v1-5/stable-diffusion-v1-5",
        "main",
        SHA,
        &partial,
    );
    // `models list` never goes online, even when the options say online.
    let mut opts = HubOptions::new(cache.path().to_path_buf());
    opts.endpoint = "http://127.0.0.1:9".into();
    let list = list_models(&opts);
    let cached: Vec<_> = list
        .models
        .iter()
        .map(|m| (m.name.as_str(), m.in_cache))
        .collect();
    assert_eq!(
        cached,
        [
            ("sd-turbo", true),
            ("sdxl-turbo", false),
            ("sd15", false),
            ("sd21", false),
            ("sdxl", false)
        ]
    );
    let text = render_models_list(&list);
    let first = text.lines().nth(1).unwrap();
    assert!(first.starts_with("sd-turbo (default)"), "{text}");
    assert!(
        first.contains("sai-nc-community") && first.contains("512x512") && first.ends_with("yes"),
        "{text}"
    );
    assert!(
        text.contains("768x768") && text.contains("1024x1024"),
        "{text}"
    );
    assert!(text.contains("reportfig models fetch NAME"), "{text}");
    assert!(
        text.contains("sd-turbo, sdxl-turbo are under non-commercial licences (sai-nc-community)"),
        "{text}"
    );
    let json = serde_json::to_value(&list).unwrap();
    assert_eq!(json["models"][3]["licence"], "openrail++");
    assert_eq!(json["models"][0]["default"], true);
}

#[test]
fn hub_options_read_the_huggingface_variables() {
    let home = tempfile::tempdir().unwrap();
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    let o = HubOptions::from_vars(vars(&[]), Some(home.path().into()), false).unwrap();
    assert_eq!(o.cache_dir, home.path().join(".cache/huggingface/hub"));
    assert_eq!(o.endpoint, "https://huggingface.co");
    assert!(!o.offline && o.token.is_none());

    let o = HubOptions::from_vars(
        vars(&[
            ("HF_HOME", "/srv/hf"),
            ("HF_ENDPOINT", "http://mirror.local/"),
            ("HF_HUB_OFFLINE", "1"),
            ("HF_TOKEN", "hf_abc"),
        ]),
        None,
        false,
    )
    .unwrap();
    assert_eq!(o.cache_dir, PathBuf::from("/srv/hf/hub"));
    assert_eq!(o.endpoint, "http://mirror.local");
    assert!(o.offline);
    assert_eq!(o.token.as_deref(), Some("hf_abc"));

    let o = HubOptions::from_vars(
        vars(&[
            ("HF_HOME", "/srv/hf"),
            ("HF_HUB_CACHE", "/fast/hub"),
            ("HF_HUB_OFFLINE", "0"),
        ]),
        None,
        true,
    )
    .unwrap();
    assert_eq!(o.cache_dir, PathBuf::from("/fast/hub"));
    assert!(o.offline, "--offline wins over HF_HUB_OFFLINE=0");

    // The token file huggingface-cli login writes.
    let hf_home = home.path().join(".cache/huggingface");
    std::fs::create_dir_all(&hf_home).unwrap();
    std::fs::write(hf_home.join("token"), "hf_file\n").unwrap();
    let o = HubOptions::from_vars(vars(&[]), Some(home.path().into()), false).unwrap();
    assert_eq!(o.token.as_deref(), Some("hf_file"));

    assert!(matches!(
        HubOptions::from_vars(vars(&[]), None, false),
        Err(SourceError::NoCacheDir)
    ));
}

// ---------------------------------------------------------------- online, against a local hub

/// A tiny Hugging Face hub on 127.0.0.1 serving one repo: the API info endpoint and
/// `resolve/` with the headers hf-hub 0.4 reads (etag, x-repo-commit, content-range) and
/// byte ranges. It stops when dropped, after 60 s, or after 500 connections.
struct FakeHub {
    endpoint: String,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl FakeHub {
    fn start(repo: &'static str, sha: &'static str, files: Files, status: Option<u16>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stop2, log2) = (stop.clone(), log.clone());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut served = 0;
            while !stop2.load(Ordering::SeqCst) && Instant::now() < deadline && served < 500 {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        let _ = serve(stream, repo, sha, &files, status, &log2);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self {
            endpoint,
            stop,
            log,
            thread: Some(thread),
        }
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn serve(
    stream: TcpStream,
    repo: &str,
    sha: &str,
    files: &Files,
    status: Option<u16>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut range = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("range") {
                range = v.trim().strip_prefix("bytes=").map(str::to_string);
            }
        }
    }
    log.lock()
        .unwrap()
        .push(format!("{path} {}", range.clone().unwrap_or_default()));
    let mut out = stream;
    let respond = |out: &mut TcpStream, code: u16, headers: &[(String, String)], body: &[u8]| {
        let mut head = format!(
            "HTTP/1.1 {code} X\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        out.write_all(head.as_bytes())?;
        out.write_all(body)
    };
    if let Some(code) = status {
        return respond(&mut out, code, &[], b"{\"error\": \"nope\"}");
    }
    if path == format!("/api/models/{repo}/revision/main") {
        let siblings: Vec<_> = files
            .keys()
            .map(|k| serde_json::json!({ "rfilename": k }))
            .collect();
        let body = serde_json::json!({ "sha": sha, "siblings": siblings }).to_string();
        return respond(
            &mut out,
            200,
            &[("Content-Type".into(), "application/json".into())],
            body.as_bytes(),
        );
    }
    let prefix = format!("/{repo}/resolve/");
    let Some(rest) = path.strip_prefix(&prefix) else {
        return respond(&mut out, 404, &[], b"not found");
    };
    let Some((rev, file)) = rest.split_once('/') else {
        return respond(&mut out, 404, &[], b"not found");
    };
    let Some(bytes) = files.get(file).filter(|_| rev == sha || rev == "main") else {
        return respond(&mut out, 404, &[], b"not found");
    };
    let len = bytes.len();
    let (start, end) = match range.as_deref().and_then(|r| r.split_once('-')) {
        Some((s, e)) => {
            let s: usize = s.parse().unwrap_or(0);
            let e: usize = e.parse().unwrap_or(len - 1).min(len - 1);
            (s, e)
        }
        None => (0, len - 1),
    };
    let headers = [
        ("ETag".to_string(), format!("\"{}\"", etag(bytes))),
        ("X-Repo-Commit".to_string(), sha.to_string()),
        (
            "Content-Range".to_string(),
            format!("bytes {start}-{end}/{len}"),
        ),
    ];
    respond(&mut out, 206, &headers, &bytes[start..=end])
}

fn online(cache: &Path, hub: &FakeHub) -> HubOptions {
    HubOptions {
        endpoint: hub.endpoint.clone(),
        ..HubOptions::new(cache.to_path_buf())
    }
}

#[test]
fn online_downloads_into_the_cache_then_resolves_offline() {
    let mut files = diffusers_files(TinyFamily::Sdxl, true);
    // Things a real repo also has, which must not be downloaded.
    files.insert(
        "unet/diffusion_pytorch_model.bin".into(),
        b"pickle".to_vec(),
    );
    files.insert("sd_xl_base_1.0.safetensors".into(), b"single file".to_vec());
    files.insert("README.md".into(), b"card".to_vec());
    let hub = FakeHub::start("org/xl", SHA, files, None);
    let cache = tempfile::tempdir().unwrap();
    let src = ModelSource::parse("org/xl").unwrap();

    let mut events = Vec::new();
    let got = resolve(&src, &online(cache.path(), &hub), &mut |e| {
        events.push(format!("{e:?}"))
    })
    .unwrap();
    let snapshot = cache.path().join("models--org--xl/snapshots").join(SHA);
    assert_eq!(got.root, snapshot);
    assert_eq!(got.revision.as_deref(), Some(SHA));
    assert!(got.unet.weights[0].ends_with("unet/diffusion_pytorch_model.fp16.safetensors"));
    assert_eq!(
        std::fs::read(&got.text_encoder_2.as_ref().unwrap().weights[0]).unwrap(),
        b"f16 weights of text_encoder_2"
    );
    assert!(got
        .tokenizer_2
        .as_ref()
        .unwrap()
        .join("merges.txt")
        .is_file());
    assert_eq!(
        std::fs::read_to_string(cache.path().join("models--org--xl/refs/main")).unwrap(),
        SHA
    );
    // model_index + scheduler + 4 x (config + weights) + 2 x 4 tokenizer files.
    assert_eq!(got.files.len(), 18);
    let starts = events.iter().filter(|e| e.starts_with("Start")).count();
    let finishes = events.iter().filter(|e| e.starts_with("Finish")).count();
    assert_eq!((starts, finishes), (18, 18), "{events:?}");
    assert!(events.iter().any(|e| e.contains("Advance")));
    let requests = hub.requests();
    for skipped in [
        "README.md",
        ".bin",
        "sd_xl_base",
        "unet/diffusion_pytorch_model.safetensors",
    ] {
        assert!(
            !requests.iter().any(|r| r.contains(skipped)),
            "{skipped} was requested: {requests:?}"
        );
    }

    // Everything is now in the cache: offline finds the same files, online fetches nothing.
    let offline_files = resolve(&src, &offline(cache.path()), &mut quiet()).unwrap();
    assert_eq!(offline_files, got);
    let before = hub.requests().len();
    let mut starts = 0;
    let again = resolve(&src, &online(cache.path(), &hub), &mut |e| {
        if matches!(e, DownloadEvent::Start { .. }) {
            starts += 1
        }
    })
    .unwrap();
    assert_eq!(again, got);
    assert_eq!(starts, 0);
    assert_eq!(hub.requests().len(), before + 1, "only the file list again");
}

#[test]
fn models_fetch_downloads_and_reports() {
    let hub = FakeHub::start(
        "stabilityai/sd-turbo",
        SHA,
        diffusers_files(TinyFamily::Turbo, true),
        None,
    );
    let cache = tempfile::tempdir().unwrap();
    let opts = online(cache.path(), &hub);
    let src = ModelSource::parse("sd-turbo").unwrap();
    let report = fetch(&src, &opts, &mut quiet()).unwrap();
    assert_eq!(report.model, "sd-turbo");
    assert_eq!(report.commit.as_deref(), Some(SHA));
    assert_eq!(report.files, 12);
    assert!(report.bytes > 0);
    let text = render_fetch_report(&report);
    assert!(
        text.starts_with(
            "sd-turbo (stabilityai/sd-turbo@main, commit 0123456789ab) is in the cache: 12 files"
        ),
        "{text}"
    );
    assert!(list_models(&opts).models[0].in_cache);

    let err = fetch(&src, &offline(cache.path()), &mut quiet()).unwrap_err();
    assert!(matches!(err, SourceError::FetchOffline));
    let err = fetch(&ModelSource::Local("./x".into()), &opts, &mut quiet()).unwrap_err();
    assert!(matches!(err, SourceError::FetchLocal { .. }));
}

#[test]
fn online_repo_without_diffusers_files_is_explained() {
    let mut files = diffusers_files(TinyFamily::Sd15, false);
    files.remove("scheduler/scheduler_config.json");
    let hub = FakeHub::start("org/odd", SHA, files, None);
    let cache = tempfile::tempdir().unwrap();
    let err = resolve(
        &ModelSource::parse("org/odd").unwrap(),
        &online(cache.path(), &hub),
        &mut quiet(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Hugging Face repo org/odd is not in diffusers layout: it has no scheduler/scheduler_config.json"),
        "{err}"
    );
}

#[test]
fn hub_refusals_and_network_failures_are_plain_messages() {
    let cache = tempfile::tempdir().unwrap();
    let src = ModelSource::parse("org/missing").unwrap();

    let hub = FakeHub::start("org/missing", SHA, Files::new(), Some(404));
    let err = resolve(&src, &online(cache.path(), &hub), &mut quiet()).unwrap_err();
    assert!(matches!(err, SourceError::RepoNotFound { .. }), "{err}");
    assert!(err.to_string().contains("HF_TOKEN"));

    let hub = FakeHub::start("org/missing", SHA, Files::new(), Some(403));
    let err = resolve(&src, &online(cache.path(), &hub), &mut quiet()).unwrap_err();
    assert!(matches!(err, SourceError::Gated { .. }), "{err}");

    let hub = FakeHub::start("org/missing", SHA, Files::new(), Some(500));
    let err = resolve(&src, &online(cache.path(), &hub), &mut quiet()).unwrap_err();
    assert!(err.to_string().contains("HTTP 500"), "{err}");

    // A port nobody listens on: bind one, note it, close it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut opts = HubOptions::new(cache.path().to_path_buf());
    opts.endpoint = format!("http://127.0.0.1:{port}");
    let err = resolve(&src, &opts, &mut quiet()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SourceError::Network { .. }), "{msg}");
    assert!(
        msg.contains("could not reach the Hugging Face hub at http://127.0.0.1:"),
        "{msg}"
    );
    assert!(
        msg.contains("--offline") && msg.contains("HF_ENDPOINT"),
        "{msg}"
    );
    assert!(!msg.contains("Transport") && !msg.contains("ureq"), "{msg}");
}

/// Every file of a real tiny model (`write_tiny_model`), keyed by its path in the repo.
fn tiny_model_files(family: TinyFamily) -> Files {
    let dir = tempfile::tempdir().unwrap();
    reportfig_testkit::write_tiny_model(dir.path(), family).unwrap();
    let mut files = Files::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.insert(rel(dir.path(), &p), std::fs::read(&p).unwrap());
            }
        }
    }
    files
}

#[test]
fn licence_notice_shows_until_a_run_succeeds() {
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join("hub");
    let generate = |name: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_reportfig"))
            .current_dir(home.path())
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("HF_HUB_CACHE", &cache)
            .env("HF_HUB_OFFLINE", "1")
            .args([
                "generate",
                "a bar chart",
                "--model",
                "sd-turbo",
                "--seed",
                "1",
            ])
            .args(["--size", "64x64", "-o", name])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        (
            out.status.code(),
            stderr.contains("sai-nc-community"),
            stderr,
        )
    };
    // Nothing in the cache: the run fails after the notice, so the notice is still due.
    let (code, noticed, stderr) = generate("a.png");
    assert_ne!(code, Some(0), "{stderr}");
    assert!(noticed, "{stderr}");
    let (_, noticed, stderr) = generate("a.png");
    assert!(noticed, "a failed run must not use up the notice: {stderr}");

    // With the model in the cache the run succeeds and shows the notice a last time.
    write_cache(
        &cache,
        "stabilityai/sd-turbo",
        "main",
        SHA,
        &tiny_model_files(TinyFamily::Turbo),
    );
    let (code, noticed, stderr) = generate("b.png");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(noticed, "{stderr}");
    let (code, noticed, stderr) = generate("c.png");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!noticed, "shown once a run succeeded: {stderr}");
}
