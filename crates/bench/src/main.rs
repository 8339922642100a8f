//! `cargo run --release --bin bench -- [--runs N] [--only SUBSTRING] [--torch FILE] [--openvino FILE]
//! [--text-config PATH] [--unet-config PATH] [--vae-config PATH] [--translator-config DIR]
//! [--no-candle] [--no-winograd] [--whole] [--steps N]
//! [--half-weights]`, with `REPORTFIG_ISA=avx512|avx2|portable` to time a narrower kernel path
//!
//! Times the CPU hot paths on the real Stable Diffusion 2.1 / SD-Turbo shapes (512×512, 64×64
//! latents) with our kernels and with candle's own ops, then, when configs are given, whole
//! networks built from them with random weights (speed does not depend on the values). Prints one
//! table: median seconds after a warm-up, GFLOP/s, the row's peak RSS, and the ratio to
//! PyTorch when `--torch` names the JSON written by `tools/bench/bench_torch.py` (and to
//! OpenVINO when `--openvino` names the one `tools/bench/bench_openvino.py` writes).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use candle_core::{Device, Module, Tensor};
use reportfig_engine::model::config::{read_json, UNetConfig, VaeConfig};
use reportfig_engine::pipeline::{kernels, memory, ConvAlgorithm, Isa, LoadContext, WeightStorage};

struct Options {
    runs: usize,
    only: Option<String>,
    torch: Option<PathBuf>,
    /// `tools/bench/bench_openvino.py --json`'s file, for a "÷ OV" column.
    openvino: Option<PathBuf>,
    unet_config: Option<PathBuf>,
    vae_config: Option<PathBuf>,
    text_config: Option<PathBuf>,
    translator_config: Option<PathBuf>,
    candle: bool,
    whole: bool,
    /// UNet calls in the whole-image row (1: SD-Turbo; 4: an LCM-LoRA or LCM model).
    whole_steps: usize,
    /// `--draft`: the whole-image row decodes with the tiny decoder (`--draft` of `batch`
    /// and `compare`), to set against PyTorch's full image.
    draft: bool,
    half_weights: bool,
    /// The kernels every row runs (`REPORTFIG_ISA`, else the widest this CPU has).
    isa: Isa,
    conv: ConvAlgorithm,
}

impl Options {
    /// What the networks are built with (f32 weights unless `--half-weights` asks, for the
    /// whole-image row only).
    fn context(&self, weights: WeightStorage) -> LoadContext {
        LoadContext::new(self.isa)
            .with_conv(self.conv)
            .with_weights(weights)
    }
}

fn parse_args() -> Result<Options> {
    let mut o = Options {
        runs: 3,
        only: None,
        torch: None,
        openvino: None,
        unet_config: None,
        vae_config: None,
        text_config: None,
        translator_config: None,
        candle: true,
        whole: false,
        whole_steps: 1,
        draft: false,
        half_weights: false,
        isa: match std::env::var("REPORTFIG_ISA") {
            Ok(name) => Isa::from_name(&name).context("REPORTFIG_ISA")?,
            Err(_) => Isa::detect(),
        },
        conv: ConvAlgorithm::Auto,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--runs" => o.runs = value()?.parse().context("--runs takes a number, e.g. 3")?,
            "--only" => o.only = Some(value()?),
            "--torch" => o.torch = Some(value()?.into()),
            "--openvino" => o.openvino = Some(value()?.into()),
            "--unet-config" => o.unet_config = Some(value()?.into()),
            "--vae-config" => o.vae_config = Some(value()?.into()),
            "--text-config" => o.text_config = Some(value()?.into()),
            "--translator-config" => o.translator_config = Some(value()?.into()),
            "--no-candle" => o.candle = false,
            "--no-winograd" => o.conv = ConvAlgorithm::Direct,
            "--whole" => o.whole = true,
            "--steps" => {
                o.whole_steps = value()?.parse().context("--steps takes a number, e.g. 4")?;
                if o.whole_steps == 0 {
                    bail!("--steps must be at least 1");
                }
            }
            "--half-weights" => o.half_weights = true,
            "--draft" => o.draft = true,
            "-h" | "--help" => {
                println!(
                    "usage: bench [--runs N] [--only TEXT] [--torch FILE] [--openvino FILE] [--text-config PATH] \
                     [--unet-config PATH] [--vae-config PATH] [--no-candle] [--no-winograd] \
                     [--whole] [--steps N] [--draft] [--half-weights]\n\
                     environment: REPORTFIG_ISA=avx512|avx2|portable (default: the widest this CPU runs)\n\
                     see crates/bench/src/main.rs and BENCHMARKS.md"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}; see BENCHMARKS.md for the options"),
        }
    }
    Ok(o)
}

