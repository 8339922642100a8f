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

use reportfig::commands::models::{render_fetch_report, render_models_list};
use reportfig::i18n::Lang;
use reportfig::model::presets;
use reportfig::model::source::{
    fetch, list_models, resolve, resolve_with_config, DownloadEvent, HubOptions, ModelFiles,
    ModelSource, SourceError, WeightLayout,
};
use reportfig_engine::model::single_file::{CheckpointPart, SingleFileError};
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
        "sd-turbo, sdxl-turbo, sd15, sd21, sdxl, sdxl-lightning, lcm-dreamshaper",
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

    // A .safetensors file is read as a single-file checkpoint (one of 1 byte is cut off);
    // another file is neither.
    let single = dir.path().join("model.safetensors");
    std::fs::write(&single, b"x").unwrap();
    let err = resolve(
        &ModelSource::Local(single),
        &offline(dir.path()),
        &mut quiet(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, SourceError::Checkpoint(e) if matches!(**e, SingleFileError::Truncated { .. })),
        "{err}"
    );
    let pickle = dir.path().join("model.ckpt");
    std::fs::write(&pickle, b"x").unwrap();
    let err = resolve(
        &ModelSource::Local(pickle),
        &offline(dir.path()),
        &mut quiet(),
    )
    .unwrap_err();
    assert!(matches!(err, SourceError::NotAFolder { .. }));
    assert!(err.to_string().contains(".safetensors"), "{err}");
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

