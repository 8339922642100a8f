//! The whole pipeline against diffusers 0.42's own `StableDiffusionPipeline` /
//! `StableDiffusionXLPipeline` / `LatentConsistencyModelPipeline`, seed for seed, on the tiny
//! fixtures (goldens from `tools/reference/pipeline_goldens.py`).
//!
//! Every case is compared stage by stage in pipeline order (text conditioning, latents after
//! the first step, final latents, decoded 8-bit image) and a failure names the first stage
//! that diverged, so it points at the module to look at.

use reportfig_testkit::load_options;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use reportfig_engine::pipeline::unet::guidance_scale_embedding;
use reportfig_engine::pipeline::vae::AutoencoderKL;
use reportfig_engine::pipeline::{LoadOptions, Pipeline, StartPicture};
use reportfig_engine::request::{GenerationRequest, InitImage, RecordedFile};
use reportfig_testkit::{
    tiny_inpaint_name, tiny_lcm_name, write_tiny_inpaint_model, write_tiny_lcm_model,
    write_tiny_model, TinyFamily,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// How close each stage must be to diffusers.
#[derive(Clone, Copy)]
struct Bars {
    /// Relative L2 bar for float stages.
    rel_l2: f64,
    /// 8-bit image bar, per pixel and channel.
    levels: i16,
}

/// f32 weights: the project's parity bar.
const F32_BARS: Bars = Bars {
    rel_l2: 1e-4,
    levels: 2,
};

/// `--dtype f16` on the CPU (f16 weights, f32 arithmetic) against the same f32 goldens: every
/// weight carries up to 2⁻¹¹ relative rounding, so each stage lands near 3e-4 to 2e-3
/// (measured: text embeddings 2.5-2.9e-4, pooled 3.6-4.9e-4, latents worst 1.92e-3 on an
/// SDXL case, images at most 1 level off, against 2e-7 to 3e-6 with f32 weights). The bar
/// leaves ≈ 5× margin and still catches a real mistake (a wrong block or layout gives errors
/// of order 1).
const HALF_WEIGHT_BARS: Bars = Bars {
    rel_l2: 1e-2,
    levels: 4,
};

#[derive(Deserialize)]
struct Golden {
    diffusers: String,
    torch: String,
    weights_sha256: BTreeMap<String, BTreeMap<String, String>>,
    cases: Vec<Case>,
}

#[derive(Deserialize, Clone)]
struct Case {
    name: String,
    family: String,
    prompt: String,
    negative_prompt: Option<String>,
    width: u32,
    height: u32,
    steps: u32,
    guidance: f64,
    seed: u64,
    sampler: Option<String>,
    /// Image-to-image cases (the `img2img` goldens): how much of `<name>.init` is repainted.
    #[serde(default)]
    strength: Option<f64>,
    /// Inpainting cases: `<name>.mask` says what is repainted.
    #[serde(default)]
    mask: bool,
}

impl Case {
    fn request(&self, model: &Path) -> GenerationRequest {
        GenerationRequest {
            caption: self.prompt.clone(),
            styles: Vec::new(),
            prompt: self.prompt.clone(),
            negative_prompt: self.negative_prompt.clone(),
            width: self.width,
            height: self.height,
            steps: self.steps,
            guidance: self.guidance,
            seed: self.seed,
            sampler: self.sampler.as_deref().map(|s| s.parse().unwrap()),
            model: model.display().to_string(),
            model_revision: None,
            crop_to_ratio: None,
            draft_decoder: None,
            init_image: self.strength.map(|strength| InitImage {
                file: "init.png".into(),
                sha256: String::new(),
                strength,
                mask: self.mask.then(|| RecordedFile {
                    file: "mask.png".into(),
                    sha256: String::new(),
                }),
            }),
            loras: Vec::new(),
            caption_en: None,
            translated_by: None,
        }
    }
}

/// Which reference pipelines a golden set comes from.
#[derive(Clone, Copy)]
enum Goldens {
    /// Text to image: `tools/reference/pipeline_goldens.py`.
    TextToImage,
    /// Image to image: `tools/reference/img2img_goldens.py`.
    ImageToImage,
}

fn golden_dir(set: Goldens) -> PathBuf {
    let name = match set {
        Goldens::TextToImage => "pipeline",
        Goldens::ImageToImage => "img2img",
    };
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn golden(set: Goldens) -> Golden {
    let text = std::fs::read_to_string(golden_dir(set).join("cases.json")).expect("cases.json");
    serde_json::from_str(&text).expect("cases.json parses")
}

fn tensors(set: Goldens, family: &str) -> HashMap<String, Tensor> {
    let path = golden_dir(set).join(format!("{family}.safetensors"));
    candle_core::safetensors::load(&path, &Device::Cpu).expect("golden tensors")
}

/// A golden `[H, W]` uint8 mask as the grey image a front end would hand over.
fn gray_image(t: &Tensor) -> image::GrayImage {
    let (h, w) = t.dims2().expect("[H, W]");
    let raw: Vec<u8> = t.flatten_all().unwrap().to_vec1().unwrap();
    image::GrayImage::from_raw(w as u32, h as u32, raw).expect("grey bytes")
}

/// A golden `[H, W, 3]` uint8 picture as the RGB image a front end would hand over.
fn rgb_image(t: &Tensor) -> image::RgbImage {
    let (h, w, _) = t.dims3().expect("[H, W, 3]");
    let raw: Vec<u8> = t.flatten_all().unwrap().to_vec1().unwrap();
    image::RgbImage::from_raw(w as u32, h as u32, raw).expect("RGB bytes")
}

/// Which of a family's tiny models a golden family name is.
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Plain,
    /// `sd15-lcm`: an LCM-distilled UNet.
    Lcm,
    /// `sd15-inpaint`: a 9-channel inpainting UNet.
    Inpaint,
}

/// The tiny family of a golden family name, and which of its models it is.
fn family_of(name: &str) -> (TinyFamily, Variant) {
    TinyFamily::ALL
        .into_iter()
        .find_map(|f| {
            if f.name() == name {
                Some((f, Variant::Plain))
            } else if tiny_lcm_name(f) == name {
                Some((f, Variant::Lcm))
            } else if tiny_inpaint_name(f) == name {
                Some((f, Variant::Inpaint))
            } else {
                None
            }
        })
        .expect("known family")
}

fn family(name: &str) -> TinyFamily {
    family_of(name).0
}

/// Writes the tiny model and checks it is the one the goldens were made from.
fn tiny_model(dir: &Path, fam: &str, golden: &Golden) -> PathBuf {
    let root = dir.join(fam);
    match family_of(fam) {
        (f, Variant::Plain) => write_tiny_model(&root, f),
        (f, Variant::Lcm) => write_tiny_lcm_model(&root, f),
        (f, Variant::Inpaint) => write_tiny_inpaint_model(&root, f),
    }
    .expect("tiny model");
    let want = &golden.weights_sha256[fam];
    for (file, sha) in want {
        let bytes = std::fs::read(root.join(file)).expect("fixture weights");
        let got = format!("{:x}", Sha256::digest(&bytes));
        assert_eq!(
            &got, sha,
            "the tiny {fam} fixture changed ({file}); the goldens were made from another one. \
             If the change is intended, rerun tools/reference/pipeline_goldens.py"
        );
    }
    root
}

fn rel_l2(got: &Tensor, want: &Tensor) -> Result<f64, String> {
    if got.dims() != want.dims() {
        return Err(format!(
            "shape {:?}, expected {:?}",
            got.dims(),
            want.dims()
        ));
    }
    let got = got.to_dtype(DType::F64).map_err(|e| e.to_string())?;
    let want = want.to_dtype(DType::F64).map_err(|e| e.to_string())?;
    let norm = |t: &Tensor| -> f64 {
        t.sqr()
            .and_then(|t| t.sum_all())
            .and_then(|t| t.to_scalar::<f64>())
            .map(f64::sqrt)
            .unwrap_or(f64::NAN)
    };
    let diff = (&got - &want).map_err(|e| e.to_string())?;
    Ok(norm(&diff) / norm(&want).max(1e-12))
}

fn check_float(bars: Bars, stage: &str, got: &Tensor, want: &Tensor) -> Result<(), String> {
    let bar = bars.rel_l2;
    let err = rel_l2(got, want).map_err(|e| format!("{stage}: {e}"))?;
    // Shown with --nocapture: how close each stage is to the bar.
    eprintln!("    {stage}: relative L2 {err:.2e}");
    if err.is_nan() || err >= bar {
        return Err(format!(
            "{stage}: relative L2 error {err:.3e} (bar {bar:.0e})"
        ));
    }
    Ok(())
}

fn check_image(bars: Bars, got: &image::RgbImage, want: &Tensor) -> Result<(), String> {
    let max_levels = bars.levels;
    let (h, w) = (want.dim(0).unwrap(), want.dim(1).unwrap());
    if (got.width() as usize, got.height() as usize) != (w, h) {
        return Err(format!(
            "image: {}x{}, expected {w}x{h}",
            got.width(),
            got.height()
        ));
    }
    let want: Vec<u8> = want.flatten_all().unwrap().to_vec1().unwrap();
    let (mut worst, mut at) = (0i16, 0usize);
    for (i, (&g, &w)) in got.as_raw().iter().zip(&want).enumerate() {
        let d = (g as i16 - w as i16).abs();
        if d > worst {
            (worst, at) = (d, i);
        }
    }
    eprintln!("    image: at most {worst} levels off");
    if worst > max_levels {
        let px = at / 3;
        return Err(format!(
            "image: {worst} levels off at pixel ({}, {}) channel {} (bar {max_levels})",
            px % w,
            px / w,
            at % 3
        ));
    }
    Ok(())
}

/// Runs one case through every stage; `Err` names the first stage that diverged.
fn run_case(
    bars: Bars,
    pipe: &mut Pipeline,
    case: &Case,
    model: &Path,
    g: &HashMap<String, Tensor>,
) -> Result<(), String> {
    let want = |stage: &str| {
        g.get(&format!("{}.{stage}", case.name))
            .ok_or_else(|| format!("golden has no {}.{stage}", case.name))
    };
    let req = case.request(model);
    let cond = pipe.encode_prompt(&req).map_err(|e| format!("text: {e}"))?;
    check_float(
        bars,
        "text embeddings",
        &cond.hidden,
        want("prompt_embeds")?,
    )?;
    match (&cond.pooled, g.get(&format!("{}.pooled", case.name))) {
        (Some(p), Some(w)) => check_float(bars, "pooled text embedding", p, w)?,
        (None, None) => {}
        (p, w) => {
            return Err(format!(
                "pooled text embedding: reportfig has one: {}, diffusers has one: {}",
                p.is_some(),
                w.is_some()
            ))
        }
    }

    let init = match case.strength {
        Some(_) => {
            let init = rgb_image(want("init")?);
            // The encoder on its own first, so a divergence there is named as such.
            let vae = AutoencoderKL::load_dir(
                &model.join("vae"),
                DType::F32,
                &Device::Cpu,
                &load_options().context(),
            )
            .map_err(|e| format!("VAE: {e}"))?;
            let x = (Tensor::from_vec(
                init.as_raw().iter().map(|&p| p as f32 / 255.0).collect(),
                (1, init.height() as usize, init.width() as usize, 3),
                &Device::Cpu,
            )
            .and_then(|t| t.permute((0, 3, 1, 2)))
            .and_then(|t| t.affine(2.0, -1.0)))
            .map_err(|e| e.to_string())?;
            let mean = vae
                .encode_mean(&x)
                .map_err(|e| format!("VAE encode: {e}"))?;
            check_float(bars, "VAE encoder mean", &mean, want("encode_mean")?)?;
            Some(init)
        }
        None => None,
    };
    let mut first: Option<Tensor> = None;
    let mut calls = 0;
    let mask = match case.mask {
        true => Some(gray_image(want("mask")?)),
        false => None,
    };
    let start = init.as_ref().map(|image| StartPicture {
        image,
        mask: mask.as_ref(),
    });
    let (latents, _) = pipe
        .denoise_observed(&req, start, &mut |_| {}, &mut |s| {
            if s.index == 0 {
                first = Some(s.latents.clone());
            }
            calls = s.total;
        })
        .map_err(|e| format!("denoise: {e}"))?;
    let first = first.ok_or("denoise: no step ran")?;
    if let Some(want) = g.get(&format!("{}.w_embedding", case.name)) {
        // What the LCM UNet was conditioned on; the pipeline computes it the same way.
        let dim = pipe
            .unet_config()
            .time_cond_proj_dim
            .ok_or("no time_cond_proj_dim")?;
        let ours = guidance_scale_embedding(case.guidance - 1.0, dim, 1, &Device::Cpu)
            .map_err(|e| e.to_string())?;
        check_float(bars, "guidance-scale embedding", &ours, want)?;
    }
    check_float(
        bars,
        "latents after the first step",
        &first,
        want("first_latents")?,
    )?;
    check_float(
        bars,
        &format!("final latents (after {calls} UNet calls)"),
        &latents,
        want("latents")?,
    )?;

    let images = pipe.decode(&latents).map_err(|e| format!("decode: {e}"))?;
    check_image(bars, &images[0], want("image")?)?;
    // Decoding diffusers' own latents isolates the VAE from the loop.
    Ok(())
}

fn family_parity(fam: &str) {
    family_parity_with(Goldens::TextToImage, fam, &load_options(), F32_BARS);
}

fn family_parity_with(set: Goldens, fam: &str, opts: &LoadOptions, bars: Bars) {
    let golden = golden(set);
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), fam, &golden);
    let files = reportfig_testkit::tiny_model_files(&model, family(fam));
    let mut pipe = Pipeline::load(&files, opts).expect("tiny model loads");
    let g = tensors(set, fam);

    let cases: Vec<&Case> = golden.cases.iter().filter(|c| c.family == fam).collect();
    assert!(!cases.is_empty(), "no golden cases for {fam}");
    let mut failures = Vec::new();
    for case in &cases {
        eprintln!("{}:", case.name);
        if let Err(e) = run_case(bars, &mut pipe, case, &model, &g) {
            failures.push(format!("  {}: first divergence at {e}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {fam} cases differ from diffusers {} (torch {}):\n{}",
        failures.len(),
        cases.len(),
        golden.diffusers,
        golden.torch,
        failures.join("\n")
    );
}

#[test]
fn sd15_matches_diffusers() {
    family_parity("sd15");
}

#[test]
fn sd21_matches_diffusers() {
    family_parity("sd21");
}

#[test]
fn turbo_matches_diffusers() {
    family_parity("turbo");
}

#[test]
fn sdxl_matches_diffusers() {
    family_parity("sdxl");
}

/// An LCM-distilled SD 1.5 model (UNet with `time_cond_proj_dim`, LCMScheduler) against
/// `LatentConsistencyModelPipeline`: no unconditional pass, the guidance scale as an embedding.
#[test]
fn sd15_lcm_matches_diffusers() {
    family_parity("sd15-lcm");
}

/// An LCM-distilled SDXL UNet against `StableDiffusionXLPipeline`, which passes
/// `timestep_cond` when the UNet config has `time_cond_proj_dim`.
#[test]
fn sdxl_lcm_matches_diffusers() {
    family_parity("sdxl-lcm");
}

/// `--dtype f16` on the CPU: f16 weights, f32 arithmetic, against the f32 goldens with the
/// looser `HALF_WEIGHT_BARS`.
fn half_weights(fam: &str) {
    let opts = LoadOptions {
        dtype: DType::F16,
        ..load_options()
    };
    family_parity_with(Goldens::TextToImage, fam, &opts, HALF_WEIGHT_BARS);
}

#[test]
fn half_weights_turbo_close_to_diffusers() {
    half_weights("turbo");
}

#[test]
fn half_weights_sd15_close_to_diffusers() {
    half_weights("sd15");
}

#[test]
fn half_weights_sd21_close_to_diffusers() {
    half_weights("sd21");
}

#[test]
fn half_weights_sdxl_close_to_diffusers() {
    half_weights("sdxl");
}

#[test]
fn half_weights_sd15_lcm_close_to_diffusers() {
    half_weights("sd15-lcm");
}

/// Image to image against `StableDiffusion(XL)Img2ImgPipeline`: the picture encoded, its
/// latent distribution sampled, noised by the sampler's `add_noise` and the schedule entered
/// part-way.
fn img2img_parity(fam: &str) {
    family_parity_with(Goldens::ImageToImage, fam, &load_options(), F32_BARS);
}

#[test]
fn img2img_sd15_matches_diffusers() {
    img2img_parity("sd15");
}

#[test]
fn img2img_sd21_matches_diffusers() {
    img2img_parity("sd21");
}

#[test]
fn img2img_turbo_matches_diffusers() {
    img2img_parity("turbo");
}

#[test]
fn img2img_sdxl_matches_diffusers() {
    img2img_parity("sdxl");
}

#[test]
fn img2img_sd15_lcm_matches_diffusers() {
    img2img_parity("sd15-lcm");
}

/// A 9-channel inpainting UNet (stable-diffusion-inpainting's layout) against
/// `StableDiffusionInpaintPipeline`.
#[test]
fn inpaint_sd15_model_matches_diffusers() {
    img2img_parity("sd15-inpaint");
}

#[test]
fn inpaint_sdxl_model_matches_diffusers() {
    img2img_parity("sdxl-inpaint");
}

#[test]
fn img2img_half_weights_sd15_close_to_diffusers() {
    let opts = LoadOptions {
        dtype: DType::F16,
        ..load_options()
    };
    family_parity_with(Goldens::ImageToImage, "sd15", &opts, HALF_WEIGHT_BARS);
}

/// Every family in the goldens has a test above and every sampler is covered, for text to
/// image and image to image alike.
#[test]
fn goldens_cover_every_family_and_sampler() {
    for set in [Goldens::TextToImage, Goldens::ImageToImage] {
        let golden = golden(set);
        for fam in TinyFamily::ALL {
            assert!(golden.cases.iter().any(|c| c.family == fam.name()));
        }
        for kind in reportfig_engine::pipeline::scheduler::SamplerKind::ALL {
            assert!(
                golden
                    .cases
                    .iter()
                    .any(|c| c.sampler.as_deref() == Some(kind.name())),
                "no golden case for sampler {kind}"
            );
        }
    }
}