/// Peak resident set since the last reset, in GiB (Linux; `None` elsewhere).
fn peak_rss_gib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / (1024.0 * 1024.0))
}

/// User plus system CPU time of the whole process so far (Linux; `None` elsewhere).
fn cpu_seconds() -> Option<f64> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: getrusage only writes the struct it is given.
        let usage = unsafe {
            let mut u: libc::rusage = std::mem::zeroed();
            (libc::getrusage(libc::RUSAGE_SELF, &mut u) == 0).then_some(u)?
        };
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
        Some(secs(usage.ru_utime) + secs(usage.ru_stime))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Makes the next `peak_rss_gib` report the peak of what follows only.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

struct Row {
    name: String,
    seconds: f64,
    gflop: Option<f64>,
    rss: Option<f64>,
    /// Process CPU time (user + system) over wall time across the timed runs: how many of
    /// the cores were busy on average.
    cores: Option<f64>,
}

struct Bench {
    opts: Options,
    rows: Vec<Row>,
    torch: BTreeMap<String, f64>,
    openvino: BTreeMap<String, f64>,
}

impl Bench {
    fn wanted(&self, name: &str) -> bool {
        self.opts.only.as_deref().is_none_or(|s| name.contains(s))
    }

    /// One warm-up, then `runs` timed calls; records the median.
    fn time(
        &mut self,
        name: &str,
        gflop: Option<f64>,
        mut f: impl FnMut() -> Result<()>,
    ) -> Result<()> {
        if !self.wanted(name) {
            return Ok(());
        }
        reset_peak_rss();
        f()?;
        let cpu_before = cpu_seconds();
        let wall = Instant::now();
        let mut t: Vec<f64> = (0..self.opts.runs.max(1))
            .map(|_| {
                let s = Instant::now();
                f().map(|_| s.elapsed().as_secs_f64())
            })
            .collect::<Result<_>>()?;
        let wall = wall.elapsed().as_secs_f64();
        let cores = cpu_before.zip(cpu_seconds()).map(|(a, b)| (b - a) / wall);
        t.sort_by(f64::total_cmp);
        let row = Row {
            name: name.to_string(),
            seconds: t[t.len() / 2],
            gflop,
            rss: peak_rss_gib(),
            cores,
        };
        self.print(&row);
        self.rows.push(row);
        Ok(())
    }

    fn print_header(&self) {
        println!(
            "{:<46} {:>9} {:>8} {:>9} {:>6} {:>9} {:>6}",
            "stage", "median s", "GFLOP/s", "peak GiB", "cores", "÷ torch", "÷ OV"
        );
    }

    fn print(&self, r: &Row) {
        let gf = r
            .gflop
            .map_or("-".into(), |g| format!("{:.1}", g / r.seconds));
        let rss = r.rss.map_or("-".into(), |g| format!("{g:.2}"));
        let cores = r.cores.map_or("-".into(), |c| format!("{c:.2}"));
        // Rows of ours and candle's kernels compare with the same reference row.
        let reference = r
            .name
            .trim_end_matches(" ours")
            .trim_end_matches(" candle")
            .trim_end_matches(" wino")
            .trim_end_matches(" wino4")
            .trim_end_matches(" prepacked");
        let ratio = |to: &BTreeMap<String, f64>| {
            to.get(reference)
                .map_or("-".into(), |t| format!("{:.2}", r.seconds / t))
        };
        println!(
            "{:<46} {:>9.3} {:>8} {:>9} {:>6} {:>9} {:>6}",
            r.name,
            r.seconds,
            gf,
            rss,
            cores,
            ratio(&self.torch),
            ratio(&self.openvino)
        );
    }
}