/// `sdxl-lightning` is SDXL base's repo and files, with SDXL-Lightning's 4-step LoRA named
/// by its file in ByteDance's repo and the scheduler's spacing set to trailing; the same repo
/// as the `sdxl` preset keeps its own leading spacing, and a repo id still means `sdxl`.
#[test]
fn sdxl_lightning_is_sdxl_base_with_its_lora_and_trailing_timesteps() {
    let cache = tempfile::tempdir().unwrap();
    let base = "stabilityai/stable-diffusion-xl-base-1.0";
    write_tiny_cache(cache.path(), base, TinyFamily::Sdxl, true);
    let src = ModelSource::parse("sdxl-lightning").unwrap();
    let p = src.preset().expect("a preset");
    assert_eq!((p.repo.as_str(), p.family.name()), (base, "sdxl"));
    assert_eq!(
        (p.width, p.height, p.steps, p.guidance),
        (1024, 1024, 4, 0.0)
    );
    assert_eq!(p.sampler.map(|k| k.name()), Some("euler"));
    assert_eq!(
        (p.licence.as_str(), p.non_commercial),
        ("openrail++", false)
    );
    assert!(
        p.licence_note.contains("SDXL-Lightning"),
        "{}",
        p.licence_note
    );
    let loras = p.lora_specs();
    assert_eq!(loras.len(), 1);
    assert_eq!(
        loras[0].source,
        "ByteDance/SDXL-Lightning/sdxl_lightning_4step_lora.safetensors"
    );
    assert_eq!(loras[0].weight, 1.0);
    let unrecorded = reportfig::lora::unfetched_record(&loras[0]).unwrap();
    assert_eq!(unrecorded.name, "sdxl_lightning_4step_lora");

    let files = resolve(&src, &offline(cache.path()), &mut quiet()).unwrap();
    assert_eq!(files.timestep_spacing.as_deref(), Some("trailing"));
    assert!(files.text_encoder_2.is_some());
    let sdxl = resolve_offline("sdxl", cache.path()).unwrap();
    assert_eq!(sdxl.timestep_spacing, None);
    assert_eq!(sdxl.unet.weights, files.unet.weights);
    assert_eq!(
        resolve_offline(base, cache.path())
            .unwrap()
            .timestep_spacing,
        None
    );
    assert_eq!(
        ModelSource::parse(base)
            .unwrap()
            .preset()
            .map(|p| p.name.as_str()),
        Some("sdxl")
    );
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
    assert!(
        msg.contains("`reportfig models export sd-turbo DIR`"),
        "{msg}"
    );
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
    assert!(
        msg.contains("`reportfig models export org/xl DIR`"),
        "{msg}"
    );
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
            .contains("`reportfig models export org/tune@v3 DIR`"),
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
            ("sd15-lcm", false),
            ("sd-turbo", true),
            ("sdxl-turbo", false),
            ("sd15", false),
            ("sd21", false),
            ("sdxl", false),
            ("sdxl-lightning", false),
            ("lcm-dreamshaper", false)
        ]
    );
    let text = render_models_list(&list, Lang::En);
    let first = text.lines().nth(1).unwrap();
    assert!(first.starts_with("sd15-lcm (default)"), "{text}");
    assert!(
        first.contains("creativeml-openrail-m") && first.ends_with("no"),
        "{text}"
    );
    let turbo = text.lines().nth(2).unwrap();
    assert!(
        turbo.contains("sai-nc-community") && turbo.contains("512x512") && turbo.ends_with("yes"),
        "{text}"
    );
    assert!(
        text.contains("768x768") && text.contains("1024x1024"),
        "{text}"
    );
    assert!(text.contains("reportfig models fetch NAME"), "{text}");
    assert!(
        text.contains("Non-commercial use only: sd-turbo, sdxl-turbo (sai-nc-community)"),
        "{text}"
    );
    let json = serde_json::to_value(&list).unwrap();
    assert_eq!(json["models"][4]["licence"], "openrail++");
    let lightning = text
        .lines()
        .find(|l| l.starts_with("sdxl-lightning"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        lightning.contains("openrail++") && lightning.contains("1024x1024"),
        "{text}"
    );
    assert_eq!(json["models"][6]["licence"], "openrail++");
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

/// A tiny Hugging Face hub on 127.0.0.1 serving a repo (or several) the way huggingface.co does: the API
/// info endpoint, `resolve/` answering small files itself (ETag = git blob id) and sending
/// `.safetensors` files, as LFS files, by a 302 to a CDN on another host name (`localhost`)
/// with `X-Linked-Etag` = sha256 and `X-Linked-Size`; byte ranges on both. [`Behaviour`] makes
/// it lie. It stops when dropped, after 60 s, or after 500 connections.
struct FakeHub {
    endpoint: String,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What the fake hub says; `Default` is an honest hub.
#[derive(Clone, Default)]
struct Behaviour {
    /// Every request gets this status and a JSON error body.
    status: Option<u16>,
    /// The `sha` of the API's file list instead of the real commit.
    api_sha: Option<String>,
    /// The raw ETag (`X-Linked-Etag` for LFS files) of every file.
    etag: Option<String>,
    /// The `X-Repo-Commit` of every file.
    commit: Option<String>,
    /// What the CDN sends for LFS files, whatever the hub announced.
    cdn_body: Option<Vec<u8>>,
    /// The lies start after this many honest `resolve/` answers, so a check made on an
    /// earlier answer would not see them.
    honest_answers: usize,
    /// The Authorization header it was sent becomes the reason phrase of `status`, and the
    /// end of the lying ETag: a hub that tries to get the token printed.
    echo_token: bool,
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
        Self::with(
            repo,
            sha,
            files,
            Behaviour {
                status,
                ..Behaviour::default()
            },
        )
    }

    fn with(repo: &'static str, sha: &'static str, files: Files, lies: Behaviour) -> Self {
        Self::serving(vec![(repo, sha, files)], lies)
    }

    /// Several repos on one hub, each with its commit and files: a preset and its LoRA.
    fn serving(repos: Vec<(&'static str, &'static str, Files)>, lies: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let endpoint = format!("http://127.0.0.1:{port}");
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stop2, log2) = (stop.clone(), log.clone());
        let thread = std::thread::spawn(move || {
            let mut hub = Served {
                repos,
                lies,
                cdn: format!("http://localhost:{port}/cdn"),
                answers: 0,
            };
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut served = 0;
            while !stop2.load(Ordering::SeqCst) && Instant::now() < deadline && served < 500 {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        let _ = hub.serve(stream, &log2);
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

    /// `path range auth=yes|no` per request.
    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

struct Served {
    repos: Vec<(&'static str, &'static str, Files)>,
    lies: Behaviour,
    cdn: String,
    answers: usize,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

use crate::common::sha256_hex;

/// The id git gives the file's contents, which the hub sends as the ETag of non-LFS files.
fn git_blob_id(bytes: &[u8]) -> String {
    use sha1::Digest;
    let mut h = sha1::Sha1::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    hex(&h.finalize())
}

fn is_lfs(file: &str) -> bool {
    file.ends_with(".safetensors") || file.ends_with(".pth")
}

impl Served {
    fn serve(&mut self, stream: TcpStream, log: &Mutex<Vec<String>>) -> std::io::Result<()> {
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let (mut range, mut auth) = (None, String::new());
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h == "\r\n" {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("range") {
                    range = v.trim().strip_prefix("bytes=").map(str::to_string);
                }
                if k.eq_ignore_ascii_case("authorization") {
                    auth = v.trim().to_string();
                }
            }
        }
        log.lock().unwrap().push(format!(
            "{path} {} auth={}",
            range.clone().unwrap_or_default(),
            if auth.is_empty() { "no" } else { "yes" }
        ));
        let mut out = stream;
        let lies = self.lies.clone();
        if let Some(code) = lies.status {
            let reason = if lies.echo_token { auth.as_str() } else { "X" };
            return respond(&mut out, code, reason, &[], b"{\"error\": \"nope\"}");
        }
        // `main`, or the commit a preset pins.
        if let Some((_, sha, files)) = self.repos.iter().find(|(repo, sha, _)| {
            path == format!("/api/models/{repo}/revision/main")
                || path == format!("/api/models/{repo}/revision/{sha}")
        }) {
            let siblings: Vec<_> = files
                .keys()
                .map(|k| serde_json::json!({ "rfilename": k }))
                .collect();
            let sha = lies.api_sha.as_deref().unwrap_or(sha);
            let body = serde_json::json!({ "sha": sha, "siblings": siblings }).to_string();
            let json = [("Content-Type".into(), "application/json".into())];
            return respond(&mut out, 200, "OK", &json, body.as_bytes());
        }
        if let Some(tag) = path.strip_prefix("/cdn/") {
            let Some(bytes) = self
                .repos
                .iter()
                .flat_map(|(_, _, files)| files.values())
                .find(|b| sha256_hex(b) == tag)
            else {
                return respond(&mut out, 404, "X", &[], b"not found");
            };
            let bytes = match (&lies.cdn_body, self.answers > lies.honest_answers) {
                (Some(other), true) => other.clone(),
                _ => bytes.clone(),
            };
            return send_range(&mut out, &bytes, range.as_deref(), Vec::new());
        }
        let Some((sha, files, rev, file)) = self.repos.iter().find_map(|(repo, sha, files)| {
            let (rev, file) = path
                .strip_prefix(&format!("/{repo}/resolve/"))?
                .split_once('/')?;
            Some((*sha, files, rev, file))
        }) else {
            return respond(&mut out, 404, "X", &[], b"not found");
        };
        let Some(bytes) = files
            .get(file)
            .filter(|_| rev == sha || rev == "main")
            .cloned()
        else {
            return respond(&mut out, 404, "X", &[], b"not found");
        };
        self.answers += 1;
        let lying = self.answers > lies.honest_answers;
        let mut etag = format!(
            "\"{}\"",
            if is_lfs(file) {
                sha256_hex(&bytes)
            } else {
                git_blob_id(&bytes)
            }
        );
        let mut commit = sha.to_string();
        if lying {
            if let Some(e) = &lies.etag {
                etag = if lies.echo_token {
                    format!("{e}{auth}")
                } else {
                    e.clone()
                };
            }
            if let Some(c) = &lies.commit {
                commit = c.clone();
            }
        }
        let mut headers = vec![("X-Repo-Commit".to_string(), commit)];
        if is_lfs(file) {
            headers.extend([
                ("X-Linked-Etag".to_string(), etag),
                ("X-Linked-Size".to_string(), bytes.len().to_string()),
                ("ETag".to_string(), "\"lfs-pointer\"".to_string()),
                (
                    "Location".to_string(),
                    format!("{}/{}", self.cdn, sha256_hex(&bytes)),
                ),
            ]);
            return respond(&mut out, 302, "Found", &headers, b"");
        }
        headers.push(("ETag".to_string(), etag));
        send_range(&mut out, &bytes, range.as_deref(), headers)
    }
}

fn respond(
    out: &mut TcpStream,
    code: u16,
    reason: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body)
}

/// The whole file (200), or from the requested offset on (206 with Content-Range).
fn send_range(
    out: &mut TcpStream,
    bytes: &[u8],
    range: Option<&str>,
    mut headers: Vec<(String, String)>,
) -> std::io::Result<()> {
    let len = bytes.len();
    let Some((s, e)) = range.and_then(|r| r.split_once('-')) else {
        return respond(out, 200, "OK", &headers, bytes);
    };
    let start: usize = s.parse().unwrap_or(0).min(len);
    let end: usize = e
        .parse()
        .unwrap_or(len.saturating_sub(1))
        .min(len.saturating_sub(1));
    headers.push((
        "Content-Range".to_string(),
        format!("bytes {start}-{end}/{len}"),
    ));
    let body = bytes.get(start..=end).unwrap_or_default();
    respond(out, 206, "Partial Content", &headers, body)
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
    // model_index + scheduler + 4 x (config + weights) + 2 x 4 tokenizer files + the model
    // card (for its licence).
    assert_eq!(got.files.len(), 19);
    // Files with the same contents share one blob, downloaded once (the two tokenizers
    // here are the same), as in huggingface_hub's cache.
    let contents: std::collections::BTreeSet<Vec<u8>> = got
        .files
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .collect();
    assert_eq!(contents.len(), 14);
    let starts = events.iter().filter(|e| e.starts_with("Start")).count();
    let finishes = events.iter().filter(|e| e.starts_with("Finish")).count();
    assert_eq!((starts, finishes), (14, 14), "{events:?}");
    assert!(events.iter().any(|e| e.contains("Advance")));
    let requests = hub.requests();
    assert!(
        requests.iter().any(|r| r.contains("README.md")),
        "{requests:?}"
    );
    for skipped in [
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

/// A single-file checkpoint whose configs come from a hub repo: only the repo's configs,
/// tokenizers and scheduler config are downloaded, never its weights, and every network
/// reads its part of the checkpoint.
#[test]
fn checkpoint_configs_from_a_repo_download_no_weights() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = dir.path().join("tiny");
    reportfig_testkit::write_tiny_model(&tiny, TinyFamily::Sdxl).unwrap();
    let ckpt = dir.path().join("xl.safetensors");
    reportfig_testkit::single_file::write_single_file(&tiny, TinyFamily::Sdxl, &ckpt, true)
        .unwrap();
    let hub = FakeHub::start("org/xl", SHA, diffusers_files(TinyFamily::Sdxl, true), None);
    let cache = tempfile::tempdir().unwrap();
    let config = ModelSource::parse("org/xl").unwrap();
    let model = ModelSource::Local(ckpt.clone());
    let got = resolve_with_config(
        &model,
        Some(&config),
        &online(cache.path(), &hub),
        &mut quiet(),
    )
    .unwrap();
    let requests = hub.requests();
    assert!(
        !requests.iter().any(|r| r.contains("safetensors")),
        "weights were requested: {requests:?}"
    );
    let snapshot = cache.path().join("models--org--xl/snapshots").join(SHA);
    assert_eq!(got.root, snapshot);
    assert_eq!(got.unet.config, snapshot.join("unet/config.json"));
    let te2 = got.text_encoder_2.as_ref().expect("second text encoder");
    for (c, part) in [
        (&got.unet, CheckpointPart::Unet),
        (&got.vae, CheckpointPart::Vae),
        (
            &got.text_encoder,
            CheckpointPart::Clip {
                prefix: "conditioner.embedders.0.transformer.".into(),
            },
        ),
        (
            te2,
            CheckpointPart::OpenClip {
                prefix: "conditioner.embedders.1.model.".into(),
            },
        ),
    ] {
        assert_eq!(c.weights, vec![ckpt.clone()]);
        assert_eq!(c.layout, WeightLayout::Checkpoint(part));
    }
    // The named config's scheduler is taken as it is, as diffusers does.
    assert_eq!(got.prediction_type, None);
    assert!(got
        .tokenizer_2
        .as_ref()
        .unwrap()
        .join("merges.txt")
        .is_file());
    assert!(got.files.contains(&ckpt));
    // model_index + scheduler + 4 configs + 2 x 4 tokenizer files + the checkpoint.
    assert_eq!(got.files.len(), 15, "{:?}", got.files);

    // Offline, the cached configs are enough; without --model-config the SDXL preset's are
    // wanted, and their absence is explained.
    let again =
        resolve_with_config(&model, Some(&config), &offline(cache.path()), &mut quiet()).unwrap();
    assert_eq!(again, got);
    let err = resolve_with_config(&model, None, &offline(cache.path()), &mut quiet()).unwrap_err();
    assert!(
        matches!(&err, SourceError::CheckpointConfigNotCached { preset, .. } if preset == "sdxl"),
        "{err}"
    );
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
    let text = render_fetch_report(&report, Lang::En);
    assert!(
        text.starts_with(
            "sd-turbo (stabilityai/sd-turbo@main, commit 0123456789ab) is in the cache: 12 files"
        ),
        "{text}"
    );
    assert!(list_models(&opts)
        .models
        .iter()
        .any(|m| m.name == "sd-turbo" && m.in_cache));

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
    assert!(err.to_string().contains("set HF_TOKEN"), "{err}");
    // With a token sent, the hint does not tell the user to set the one they set.
    let mut with_token = online(cache.path(), &hub);
    with_token.token = Some("hf_test".into());
    let err = resolve(&src, &with_token, &mut quiet()).unwrap_err();
    assert!(
        matches!(
            err,
            SourceError::RepoNotFound {
                token_sent: true,
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains("set HF_TOKEN"), "{err}");
    assert!(err.to_string().contains("token has not expired"), "{err}");
    assert!(!err.to_string().contains("hf_test"), "{err}");

    let hub = FakeHub::start("org/missing", SHA, Files::new(), Some(403));
    let err = resolve(&src, &online(cache.path(), &hub), &mut quiet()).unwrap_err();
    assert!(matches!(err, SourceError::Gated { .. }), "{err}");
    assert!(err.to_string().contains("set HF_TOKEN"), "{err}");
    // Gated with a token sent: the fix is that token's account, not setting one.
    let mut with_token = online(cache.path(), &hub);
    with_token.token = Some("hf_test".into());
    let err = resolve(&src, &with_token, &mut quiet()).unwrap_err();
    assert!(!err.to_string().contains("set HF_TOKEN"), "{err}");
    assert!(
        err.to_string()
            .contains("account of the access token in HF_TOKEN"),
        "{err}"
    );
    assert!(!err.to_string().contains("hf_test"), "{err}");

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

// ---------------------------------------------------------------- a hub that lies

/// A cache four folders down a temporary folder, so a path that climbs out of the cache
/// still lands where the test looks for it.
struct Sandbox {
    root: tempfile::TempDir,
    cache: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let cache = root.path().join("a/b/c/d/hub");
        std::fs::create_dir_all(&cache).unwrap();
        Self { root, cache }
    }

    /// The binary in `home` with this cache, talking to `hub` (online unless `offline`),
    /// with no token, and its exit code, standard output and standard error.
    fn run(
        &self,
        home: &Path,
        hub: &FakeHub,
        offline: bool,
        args: &[&str],
    ) -> (Option<i32>, String, String) {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_reportfig"));
        cmd.current_dir(home)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("HF_HUB_CACHE", &self.cache)
            .env("HF_ENDPOINT", &hub.endpoint)
            .env_remove("HF_TOKEN")
            .args(args);
        if offline {
            cmd.env("HF_HUB_OFFLINE", "1");
        } else {
            cmd.env_remove("HF_HUB_OFFLINE");
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Everything under the temporary folder that is neither the cache, in it, nor one of
    /// the folders holding it.
    fn outside_the_cache(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut stack = vec![self.root.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let p = entry.unwrap().path();
                if p.starts_with(&self.cache) {
                    continue;
                }
                if self.cache.starts_with(&p) && p.is_dir() {
                    stack.push(p);
                } else {
                    found.push(p);
                }
            }
        }
        found
    }

    /// Every file and symlink in the cache, relative to it, lock files aside (hf-hub's and
    /// ours stay, empty, so that waiting downloads keep locking the same file).
    fn cache_files(&self) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![self.cache.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let p = entry.unwrap().path();
                let meta = std::fs::symlink_metadata(&p).unwrap();
                if meta.is_dir() {
                    stack.push(p);
                } else if p.extension().is_none_or(|e| e != "lock") {
                    found.push(rel(&self.cache, &p));
                }
            }
        }
        found.sort();
        found
    }

    fn options(&self, hub: &FakeHub) -> HubOptions {
        online(&self.cache, hub)
    }
}

/// Fetches `org/evil` from a hub behaving as `lies`, into a fresh sandbox.
fn fetch_from_liar(lies: Behaviour) -> (FakeHub, Sandbox, Result<ModelFiles, SourceError>) {
    let hub = FakeHub::with(
        "org/evil",
        SHA,
        diffusers_files(TinyFamily::Sd15, true),
        lies,
    );
    let sandbox = Sandbox::new();
    let got = resolve(
        &ModelSource::parse("org/evil").unwrap(),
        &sandbox.options(&hub),
        &mut quiet(),
    );
    (hub, sandbox, got)
}

/// The refusal every lie must end in: the run-time error naming the hub and the value,
/// nothing outside the cache, nothing partial in it.
fn assert_refused(
    case: &str,
    hub: &FakeHub,
    sandbox: &Sandbox,
    got: Result<ModelFiles, SourceError>,
    value: &str,
) {
    let err = match got {
        Ok(files) => panic!("{case}: accepted, files in {}", files.root.display()),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(matches!(err, SourceError::HubLied { .. }), "{case}: {msg}");
    let first = msg.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("the Hugging Face hub at {} sent ", hub.endpoint)),
        "{case}: {msg}"
    );
    assert!(first.contains(value), "{case}: {value} not in {first}");
    assert!(
        first.len() < 400,
        "{case}: a long value is cut short: {first}"
    );
    assert!(msg.contains("HF_ENDPOINT"), "{case}: {msg}");
    assert_eq!(sandbox.outside_the_cache(), Vec::<PathBuf>::new(), "{case}");
    let partial: Vec<_> = sandbox
        .cache_files()
        .into_iter()
        .filter(|f| f.ends_with(".part") || f.contains(".tmp") || f.ends_with(".link"))
        .collect();
    assert_eq!(partial, Vec::<String>::new(), "{case}");
}

#[test]
fn an_etag_that_climbs_out_of_the_cache_is_refused() {
    let abs = std::env::temp_dir().join(format!("reportfig-etag-{}", std::process::id()));
    let cases = [
        (r#""../../../../x""#.to_string(), "../../../../x"),
        ("../../../../x".to_string(), "../../../../x"),
        (r#"W/"../../x""#.to_string(), "../../x"),
        (r#""..\..\x""#.to_string(), r"..\\..\\x"),
        (format!("\"{}\"", abs.display()), "reportfig-etag-"),
        (format!("\"{}x\"", "../".repeat(3000)), "(9003 characters)"),
    ];
    for (etag, shown) in cases {
        let (hub, sandbox, got) = fetch_from_liar(Behaviour {
            etag: Some(etag.clone()),
            ..Behaviour::default()
        });
        assert_refused(&etag, &hub, &sandbox, got, shown);
        assert!(!abs.exists(), "{etag}");
        // Refused from the first answer's headers: no blob, no link, no ref.
        assert_eq!(sandbox.cache_files(), Vec::<String>::new(), "{etag}");
    }
}

#[test]
fn a_commit_header_that_is_not_the_listed_commit_is_refused() {
    let abs = std::env::temp_dir().join(format!("reportfig-commit-{}", std::process::id()));
    for commit in [
        "../../../../x".to_string(),
        format!("{SHA}/../../../../x"),
        abs.display().to_string(),
        // A real-looking commit, but another one: the file would land in another snapshot.
        SHA2.to_string(),
        "0".repeat(10_000),
    ] {
        let (hub, sandbox, got) = fetch_from_liar(Behaviour {
            commit: Some(commit.clone()),
            ..Behaviour::default()
        });
        let shown = if commit.len() > 80 {
            "(10000 characters)"
        } else {
            commit.as_str()
        };
        assert_refused(&commit[..commit.len().min(40)], &hub, &sandbox, got, shown);
        assert!(!abs.exists());
        assert_eq!(sandbox.cache_files(), Vec::<String>::new());
    }
}

#[test]
fn a_file_list_sha_that_is_not_a_commit_is_refused_before_any_download() {
    for sha in [
        "../../../../x".to_string(),
        "/tmp/reportfig-sha".to_string(),
        format!("{SHA}/.."),
        SHA.to_uppercase(),
        String::new(),
        "a".repeat(50_000),
    ] {
        let (hub, sandbox, got) = fetch_from_liar(Behaviour {
            api_sha: Some(sha.clone()),
            ..Behaviour::default()
        });
        let shown = if sha.len() > 80 {
            "(50000 characters)".to_string()
        } else {
            format!("{sha:?}")
        };
        assert_refused(&sha[..sha.len().min(40)], &hub, &sandbox, got, &shown);
        let requests = hub.requests();
        assert_eq!(requests.len(), 1, "only the file list: {requests:?}");
        assert_eq!(sandbox.cache_files(), Vec::<String>::new());
    }
}

#[test]
fn a_hub_that_lies_only_later_gets_no_file_from_the_lie() {
    // Honest for the first two files, then it names another place: the honest files stay,
    // complete; nothing else is written.
    let (hub, sandbox, got) = fetch_from_liar(Behaviour {
        etag: Some("\"../../../../x\"".into()),
        honest_answers: 2,
        ..Behaviour::default()
    });
    assert_refused("later etag", &hub, &sandbox, got, "../../../../x");
    let kept = sandbox.cache_files();
    let links: Vec<_> = kept.iter().filter(|f| f.contains("/snapshots/")).collect();
    assert_eq!(links.len(), 2, "{kept:?}");
    for link in links {
        let served = &diffusers_files(TinyFamily::Sd15, true)
            [link.split(SHA).nth(1).unwrap().trim_start_matches('/')];
        assert_eq!(&std::fs::read(sandbox.cache.join(link)).unwrap(), served);
    }

    // The hub's answer names an honest blob, then its CDN sends other bytes: the blob name
    // would lie about its contents, so nothing is kept.
    let (hub, sandbox, got) = fetch_from_liar(Behaviour {
        // As long as the real file, so only its hash tells.
        cdn_body: Some(b"f16 weights of UNET".to_vec()),
        ..Behaviour::default()
    });
    assert_refused("cdn body", &hub, &sandbox, got, "do not match its ETag");
    assert!(
        !sandbox
            .cache_files()
            .iter()
            .any(|f| f.ends_with(".safetensors")),
        "{:?}",
        sandbox.cache_files()
    );

    // Longer than announced: stopped at the announced size, nothing kept.
    let (hub, sandbox, got) = fetch_from_liar(Behaviour {
        cdn_body: Some(vec![7u8; 100_000]),
        ..Behaviour::default()
    });
    assert_refused("cdn size", &hub, &sandbox, got, "bytes after announcing");
    assert!(!sandbox
        .cache_files()
        .iter()
        .any(|f| f.ends_with(".safetensors")));
}

#[test]
fn a_revision_that_names_a_path_is_bad_input_and_never_sent() {
    for bad in [
        "org/evil@../../x",
        "org/evil@refs/../../../x",
        "org/evil@/etc/passwd",
        "org/evil@..\\..\\x",
        "org/evil@.hidden",
        "org/evil@a//b",
    ] {
        let err = ModelSource::parse(bad).unwrap_err();
        assert!(matches!(err, SourceError::BadRepoId { .. }), "{bad}: {err}");
        assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
    }
    assert!(ModelSource::parse("org/evil@refs/pr/3").is_ok());

    // Built in code, past `parse`: refused the same way, online and offline, before any
    // request.
    let hub = FakeHub::start(
        "org/evil",
        SHA,
        diffusers_files(TinyFamily::Sd15, false),
        None,
    );
    let sandbox = Sandbox::new();
    for revision in ["../../x", "/abs", "a\\b"] {
        let src = ModelSource::Hub {
            repo: "org/evil".into(),
            revision: revision.into(),
        };
        for opts in [sandbox.options(&hub), offline(&sandbox.cache)] {
            let err = resolve(&src, &opts, &mut quiet()).unwrap_err();
            assert!(matches!(err, SourceError::BadRepoId { .. }), "{err}");
        }
    }
    let src = ModelSource::Hub {
        repo: "../evil".into(),
        revision: "main".into(),
    };
    assert!(matches!(
        resolve(&src, &sandbox.options(&hub), &mut quiet()),
        Err(SourceError::BadRepoId { .. })
    ));
    assert_eq!(hub.requests(), Vec::<String>::new());
    assert_eq!(sandbox.outside_the_cache(), Vec::<PathBuf>::new());
}

#[test]
fn the_token_is_sent_to_the_hub_only_and_never_shown() {
    const TOKEN: &str = "hf_SecretToken1234567890";
    let hub = FakeHub::start(
        "org/evil",
        SHA,
        diffusers_files(TinyFamily::Sd15, true),
        None,
    );
    let sandbox = Sandbox::new();
    let opts = HubOptions {
        token: Some(TOKEN.into()),
        ..sandbox.options(&hub)
    };
    resolve(
        &ModelSource::parse("org/evil").unwrap(),
        &opts,
        &mut quiet(),
    )
    .unwrap();
    let requests = hub.requests();
    let cdn: Vec<_> = requests.iter().filter(|r| r.starts_with("/cdn/")).collect();
    assert!(!cdn.is_empty(), "{requests:?}");
    assert!(cdn.iter().all(|r| r.ends_with("auth=no")), "{requests:?}");
    assert!(
        requests
            .iter()
            .filter(|r| !r.starts_with("/cdn/"))
            .all(|r| r.ends_with("auth=yes")),
        "{requests:?}"
    );
    assert!(!format!("{opts:?}").contains(TOKEN));

    // A hub that sends the token back, in an ETag or a status line.
    for lies in [
        Behaviour {
            etag: Some("\"../".into()),
            echo_token: true,
            ..Behaviour::default()
        },
        Behaviour {
            status: Some(500),
            echo_token: true,
            ..Behaviour::default()
        },
    ] {
        let hub = FakeHub::with(
            "org/evil",
            SHA,
            diffusers_files(TinyFamily::Sd15, true),
            lies,
        );
        let sandbox = Sandbox::new();
        let opts = HubOptions {
            token: Some(TOKEN.into()),
            ..sandbox.options(&hub)
        };
        let err = resolve(
            &ModelSource::parse("org/evil").unwrap(),
            &opts,
            &mut quiet(),
        )
        .unwrap_err();
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains(TOKEN), "{shown}");
            assert!(shown.contains("(token hidden)"), "{shown}");
        }
    }
}

#[test]
fn an_interrupted_lfs_download_resumes_and_is_checked() {
    let files = diffusers_files(TinyFamily::Sd15, true);
    let unet = "unet/diffusion_pytorch_model.fp16.safetensors";
    let tag = sha256_hex(&files[unet]);
    let hub = FakeHub::start("org/evil", SHA, files.clone(), None);
    let sandbox = Sandbox::new();
    let blobs = sandbox.cache.join("models--org--evil/blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(blobs.join(format!("{tag}.part")), &files[unet][..5]).unwrap();
    let got = resolve(
        &ModelSource::parse("org/evil").unwrap(),
        &sandbox.options(&hub),
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(std::fs::read(&got.unet.weights[0]).unwrap(), files[unet]);
    assert!(hub
        .requests()
        .iter()
        .any(|r| r.starts_with(&format!("/cdn/{tag} 5-"))));

    // A part file from somewhere else: the resumed result does not match, so it starts over.
    let sandbox = Sandbox::new();
    let blobs = sandbox.cache.join("models--org--evil/blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(blobs.join(format!("{tag}.part")), b"junk!").unwrap();
    let got = resolve(
        &ModelSource::parse("org/evil").unwrap(),
        &sandbox.options(&hub),
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(std::fs::read(&got.unet.weights[0]).unwrap(), files[unet]);
    assert!(!sandbox.cache_files().iter().any(|f| f.ends_with(".part")));
}

#[test]
fn the_binary_refuses_a_lying_hub_with_one_line_and_exit_1() {
    const TOKEN: &str = "hf_SecretToken1234567890";
    let hub = FakeHub::with(
        "org/evil",
        SHA,
        diffusers_files(TinyFamily::Sd15, true),
        Behaviour {
            etag: Some("\"../../../../x".into()),
            echo_token: true,
            ..Behaviour::default()
        },
    );
    let sandbox = Sandbox::new();
    let home = sandbox.root.path().join("a/home");
    let reportfig = |model: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_reportfig"))
            .current_dir(&home)
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("HF_HUB_CACHE", &sandbox.cache)
            .env("HF_ENDPOINT", &hub.endpoint)
            .env("HF_TOKEN", TOKEN)
            .env_remove("HF_HUB_OFFLINE")
            .env_remove("RUST_BACKTRACE")
            .args(["models", "fetch", model])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    std::fs::create_dir_all(&home).unwrap();
    let (code, stdout, stderr) = reportfig("org/evil");
    assert_eq!(code, Some(1), "{stderr}");
    // The binary's one `error:` line says what failed; the line under it names the hub
    // and the value.
    let errors: Vec<_> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors, ["error: could not fetch org/evil"], "{stderr}");
    let hub_line = format!(
        "  because: the Hugging Face hub at {} sent the ETag \"\\\"../../../../x",
        hub.endpoint
    );
    assert!(stderr.lines().any(|l| l.starts_with(&hub_line)), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(TOKEN) && !stdout.contains(TOKEN),
        "{stderr}{stdout}"
    );
    std::fs::remove_dir_all(&home).unwrap();
    assert_eq!(sandbox.outside_the_cache(), Vec::<PathBuf>::new());

    // A revision that names a path is the user's input: exit 2, and the hub hears nothing.
    std::fs::create_dir_all(&home).unwrap();
    let before = hub.requests().len();
    let (code, _, stderr) = reportfig("org/evil@../../x");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("\"org/evil@../../x\" is not a valid Hugging Face repo id: no part of the revision after @ can be '..'"),
        "{stderr}"
    );
    assert_eq!(hub.requests().len(), before);
}

/// A hub LoRA (`--lora org/name`, `--lora org/name/file.safetensors`) is fetched through the
/// same cache code as models: diffusers' default file, or the file named; offline it is found
/// in the cache; a repo without the file is refused with its name.
#[test]
fn hub_loras_download_into_the_cache_and_resolve_offline() {
    let lora = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../engine/tests/golden/lora/sd15/kohya.safetensors"),
    )
    .unwrap();
    let files: Files = [
        ("pytorch_lora_weights.safetensors".to_string(), lora.clone()),
        ("styles/other.safetensors".to_string(), lora.clone()),
        ("README.md".to_string(), b"card".to_vec()),
    ]
    .into();
    let hub = FakeHub::start("latent-consistency/lcm-lora-sdv1-5", SHA, files, None);
    let cache = tempfile::tempdir().unwrap();
    let spec = |s: &str| s.parse::<reportfig::lora::LoraSpec>().unwrap();
    let got = reportfig::lora::resolve(
        &spec("latent-consistency/lcm-lora-sdv1-5:0.8"),
        &online(cache.path(), &hub),
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(got.record.name, "lcm-lora-sdv1-5");
    assert_eq!(got.record.weight, 0.8);
    assert_eq!(got.record.sha256, crate::common::sha256_hex(&lora));
    let snapshot = cache
        .path()
        .join("models--latent-consistency--lcm-lora-sdv1-5/snapshots")
        .join(SHA);
    assert_eq!(
        got.lora.path,
        snapshot.join("pytorch_lora_weights.safetensors")
    );
    assert!(
        !snapshot.join("README.md").exists(),
        "only the LoRA is downloaded"
    );

    let named = reportfig::lora::resolve(
        &spec("latent-consistency/lcm-lora-sdv1-5/styles/other.safetensors"),
        &online(cache.path(), &hub),
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(named.record.name, "other");
    assert_eq!(named.lora.path, snapshot.join("styles/other.safetensors"));

    let again = reportfig::lora::resolve(
        &spec("latent-consistency/lcm-lora-sdv1-5"),
        &offline(cache.path()),
        &mut quiet(),
    )
    .unwrap();
    assert_eq!(again.lora.path, got.lora.path);

    let err = reportfig::lora::resolve(
        &spec("latent-consistency/lcm-lora-sdv1-5/missing.safetensors"),
        &online(cache.path(), &hub),
        &mut quiet(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("missing.safetensors"), "{err}");
    assert!(
        matches!(
            err.downcast_ref::<reportfig::lora::LoraSpecError>(),
            Some(reportfig::lora::LoraSpecError::HubMissingFile { .. })
        ),
        "{err}"
    );
}

/// A translator as the hub holds opus-mt-ko-en on `main`: `pytorch_model.bin`, no
/// safetensors. Through the binary, `translate` downloads it from the hub, reads the pickle
/// without running it, converts it once into the user's data folder, and translates as the
/// same model from a local folder does; later runs need neither the hub nor the conversion.
#[test]
fn a_translator_with_only_pytorch_model_bin_is_fetched_converted_and_used() {
    let fixture = crate::common::tiny_translator();
    let mut files = Files::new();
    for entry in std::fs::read_dir(&fixture).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        if name != "model.safetensors" {
            files.insert(name, std::fs::read(&p).unwrap());
        }
    }
    files.insert(
        "pytorch_model.bin".into(),
        std::fs::read(fixture.join("../marian-tiny-bin/pytorch_model.bin")).unwrap(),
    );
    let hub = FakeHub::start("org/marian-ko-en", SHA, files, None);
    let sandbox = Sandbox::new();
    let home = sandbox.root.path().join("a/home");
    std::fs::create_dir_all(&home).unwrap();
    const CAPTION: &str = "Smart City 교통 정보";
    let translate = |translator: &str, online: bool| {
        let args = [
            "--lang",
            "en",
            "translate",
            CAPTION,
            "--translator",
            translator,
        ];
        sandbox.run(&home, &hub, !online, &args)
    };
    let (code, want, stderr) = translate(fixture.to_str().unwrap(), false);
    assert_eq!(code, Some(0), "{stderr}");

    let (code, got, stderr) = translate("org/marian-ko-en", true);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(got, want, "{stderr}");
    let fetched = hub.requests();
    assert!(
        fetched.iter().any(|r| r.contains("pytorch_model.bin")),
        "{fetched:?}"
    );
    let converted: Vec<PathBuf> = walk(&home.join("data"))
        .into_iter()
        .filter(|p| p.ends_with("model.safetensors"))
        .collect();
    assert_eq!(converted.len(), 1, "one conversion kept: {converted:?}");

    // Offline, from the cache and the kept conversion: the same English.
    let before = hub.requests().len();
    let (code, again, stderr) = translate("org/marian-ko-en", false);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(again, want);
    assert_eq!(hub.requests().len(), before, "offline asked the hub");
    assert_eq!(
        sandbox.outside_the_cache(),
        vec![sandbox.root.path().join("a/home")]
    );
}

/// Every file under `dir`, at any depth.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                found.push(p);
            }
        }
    }
    found
}

/// A hub LoRA's revision names `refs/<rev>` in the cache as a model's does, so it is checked
/// as a model's is: `--lora org/name@..` is bad input, online and offline, and the hub hears
/// nothing. A file name the hub lists that climbs out of the snapshot is never taken, not
/// even when a file is there.
#[test]
fn a_hub_lora_revision_or_listed_file_that_names_a_path_is_refused() {
    let lora = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../engine/tests/golden/lora/sd15/kohya.safetensors"),
    )
    .unwrap();
    let files: Files = [
        ("pytorch_lora_weights.safetensors".to_string(), lora.clone()),
        ("../../outside.safetensors".to_string(), lora.clone()),
    ]
    .into();
    let hub = FakeHub::start("org/evil", SHA, files, None);
    let sandbox = Sandbox::new();
    let spec = |s: &str| s.parse::<reportfig::lora::LoraSpec>().unwrap();
    for bad in ["org/evil@..", "org/evil@.hidden:0.5", "org/evil@a\\b"] {
        for opts in [sandbox.options(&hub), offline(&sandbox.cache)] {
            let err = reportfig::lora::resolve(&spec(bad), &opts, &mut quiet()).unwrap_err();
            assert!(
                matches!(
                    err.downcast_ref::<SourceError>(),
                    Some(SourceError::BadRepoId { .. })
                ),
                "{bad}: {err}"
            );
        }
    }
    assert_eq!(hub.requests(), Vec::<String>::new());

    // The lie names a file that exists beside the snapshot.
    let beside = sandbox.cache.join("models--org--evil/outside.safetensors");
    std::fs::create_dir_all(beside.parent().unwrap()).unwrap();
    std::fs::write(&beside, &lora).unwrap();
    let err = reportfig::lora::resolve(
        &spec("org/evil/../../outside.safetensors"),
        &sandbox.options(&hub),
        &mut quiet(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err.downcast_ref::<SourceError>(),
            Some(SourceError::HubLied { .. })
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("not a plain path inside the repo"),
        "{err}"
    );
    assert_eq!(sandbox.outside_the_cache(), Vec::<PathBuf>::new());

    // Offline, the message names the LoRA's file (a LoRA requires no other).
    let err = reportfig::lora::resolve(&spec("org/other"), &offline(&sandbox.cache), &mut quiet())
        .unwrap_err();
    assert!(
        err.to_string().contains("pytorch_lora_weights.safetensors"),
        "{err}"
    );
}

/// `--upscaler realesr-general-x4v3` downloads the pinned commit's `.pth` through the same hub
/// code as models (an LFS file, held to its sha256), which then loads without Python and is
/// found again offline; the data folder, when it holds the file, wins without a request.
#[test]
fn the_upscaler_preset_is_downloaded_at_its_pinned_commit_then_found_offline() {
    use reportfig::model::upscaler::UpscalerSource;
    use reportfig_engine::pipeline::upscale::SrVggNetCompact;
    const COMMIT: &str = "6aecc46ba1fc8cfdfe8643f090782e2e62c044cd";
    let pth = std::fs::read(crate::common::tiny_upscaler_pth()).unwrap();
    let mut files = Files::new();
    files.insert("realesr-general-x4v3.pth".into(), pth.clone());
    files.insert("README.md".into(), b"license: bsd-3-clause".to_vec());
    let hub = FakeHub::start("clavidk/realesr-general-x4v3", COMMIT, files, None);
    let cache = tempfile::tempdir().unwrap();
    let src = UpscalerSource::parse("realesr-general-x4v3").unwrap();
    let got = src
        .resolve(None, &online(cache.path(), &hub), &mut |_| {})
        .unwrap();
    assert!(
        got.ends_with(format!("snapshots/{COMMIT}/realesr-general-x4v3.pth")),
        "{got:?}"
    );
    assert_eq!(std::fs::read(&got).unwrap(), pth);
    let requests = hub.requests();
    assert!(
        requests.iter().all(|r| !r.contains("README")),
        "only the weights are fetched: {requests:?}"
    );
    let net = SrVggNetCompact::load_pth(&got, &reportfig_testkit::load_context(), 64).unwrap();
    assert_eq!(net.config().upscale, 4);

    let offline = HubOptions {
        offline: true,
        ..HubOptions::new(cache.path().to_path_buf())
    };
    assert_eq!(src.resolve(None, &offline, &mut |_| {}).unwrap(), got);

    // A file put in the data folder by hand is used as it is, before the cache.
    let data = tempfile::tempdir().unwrap();
    let folder = data.path().join("upscalers/realesr-general-x4v3");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("realesr-general-x4v3.pth"), &pth).unwrap();
    let before = hub.requests().len();
    let local = src
        .resolve(Some(data.path()), &online(cache.path(), &hub), &mut |_| {})
        .unwrap();
    assert_eq!(local, folder);
    assert_eq!(hub.requests().len(), before, "no request for a local file");
}

/// `models fetch sd15-lcm` (the default) downloads the preset's LCM-LoRA with the model, so
/// the machine it was fetched on, or one it is carried to, can then generate offline.
#[test]
fn fetching_a_preset_downloads_its_lora_too() {
    let lora = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../engine/tests/golden/lora/sd15/kohya.safetensors"),
    )
    .unwrap();
    let hub = FakeHub::serving(
        vec![
            (
                "stable-diffusion-v1-5/stable-diffusion-v1-5",
                SHA,
                // Real tiny weights: the model is run after the fetch.
                tiny_model_files(TinyFamily::Sd15),
            ),
            (
                "latent-consistency/lcm-lora-sdv1-5",
                SHA2,
                [("pytorch_lora_weights.safetensors".to_string(), lora.clone())].into(),
            ),
        ],
        Behaviour::default(),
    );
    let sandbox = Sandbox::new();
    let home = sandbox.root.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let reportfig = |args: &[&str], offline: bool| {
        sandbox.run(&home, &hub, offline, &[&["--lang", "en"], args].concat())
    };

    let (code, stdout, stderr) = reportfig(&["models", "fetch", "sd15-lcm"], false);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains(
            "its LoRA latent-consistency/lcm-lora-sdv1-5/pytorch_lora_weights.safetensors \
             is in the cache too"
        ),
        "{stdout}"
    );
    let cached = sandbox
        .cache
        .join("models--latent-consistency--lcm-lora-sdv1-5/snapshots")
        .join(SHA2)
        .join("pytorch_lora_weights.safetensors");
    assert_eq!(std::fs::read(&cached).unwrap(), lora);
    assert!(stdout.contains(&cached.display().to_string()), "{stdout}");

    // Offline now, and the hub told to hear nothing: the default runs from the cache alone.
    let before = hub.requests().len();
    let (code, _, stderr) = reportfig(
        &[
            "generate",
            "A city park in spring",
            "--no-translate",
            "--model",
            "sd15-lcm",
            "--steps",
            "1",
            "--seed",
            "1",
            "-o",
            "park.png",
        ],
        true,
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(home.join("park.png").is_file());
    assert_eq!(hub.requests().len(), before, "offline asks the hub nothing");
}
