//! Single-file checkpoints against diffusers' `from_single_file` (goldens from
//! `tools/reference/single_file_goldens.py`).
//!
//! The tiny sd15, sd21 and sdxl models are rewritten as original-layout checkpoints by the
//! testkit, running the engine's own key map backwards. Each file must equal, tensor for
//! tensor (dtype, shape, SHA-256 of the bytes), the one the Python script wrote with its own
//! inverse mapping and that diffusers loaded back into exactly the folder's weights. Then the
//! engine reads the checkpoint with the folder's configs: every parameter equals the folder's
//! own, and a whole picture is the folder's picture, bit for bit, and diffusers' (the
//! pipeline golden) within the usual 2 levels.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::var_builder::SimpleBackend;
use reportfig_engine::model::config::{read_json, UNetConfig, VaeConfig};
use reportfig_engine::model::files::{ModelFiles, WeightLayout};
use reportfig_engine::model::single_file::{
    self, CheckpointArch, ComponentKind, KeyMap, SingleFileError,
};
use reportfig_engine::pipeline::weights::MappedWeights;
use reportfig_engine::pipeline::{Pipeline, PipelineError};
use reportfig_testkit::single_file::{checkpoint_arch, single_file_tensors, write_single_file};
use reportfig_testkit::{load_options, tiny_model_files, write_tiny_model, TinyFamily};
use serde::Deserialize;
use sha2::{Digest, Sha256};

const FAMILIES: [TinyFamily; 3] = [TinyFamily::Sd15, TinyFamily::Sd21, TinyFamily::Sdxl];

#[derive(Deserialize)]
pub(crate) struct Golden {
    arch: String,
    pub(crate) vae_attention: String,
    weights_sha256: BTreeMap<String, String>,
    /// key -> (dtype, shape, first 16 hex digits of the SHA-256 of the bytes)
    tensors: BTreeMap<String, (String, Vec<usize>, String)>,
}

pub(crate) fn golden(family: TinyFamily) -> Golden {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/single_file")
        .join(format!("{}.json", family.name()));
    let text = std::fs::read_to_string(&path).expect("single-file golden");
    serde_json::from_str(&text).expect("golden parses")
}

fn sha16(t: &Tensor) -> String {
    let v: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    format!("{:x}", Sha256::digest(&bytes))[..16].to_string()
}

/// Writes the tiny model, checks it is the goldens' fixture, and writes its checkpoint.
fn fixture(dir: &Path, family: TinyFamily) -> (PathBuf, PathBuf, Golden) {
    let root = dir.join(family.name());
    write_tiny_model(&root, family).expect("tiny model");
    let g = golden(family);
    for (file, sha) in &g.weights_sha256 {
        let got = format!(
            "{:x}",
            Sha256::digest(std::fs::read(root.join(file)).unwrap())
        );
        assert_eq!(
            &got,
            sha,
            "the tiny {} fixture changed ({file}); rerun tools/reference/single_file_goldens.py",
            family.name()
        );
    }
    let ckpt = dir.join(format!("{}.safetensors", family.name()));
    write_single_file(&root, family, &ckpt, g.vae_attention == "conv").expect("checkpoint");
    (root, ckpt, g)
}

/// The tiny folder's files, with every network read from the checkpoint instead.
pub(crate) fn checkpoint_files(root: &Path, family: TinyFamily, ckpt: &Path) -> ModelFiles {
    let arch = checkpoint_arch(family).unwrap();
    let mut files = tiny_model_files(root, family);
    let mut comps = vec![
        (ComponentKind::Unet, &mut files.unet),
        (ComponentKind::Vae, &mut files.vae),
        (ComponentKind::TextEncoder, &mut files.text_encoder),
    ];
    if let Some(c) = files.text_encoder_2.as_mut() {
        comps.push((ComponentKind::TextEncoder2, c));
    }
    for (kind, c) in comps {
        c.weights = vec![ckpt.to_path_buf()];
        c.layout = WeightLayout::Checkpoint(arch.part(kind).unwrap());
    }
    files
}