fn randn(dims: &[usize]) -> Result<Tensor> {
    Ok(Tensor::randn(0f32, 1f32, dims, &Device::Cpu)?)
}

fn matmul_rows(b: &mut Bench) -> Result<()> {
    let isa = b.opts.isa;
    let n = 4096;
    let x = randn(&[n, n])?;
    let y = randn(&[n, n])?;
    let gf = 2.0 * (n * n * n) as f64 / 1e9;
    b.time("matmul 4096³ ours", Some(gf), || {
        kernels::matmul(isa, &x, &y)?;
        Ok(())
    })?;
    if b.opts.candle {
        b.time("matmul 4096³ candle", Some(gf), || {
            x.matmul(&y)?;
            Ok(())
        })?;
    }
    Ok(())
}

/// The 3×3 convolutions that dominate SD 2.1's UNet (64² latents) and its VAE decoder.
fn conv_rows(b: &mut Bench) -> Result<()> {
    let isa = b.opts.isa;
    // (label, channels in, channels out, size, stride)
    let shapes = [
        ("unet conv 320→320 64²", 320, 320, 64, 1),
        ("unet conv 320→320 64² stride 2", 320, 320, 64, 2),
        ("unet conv 640→640 32²", 640, 640, 32, 1),
        ("unet conv 1280→1280 16²", 1280, 1280, 16, 1),
        ("unet conv 1280→1280 8²", 1280, 1280, 8, 1),
        ("vae conv 512→512 64²", 512, 512, 64, 1),
        ("vae conv 512→512 128²", 512, 512, 128, 1),
        ("vae conv 256→256 256²", 256, 256, 256, 1),
        ("vae conv 128→128 512²", 128, 128, 512, 1),
    ];
    for (label, ci, co, s, stride) in shapes {
        let name = format!("{label} ours");
        let cand = format!("{label} candle");
        if !b.wanted(&name) && !b.wanted(&cand) {
            continue;
        }
        let x = randn(&[1, ci, s, s])?;
        let w = (randn(&[co, ci, 3, 3])? * 0.02)?;
        let bias = randn(&[co])?;
        let so = (s + 2 - 3) / stride + 1;
        let gf = 2.0 * (co * so * so) as f64 * (ci * 9) as f64 / 1e9;
        b.time(&name, Some(gf), || {
            kernels::conv2d(isa, &x, &w, Some(&bias), stride, 1)?;
            Ok(())
        })?;
        // Classifier-free guidance runs two images per step; on small maps they share one
        // product (the weights read once). Before that, batch 2 cost two batch-1 products.
        let pair = format!("{label} batch 2 prepacked");
        if s * s <= 32 * 32 && b.wanted(&pair) {
            let pa = kernels::pack_conv_weight(isa, &w)?;
            b.time(&format!("{label} batch 1 prepacked"), Some(gf), || {
                kernels::conv2d_prepacked(&x, &pa, (3, 3), Some(&bias), stride, 1, None)?;
                Ok(())
            })?;
            let x2 = Tensor::cat(&[&x, &x], 0)?;
            b.time(&pair, Some(2.0 * gf), || {
                kernels::conv2d_prepacked(&x2, &pa, (3, 3), Some(&bias), stride, 1, None)?;
                Ok(())
            })?;
        }
        if stride == 1 && b.wanted(&format!("{label} wino")) {
            let pa = kernels::pack_conv_weight(isa, &w)?;
            b.time(&format!("{label} prepacked"), Some(gf), || {
                kernels::conv2d_prepacked(&x, &pa, (3, 3), Some(&bias), 1, 1, None)?;
                Ok(())
            })?;
            use kernels::WinogradTiling;
            for (tag, tiling) in [("wino", WinogradTiling::F2), ("wino4", WinogradTiling::F4)] {
                let ww = kernels::pack_winograd_weight(isa, &w, tiling)?;
                b.time(&format!("{label} {tag}"), Some(gf), || {
                    kernels::conv3x3_winograd(&x, &ww, Some(&bias), 1, None)?;
                    Ok(())
                })?;
            }
        }
        // candle's im2col at 512² needs 1.2 GB per call and minutes per row: skip the largest.
        if b.opts.candle && s * s * ci <= 256 * 256 * 256 {
            b.time(&cand, Some(gf), || {
                let y = x.conv2d(&w, 1, stride, 1, 1)?;
                y.broadcast_add(&bias.reshape((1, co, 1, 1))?)?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

fn attention_rows(b: &mut Bench) -> Result<()> {
    let isa = b.opts.isa;
    // (label, heads, n_q, n_kv, d)
    let shapes = [
        ("unet self-attn 5×4096² d64", 5, 4096, 4096, 64),
        ("unet cross-attn 5×4096×77 d64", 5, 4096, 77, 64),
        ("vae mid attn 1×4096² d512", 1, 4096, 4096, 512),
    ];
    for (label, h, nq, nk, d) in shapes {
        let q = randn(&[1, h, nq, d])?;
        let k = randn(&[1, h, nk, d])?;
        let v = randn(&[1, h, nk, d])?;
        let scale = 1.0 / (d as f64).sqrt();
        let gf = 4.0 * (h * nq * nk * d) as f64 / 1e9;
        b.time(&format!("{label} ours"), Some(gf), || {
            kernels::attention(isa, &q, &k, &v, scale)?;
            Ok(())
        })?;
        if b.opts.candle {
            b.time(&format!("{label} candle"), Some(gf), || {
                let s = (q.matmul(&k.t()?.contiguous()?)? * scale)?;
                let p = candle_nn::ops::softmax_last_dim(&s)?;
                p.matmul(&v)?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

fn norm_rows(b: &mut Bench) -> Result<()> {
    let isa = b.opts.isa;
    for (label, c, s) in [
        ("group norm+silu 128×512²", 128, 512),
        ("group norm+silu 320×64²", 320, 64),
    ] {
        let x = randn(&[1, c, s, s])?;
        let g = randn(&[c])?;
        let bt = randn(&[c])?;
        b.time(&format!("{label} ours"), None, || {
            kernels::group_norm(isa, &x, &g, &bt, 32, 1e-6, true)?;
            Ok(())
        })?;
        if b.opts.candle {
            let gn = candle_nn::GroupNorm::new(g.clone(), bt.clone(), c, 32, 1e-6)?;
            b.time(&format!("{label} candle"), None, || {
                gn.forward(&x)?.silu()?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// Whole networks from their diffusers configs, random weights. The work figures are those of
/// SD 2.1 / SD-Turbo at 512² (`/shared/reference/PERF.md`); other configs print no GFLOP/s.
fn network_rows(
    b: &mut Bench,
    text: Option<&Path>,
    unet: Option<&Path>,
    vae: Option<&Path>,
) -> Result<()> {
    // Real random weights in memory (zeros would all map one shared page and flatter the
    // memory traffic); they are generated once, outside the timings.
    // One backend per network, dropped with it, so each row's peak holds one network only.
    let vb = || reportfig_testkit::recording::RecordingBackend::new(7).var_builder();
    if let Some(path) = text {
        let cfg: reportfig_engine::model::config::ClipTextConfig =
            read_json(path, "text encoder config")?;
        let ctx = b.opts.context(WeightStorage::F32);
        let net = reportfig_engine::pipeline::text::clip::ClipTextModel::load(vb(), &cfg, &ctx)?;
        memory::release_free_memory();
        let ids = Tensor::zeros((1, 77), candle_core::DType::U32, &Device::Cpu)?;
        b.time("text encoder 77 tokens", None, || {
            net.forward(&ids)?;
            Ok(())
        })?;
    }
    if let Some(path) = unet {
        let cfg: UNetConfig = read_json(path, "UNet config")?;
        let ctx = cfg.cross_attention_dim.get(0).unwrap_or(768);
        let sd21 = ctx == 1024 && cfg.block_out_channels == [320, 640, 1280, 1280];
        // Forgetful: SDXL's UNet is 10 GB in f32, and a recording backend would keep a
        // second copy alive while the packed one is built.
        let vb = candle_nn::VarBuilder::from_backend(
            Box::new(Forgetful(7)),
            candle_core::DType::F32,
            Device::Cpu,
        );
        let load_ctx = b.opts.context(WeightStorage::F32);
        let net = reportfig_engine::pipeline::unet::UNet2DConditionModel::load(
            vb.pp("unet"),
            &cfg,
            &load_ctx,
        )?;
        memory::release_free_memory();
        // SD at 64² latents (512², the size the SD 2.1 figures of PERF.md are for); SDXL at
        // its native 128² (1024²) with its added conditioning (pooled text, size ids).
        let sdxl = net.needs_added_conditioning();
        let size = if sdxl {
            cfg.sample_size.unwrap_or(128)
        } else {
            64
        };
        for batch in [1usize, 2] {
            let x = randn(&[batch, cfg.in_channels, size, size])?;
            let text = randn(&[batch, 77, ctx])?;
            let added = if sdxl {
                let pooled = cfg.projection_class_embeddings_input_dim.unwrap_or(2816)
                    - 6 * cfg.addition_time_embed_dim.unwrap_or(256);
                let px = (size * 8) as f32;
                let ids = [px, px, 0.0, 0.0, px, px].repeat(batch);
                Some(reportfig_engine::pipeline::unet::AddedConditioning {
                    text_embeds: randn(&[batch, pooled])?,
                    time_ids: Tensor::from_vec(ids, (batch, 6), &Device::Cpu)?,
                })
            } else {
                None
            };
            let gf = sd21.then_some(804.0 * batch as f64);
            b.time(&format!("unet step batch {batch} {size}²"), gf, || {
                net.forward(&x, 999.0, &text, added.as_ref())?;
                Ok(())
            })?;
        }
    }
    if let Some(path) = vae {
        let cfg: VaeConfig = read_json(path, "VAE config")?;
        let ctx = b.opts.context(WeightStorage::F32);
        // Each row holds the VAE as its own job loads it: text to image keeps the encoder in
        // the direct form it never runs, image to image gives it the fast forms (Winograd,
        // 4x the weights of its large convolutions), so the rows' peaks are the jobs' peaks.
        let load = |usage| {
            let net = reportfig_engine::pipeline::vae::AutoencoderKL::load_for(
                vb().pp("vae"),
                &cfg,
                &ctx,
                usage,
            );
            memory::release_free_memory();
            net
        };
        if b.wanted(DECODE_ROW) {
            let net = load(reportfig_engine::pipeline::vae::VaeUse::Decode)?;
            let z = randn(&[1, cfg.latent_channels, 64, 64])?;
            let gf = (cfg.block_out_channels == [128, 256, 512, 512]).then_some(2515.0);
            b.time(DECODE_ROW, gf, || {
                net.decode(&z)?;
                Ok(())
            })?;
        }
        if b.wanted(ENCODE_ROW) {
            let net = load(reportfig_engine::pipeline::vae::VaeUse::EncodeToo)?;
            // Image to image starts here: the picture's latent distribution.
            let x = randn(&[1, cfg.in_channels, 512, 512])?;
            b.time(ENCODE_ROW, None, || {
                net.encode(&x)?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

const DECODE_ROW: &str = "vae decode 64²→512²";
const ENCODE_ROW: &str = "vae encode 512²→64²";

/// The same values as `RecordingBackend::new(seed)`, but every tensor is forgotten once
/// handed out.
struct Forgetful(u64);

impl candle_nn::var_builder::SimpleBackend for Forgetful {
    fn get(
        &self,
        s: candle_core::Shape,
        name: &str,
        h: candle_nn::Init,
        dtype: candle_core::DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        reportfig_testkit::recording::RecordingBackend::new(self.0).get(s, name, h, dtype, dev)
    }

    fn get_unchecked(
        &self,
        name: &str,
        _dtype: candle_core::DType,
        _dev: &Device,
    ) -> candle_core::Result<Tensor> {
        candle_core::bail!("bench weights: {name} must be asked for with a shape")
    }

    fn contains_tensor(&self, _name: &str) -> bool {
        true
    }
}

/// A whole SD-Turbo image with the three networks loaded: text encoder, one UNet step at
/// batch 1 (no classifier-free guidance), VAE decode. Run alone (`--whole`) so the process
/// peak printed afterwards is this job's, weights included. `--steps N` makes it N UNet calls
/// at batch 1: with SD 1.5's configs and 4 steps, an SD 1.5 + LCM-LoRA image (the LoRA is
/// merged into the weights at load, so a step costs what an SD 1.5 step does) or an
/// LCM-distilled SD 1.5 model at guidance embedded rather than a second pass.
fn whole_image(
    b: &mut Bench,
    text: Option<&Path>,
    unet: Option<&Path>,
    vae: Option<&Path>,
) -> Result<()> {
    let (Some(text), Some(unet), Some(vae)) = (text, unet, vae) else {
        bail!("--whole needs --text-config, --unet-config and --vae-config");
    };
    // Random weights that are not kept after each `get` (RecordingBackend keeps every tensor
    // for as long as the network loads, which a real checkpoint read does not): the peak is
    // then the networks' own, as in `Pipeline::load`.
    let vb = || {
        candle_nn::VarBuilder::from_backend(
            Box::new(Forgetful(7)),
            candle_core::DType::F32,
            Device::Cpu,
        )
    };
    let tcfg: reportfig_engine::model::config::ClipTextConfig =
        read_json(text, "text encoder config")?;
    let ucfg: UNetConfig = read_json(unet, "UNet config")?;
    let vcfg: VaeConfig = read_json(vae, "VAE config")?;
    // `--half-weights`: what `--dtype f16` does on the CPU (f16 packed weights, f32 compute).
    let ctx = b.opts.context(if b.opts.half_weights {
        WeightStorage::F16
    } else {
        WeightStorage::F32
    });
    let enc = reportfig_engine::pipeline::text::clip::ClipTextModel::load(vb(), &tcfg, &ctx)?;
    let net =
        reportfig_engine::pipeline::unet::UNet2DConditionModel::load(vb().pp("unet"), &ucfg, &ctx)?;
    enum Decoder {
        Full(Box<reportfig_engine::pipeline::vae::AutoencoderKL>),
        Tiny(reportfig_engine::pipeline::tiny_vae::TinyDecoder),
    }
    let dec = if b.opts.draft {
        let cfg = reportfig_engine::pipeline::tiny_vae::TinyVaeConfig::default();
        Decoder::Tiny(reportfig_engine::pipeline::tiny_vae::TinyDecoder::load(
            vb().pp("tiny"),
            &cfg,
            &ctx,
            (64, 64),
        )?)
    } else {
        Decoder::Full(Box::new(
            reportfig_engine::pipeline::vae::AutoencoderKL::load(vb().pp("vae"), &vcfg, &ctx)?,
        ))
    };
    memory::release_free_memory();
    let ids = Tensor::zeros((1, 77), candle_core::DType::U32, &Device::Cpu)?;
    let latents = randn(&[1, ucfg.in_channels, 64, 64])?;
    let steps = b.opts.whole_steps;
    let mut name = if steps == 1 {
        "whole turbo image 512²".to_string()
    } else {
        format!("whole image 512², {steps} steps, no CFG")
    };
    if b.opts.draft {
        name.push_str(", tiny decoder");
    }
    b.time(&name, None, || {
        let out = enc.forward(&ids)?;
        let mut z = latents.clone();
        for i in 0..steps {
            let t = 999.0 - (i * 1000 / steps) as f64;
            let eps = net.forward(&z, t, &out.last_hidden_state, None)?;
            // The scheduler's step is a few element-wise ops on 16 K values: negligible.
            z = ((&z - eps)? * 0.5)?;
        }
        match &dec {
            Decoder::Full(d) => d.decode(&z)?,
            Decoder::Tiny(d) => d.decode(&z)?,
        };
        Ok(())
    })?;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?");
    println!("process peak over the whole run (weights generation included): {hwm}");
    Ok(())
}

/// `--print`'s learned upscaler at full size (realesr-general-x4v3: 64 features, 32
/// convolutions, ×4) with random weights: one 512² picture to 2048², in the tiles the app
/// uses (384 px with 34 px of context), and one 384² tile alone.
fn upscaler_rows(b: &mut Bench) -> Result<()> {
    use reportfig_engine::pipeline::upscale::{SrVggNetCompact, UpscalerConfig, TILE};
    const ROWS: [&str; 2] = [
        "upscaler x4v3 network alone 512²",
        "upscaler x4v3 512² -> 2048² (as --print runs it)",
    ];
    if !ROWS.iter().any(|r| b.wanted(r)) {
        return Ok(());
    }
    let cfg = UpscalerConfig::default();
    let vb = reportfig_testkit::recording::RecordingBackend::new(7).var_builder();
    let net = SrVggNetCompact::load(vb, &b.opts.context(WeightStorage::F32), &cfg, TILE)?;
    memory::release_free_memory();
    // Per output pixel of the body: (2 + num_conv) 3x3 convs at 64 ch on the input grid.
    let macs = |side: usize| {
        let f = cfg.num_feat;
        let per = 9 * (3 * f + cfg.num_conv * f * f + f * 3 * cfg.upscale * cfg.upscale);
        (side * side * per) as f64
    };
    let tile = randn(&[1, 3, 512, 512])?;
    b.time(ROWS[0], Some(2.0 * macs(512) / 1e9), || {
        net.forward(&tile)?;
        Ok(())
    })?;
    let img = image::RgbImage::from_fn(512, 512, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x ^ y) % 256) as u8])
    });
    // In the app's tiles (one, at 512²), with the conversion to an 8-bit picture.
    let overlap = cfg.num_conv + 2;
    b.time(ROWS[1], None, || {
        net.upscale_image(&img, TILE, overlap)?;
        Ok(())
    })?;
    Ok(())
}

/// `--draft`'s decoder at TAESD's published size (the `AutoencoderTiny` defaults, which are
/// `madebyollin/taesd`'s config), 64² latents to a 512² picture, as the full decoder's row.
fn tiny_decoder_rows(b: &mut Bench) -> Result<()> {
    use reportfig_engine::pipeline::tiny_vae::{TinyDecoder, TinyVaeConfig};
    const ROW: &str = "tiny decoder (taesd) 64²→512²";
    if !b.wanted(ROW) {
        return Ok(());
    }
    let cfg = TinyVaeConfig::default();
    let vb = reportfig_testkit::recording::RecordingBackend::new(7).var_builder();
    let net = TinyDecoder::load(vb, &cfg, &b.opts.context(WeightStorage::F32), (64, 64))?;
    memory::release_free_memory();
    let z = randn(&[1, cfg.latent_channels, 64, 64])?;
    b.time(ROW, None, || {
        net.decode(&z)?;
        Ok(())
    })?;
    Ok(())
}

fn main() -> Result<()> {
    let opts = parse_args()?;
    // The bench owns its process, as the reportfig binary does, and tunes its allocator alike.
    memory::keep_freed_memory_for_reuse();
    let reference_rows = |file: &Option<PathBuf>, script: &str| -> Result<BTreeMap<String, f64>> {
        let Some(p) = file else {
            return Ok(BTreeMap::new());
        };
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not the JSON {script} writes", p.display()))
    };
    let torch = reference_rows(&opts.torch, "bench_torch.py")?;
    let openvino = reference_rows(&opts.openvino, "bench_openvino.py")?;
    println!(
        "kernels: {:?}, threads: {}, runs: {} after one warm-up",
        opts.isa,
        rayon::current_num_threads(),
        opts.runs
    );
    let (text, unet, vae) = (
        opts.text_config.clone(),
        opts.unet_config.clone(),
        opts.vae_config.clone(),
    );
    let mut b = Bench {
        opts,
        rows: Vec::new(),
        torch,
        openvino,
    };
    b.print_header();
    if b.opts.whole {
        return whole_image(&mut b, text.as_deref(), unet.as_deref(), vae.as_deref());
    }
    matmul_rows(&mut b)?;
    conv_rows(&mut b)?;
    attention_rows(&mut b)?;
    norm_rows(&mut b)?;
    network_rows(&mut b, text.as_deref(), unet.as_deref(), vae.as_deref())?;
    tiny_decoder_rows(&mut b)?;
    upscaler_rows(&mut b)?;
    if let Some(dir) = b.opts.translator_config.clone() {
        translator_rows(&mut b, &dir)?;
    }
    Ok(())
}

/// The input both sides translate: 19 source tokens and `</s>` (id 0), ids spread over the
/// vocabulary (their values do not change the work).
pub const TRANSLATE_INPUT: usize = 20;

/// A Marian translator from its `config.json` and `generation_config.json` (the folder of
/// `configs/reference/Helsinki-NLP--opus-mt-ko-en`), random weights, translating a 20-token
/// input as `generate()` does with the repo's settings, against transformers in
/// `tools/bench/bench_torch.py`. Random weights would decode to `max_length` (512): both
/// sides take `max_length` 32 and `min_length` 31, so every run is exactly 31 decoder steps
/// (the last one the forced EOS), the length of a long caption's translation.
fn translator_rows(b: &mut Bench, dir: &Path) -> Result<()> {
    use reportfig_engine::translate::config::{GenerationConfig, MarianConfig};
    use reportfig_engine::translate::generate::generate;
    use reportfig_engine::translate::marian::{Encoded, MarianMTModel};
    let labels = [("4 beams", None), ("greedy", Some(1))];
    let name = |label: &str| format!("translate 20 tokens ko→en {label}");
    if !labels.iter().any(|(l, _)| b.wanted(&name(l))) {
        return Ok(());
    }
    let cfg = MarianConfig::from_file(&dir.join("config.json"))?;
    let gpath = dir.join("generation_config.json");
    let mut gen = GenerationConfig::from_file(&gpath)?;
    gen.max_length = Some(32);
    gen.min_length = Some(31);
    let vb = reportfig_testkit::recording::RecordingBackend::new(7).var_builder();
    let net = MarianMTModel::load(vb, &cfg, &b.opts.context(WeightStorage::F32))?;
    memory::release_free_memory();
    let vocab = cfg.vocab_size as u32;
    let ids: Vec<u32> = (1..TRANSLATE_INPUT as u32)
        .map(|i| (i * 3251) % (vocab - 2) + 1)
        .chain([0])
        .collect();
    let input = Tensor::new(ids.as_slice(), &Device::Cpu)?.unsqueeze(0)?;
    for (label, beams) in labels {
        let mut g = gen.clone();
        if beams.is_some() {
            g.num_beams = beams;
        }
        let params = g.resolve(&cfg, &gpath)?;
        b.time(&name(label), None, || {
            let enc = Encoded::stack(&[net.encode(&input)?])?;
            let out = generate(&net, &enc, &params, None)?;
            anyhow::ensure!(
                out[0].ids.len() == 32,
                "decoded {} tokens",
                out[0].ids.len()
            );
            Ok(())
        })?;
    }
    Ok(())
}