#[test]
fn rust_inverse_mapping_writes_the_file_diffusers_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    for family in FAMILIES {
        let root = dir.path().join(family.name());
        write_tiny_model(&root, family).unwrap();
        let g = golden(family);
        let got = single_file_tensors(&root, family, g.vae_attention == "conv").unwrap();
        let keys = |m: Vec<&String>| m.into_iter().cloned().collect::<Vec<_>>();
        let (have, want) = (keys(got.keys().collect()), keys(g.tensors.keys().collect()));
        let missing: Vec<_> = want.iter().filter(|k| !got.contains_key(*k)).collect();
        let extra: Vec<_> = have
            .iter()
            .filter(|k| !g.tensors.contains_key(*k))
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{}: keys missing {missing:?}, unexpected {extra:?}",
            family.name()
        );
        for (key, (dtype, shape, hash)) in &g.tensors {
            let t = &got[key];
            assert_eq!(dtype, "float32", "{key}");
            assert_eq!(t.dims(), shape.as_slice(), "{}: {key} shape", family.name());
            assert_eq!(&sha16(t), hash, "{}: {key} values", family.name());
        }
        eprintln!(
            "{}: {} tensors as diffusers confirmed",
            family.name(),
            got.len()
        );
    }
}

#[test]
fn header_tells_the_architecture() {
    let dir = tempfile::tempdir().unwrap();
    for family in FAMILIES {
        let (_, ckpt, g) = fixture(dir.path(), family);
        let c = single_file::inspect(&ckpt).unwrap();
        let want = match g.arch.as_str() {
            "sd1" => CheckpointArch::Sd1,
            "sd2-v" => CheckpointArch::Sd2 { v_prediction: true },
            _ => CheckpointArch::SdxlBase,
        };
        assert_eq!(c.arch, want, "{}", family.name());
        assert_eq!(c.tensors.len(), g.tensors.len());
    }
    // diffusers' rule for SD 2: epsilon only for global_step 875000 (the 512 base).
    let root = dir.path().join("sd21");
    let mut t = single_file_tensors(&root, TinyFamily::Sd21, false).unwrap();
    for (step, v) in [(875_000i64, false), (1_000, true)] {
        t.insert(
            "global_step".into(),
            Tensor::new(&[step], &Device::Cpu)
                .unwrap()
                .reshape(())
                .unwrap(),
        );
        let p = dir.path().join(format!("step{step}.safetensors"));
        candle_core::safetensors::save(&t.clone().into_iter().collect(), &p).unwrap();
        let arch = single_file::inspect(&p).unwrap().arch;
        assert_eq!(
            arch,
            CheckpointArch::Sd2 { v_prediction: v },
            "global_step {step}"
        );
        assert_eq!(
            arch.prediction_type(),
            if v { "v_prediction" } else { "epsilon" }
        );
    }
}

/// Every parameter each network asks for, read through the key map, equals the folder's.
#[test]
fn every_parameter_equals_the_folders() {
    let dir = tempfile::tempdir().unwrap();
    for family in FAMILIES {
        let (root, ckpt, _) = fixture(dir.path(), family);
        let arch = checkpoint_arch(family).unwrap();
        let unet: UNetConfig = read_json(&root.join("unet/config.json"), "unet").unwrap();
        let vae: VaeConfig = read_json(&root.join("vae/config.json"), "vae").unwrap();
        let mut n = 0;
        for (kind, file) in reportfig_testkit::single_file::component_files(arch) {
            let folder = candle_core::safetensors::load(root.join(file), &Device::Cpu).unwrap();
            let map = KeyMap::for_part(&arch.part(kind).unwrap(), Some(&unet), Some(&vae)).unwrap();
            // SAFETY: the test's own files, not modified while mapped.
            #[allow(unsafe_code)]
            let w = unsafe { MappedWeights::open(std::slice::from_ref(&ckpt)) }
                .unwrap()
                .renamed(map);
            let text = matches!(
                kind,
                ComponentKind::TextEncoder | ComponentKind::TextEncoder2
            );
            for (name, want) in folder {
                if name.ends_with("position_ids") {
                    continue;
                }
                let asked =
                    if text && !name.starts_with("text_model.") && name != "text_projection.weight"
                    {
                        format!("text_model.{name}")
                    } else {
                        name.clone()
                    };
                assert!(w.contains_tensor(&asked), "{}: {asked}", family.name());
                let got = w
                    .get(
                        want.shape().clone(),
                        &asked,
                        candle_nn::Init::Const(0.),
                        DType::F32,
                        &Device::Cpu,
                    )
                    .unwrap_or_else(|e| panic!("{}: {asked}: {e}", family.name()));
                let (g, e): (Vec<f32>, Vec<f32>) = (
                    got.flatten_all().unwrap().to_vec1().unwrap(),
                    want.flatten_all().unwrap().to_vec1().unwrap(),
                );
                assert!(g == e, "{}: {asked} differs", family.name());
                n += 1;
            }
        }
        eprintln!("{}: {n} parameters equal", family.name());
    }
}

#[derive(Deserialize)]
struct Cases {
    cases: Vec<serde_json::Value>,
}

/// The pipeline golden's default case of `family`, through the folder and the checkpoint.
#[test]
fn checkpoint_pictures_equal_the_folders() {
    let dir = tempfile::tempdir().unwrap();
    let gdir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/pipeline");
    let cases: Cases =
        serde_json::from_str(&std::fs::read_to_string(gdir.join("cases.json")).unwrap()).unwrap();
    for family in FAMILIES {
        let (root, ckpt, _) = fixture(dir.path(), family);
        let name = format!("{}-default", family.name());
        let case = cases
            .cases
            .iter()
            .find(|c| c["name"] == name.as_str())
            .unwrap();
        let req = reportfig_engine::GenerationRequest {
            caption: case["prompt"].as_str().unwrap().into(),
            styles: Vec::new(),
            prompt: case["prompt"].as_str().unwrap().into(),
            negative_prompt: case["negative_prompt"].as_str().map(String::from),
            width: case["width"].as_u64().unwrap() as u32,
            height: case["height"].as_u64().unwrap() as u32,
            steps: case["steps"].as_u64().unwrap() as u32,
            guidance: case["guidance"].as_f64().unwrap(),
            seed: case["seed"].as_u64().unwrap(),
            sampler: None,
            model: ckpt.display().to_string(),
            model_revision: None,
            crop_to_ratio: None,
            draft_decoder: None,
            init_image: None,
            caption_en: None,
            translated_by: None,
            loras: Vec::new(),
        };
        let image = |files: &ModelFiles| {
            let mut p = Pipeline::load(files, &load_options()).unwrap();
            p.generate(&req, &mut |_| {}).unwrap().image
        };
        let from_folder = image(&tiny_model_files(&root, family));
        let from_file = image(&checkpoint_files(&root, family, &ckpt));
        assert!(
            from_file == from_folder,
            "{name}: the checkpoint's picture differs from the folder's"
        );
        let golden = candle_core::safetensors::load(
            gdir.join(format!("{}.safetensors", family.name())),
            &Device::Cpu,
        )
        .unwrap();
        let want: Vec<u8> = golden[&format!("{name}.image")]
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let worst = from_file
            .as_raw()
            .iter()
            .zip(&want)
            .map(|(&a, &b)| (a as i16 - b as i16).abs())
            .max()
            .unwrap();
        assert!(worst <= 2, "{name}: {worst} levels off diffusers' picture");
        eprintln!(
            "{name}: the checkpoint's picture is the folder's; {worst} levels off diffusers'"
        );
    }
}

/// Bad checkpoints are refused with the file named: cut off, unknown keys, a tensor gone,
/// and a tensor of another shape than the config says.
#[test]
fn bad_checkpoints_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (root, ckpt, _) = fixture(dir.path(), TinyFamily::Sd15);
    let bytes = std::fs::read(&ckpt).unwrap();

    let cut = dir.path().join("cut.safetensors");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = single_file::inspect(&cut).unwrap_err();
    assert!(matches!(e, SingleFileError::Truncated { .. }), "{e}");
    assert!(e.to_string().contains("cut.safetensors"), "{e}");
    std::fs::write(&cut, &bytes[..20]).unwrap();
    assert!(matches!(
        single_file::inspect(&cut).unwrap_err(),
        SingleFileError::Truncated { .. }
    ));

    let other = dir.path().join("other.safetensors");
    let unet = root.join("unet/diffusion_pytorch_model.safetensors");
    std::fs::copy(&unet, &other).unwrap();
    let e = single_file::inspect(&other).unwrap_err();
    assert!(
        matches!(e, SingleFileError::UnknownArchitecture { .. }),
        "{e}"
    );

    let mut t = single_file_tensors(&root, TinyFamily::Sd15, true).unwrap();
    let gone = "model.diffusion_model.middle_block.1.proj_out.weight";
    let kept = t.remove(gone).unwrap();
    let holey = dir.path().join("holey.safetensors");
    candle_core::safetensors::save(&t.clone().into_iter().collect(), &holey).unwrap();
    let files = checkpoint_files(&root, TinyFamily::Sd15, &holey);
    match Pipeline::load(&files, &load_options()).map(|_| ()) {
        Err(PipelineError::Checkpoint(e)) => match *e {
            SingleFileError::MissingTensor {
                path,
                key,
                component,
                ..
            } => assert_eq!(
                (path, key.as_str(), component),
                (holey.clone(), gone, "UNet")
            ),
            e => panic!("{e}"),
        },
        Err(e) => panic!("{e}"),
        Ok(()) => panic!("loaded without {gone}"),
    }

    let wrong = kept.narrow(0, 0, kept.dim(0).unwrap() / 2).unwrap();
    t.insert(gone.into(), wrong.contiguous().unwrap());
    let bent = dir.path().join("bent.safetensors");
    candle_core::safetensors::save(&t.into_iter().collect(), &bent).unwrap();
    let files = checkpoint_files(&root, TinyFamily::Sd15, &bent);
    match Pipeline::load(&files, &load_options()).map(|_| ()) {
        Err(PipelineError::Checkpoint(e))
            if matches!(*e, SingleFileError::ShapeMismatch { .. }) =>
        {
            let text = e.to_string();
            assert!(
                text.contains("bent.safetensors") && text.contains(gone),
                "{text}"
            );
        }
        Err(e) => panic!("{e}"),
        Ok(()) => panic!("loaded a bent tensor"),
    }
}

/// The whole UNet name table at full size: every parameter the published SD 1.5, SD 2.1 and
/// SDXL base configs build maps to the LDM name that the Python inverse gives and diffusers'
/// `convert_ldm_unet_checkpoint` maps back (count and hash of the sorted pairs).
#[test]
fn full_size_unet_names_match_diffusers() {
    use reportfig_engine::model::single_file::UNetNames;
    use reportfig_engine::pipeline::unet::UNet2DConditionModel;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let want: BTreeMap<String, serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/golden/single_file/unet_names.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(want.len(), 3);
    for (repo, want) in want {
        let cfg: UNetConfig = read_json(
            &root
                .join("../../configs/reference")
                .join(&repo)
                .join("unet/config.json"),
            "UNet config",
        )
        .unwrap();
        let recorder = super::unet_parity::ShapeRecorder::default();
        // f16: f32 weights would be packed for the kernels, materialising every view.
        let vb = candle_nn::VarBuilder::from_backend(
            Box::new(recorder.clone()),
            DType::F16,
            Device::Cpu,
        );
        UNet2DConditionModel::load(vb, &cfg, &reportfig_testkit::load_context()).unwrap();
        let names = UNetNames::new(&cfg);
        let mut lines: Vec<String> = recorder
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|l| l.split(' ').next().unwrap().to_string())
            .map(|d| {
                let l = names
                    .to_ldm(&d)
                    .unwrap_or_else(|| panic!("{repo}: {d} has no LDM name"));
                assert_eq!(
                    names.to_diffusers(&l).as_deref(),
                    Some(d.as_str()),
                    "{repo}: {l}"
                );
                format!("{d} {l}")
            })
            .collect();
        lines.sort();
        lines.dedup();
        let sha = format!("{:x}", Sha256::digest(lines.join("\n").as_bytes()));
        assert_eq!(
            lines.len() as u64,
            want["names"].as_u64().unwrap(),
            "{repo}"
        );
        assert_eq!(
            sha,
            want["sha256"].as_str().unwrap(),
            "{repo}: LDM names differ"
        );
        eprintln!("{repo}: {} UNet names as diffusers maps them", lines.len());
    }
}
