//! Scheduler parity with diffusers: timesteps, sigmas, init_noise_sigma and a whole synthetic
//! denoising loop (including ancestral noise) against `tests/golden/schedulers/*.json`,
//! written by `tools/reference/scheduler_goldens.py`.

use std::path::Path;

use candle_core::{Device, Tensor};
use reportfig_engine::pipeline::noise::TorchGenerator;
use reportfig_engine::pipeline::scheduler::{build, initial_latents, SamplerKind, SchedulerConfig};
use serde_json::Value;

/// The stand-in for the UNet, identical to the Python script's `model_fn`.
fn model_fn(x: &Tensor, t: f64) -> candle_core::Result<Tensor> {
    let c = 0.05 * (t / 97.0).sin();
    x.affine(0.3, c)
}

/// Numbers of a JSON array; `null` stands for a NaN diffusers produced.
fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
        .unwrap_or_default()
}

/// Relative L2 error over the finite reference values; NaN where exactly one side is NaN.
fn rel_l2(a: &[f32], b: &[f64]) -> f64 {
    if a.len() != b.len() || a.iter().zip(b).any(|(x, y)| x.is_nan() != y.is_nan()) {
        return f64::NAN;
    }
    let pairs = || a.iter().zip(b).filter(|(_, y)| !y.is_nan());
    let num: f64 = pairs().map(|(x, y)| (*x as f64 - y).powi(2)).sum();
    let den: f64 = pairs().map(|(_, y)| y * y).sum();
    (num / den.max(1e-30)).sqrt()
}

/// Equal within `rel`, treating two NaNs as equal (diffusers' NaNs must be reproduced).
fn close(a: f64, b: f64, rel: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= rel * b.abs().max(1e-12)
}

/// Tolerances: relative, for sigmas and for latents (per call and final, relative L2).
#[derive(Clone, Copy)]
struct Tol {
    sigma: f64,
    latents: f64,
}

/// Zero-terminal-SNR schedules are ill-conditioned in float32: the rescaled betas near t = 999
/// divide tiny numbers, and the first Euler step (sigma = 4096) cancels two numbers ~2000x
/// larger than the result. torch's float32 sqrt on x86 (MKL vector math) is not correctly
/// rounded (about 1 value in 5 is 1 ulp off), so a one-ulp difference in a square root is
/// amplified to about 1e-5 in sigmas and 1e-4 in latents. Everything else is held to the
/// normal bar: sigmas 1e-6, latents 1e-5.
fn tolerance(label: &str) -> Tol {
    if label.contains("zero-snr") {
        Tol {
            sigma: 1e-5,
            latents: 1e-4,
        }
    } else {
        Tol {
            sigma: 1e-6,
            latents: 1e-5,
        }
    }
}

/// Runs one golden case; returns a description of the first mismatch, if any.
fn check_case(
    config: &SchedulerConfig,
    case: &Value,
    seed: u64,
    shape: &[usize],
    (label, tol): (&str, Tol),
) -> Option<String> {
    let name = case["sampler"].as_str()?;
    let steps = case["steps"].as_u64()? as usize;
    let kind = match SamplerKind::from_name(name) {
        Ok(k) => k,
        Err(e) => return Some(format!("unknown sampler: {e}")),
    };
    let built = build(kind, config, steps);
    if let Some(reason) = case.get("rejected") {
        // Our build must refuse it too (or, at the latest, the loop must fail).
        let Ok(mut sched) = built else { return None };
        let mut rng = TorchGenerator::new(seed);
        let failed = (|| -> candle_core::Result<()> {
            let mut latents = rng.randn_tensor(shape, &Device::Cpu)?;
            for (i, &t) in sched.timesteps().to_vec().iter().enumerate() {
                let x = sched.scale_model_input(&latents, i)?;
                latents = sched.step(&model_fn(&x, t)?, i, &latents, &mut rng)?;
            }
            Ok(())
        })()
        .is_err();
        return (!failed).then(|| format!("diffusers rejects this ({reason}) but we ran it"));
    }
    let mut sched = match built {
        Ok(s) => s,
        Err(e) => return Some(format!("build failed: {e}")),
    };
    // Timesteps are float32 (Euler) or int64 in diffusers. Integral ones and those laid out
    // by the spacing rules must match exactly; the ones Euler derives from sigmas (Karras,
    // continuous) go through torch's float32 sqrt/log/exp, which on x86 call MKL's vector math
    // (not correctly rounded: about 1 value in 5 is 1 ulp off), so those match to 1e-6.
    let want_t = f64s(&case["timesteps"]);
    let ours_t = sched.timesteps();
    let t_ok = ours_t.len() == want_t.len()
        && ours_t
            .iter()
            .zip(&want_t)
            .all(|(&a, &b)| a as f32 == b as f32 || (b.fract() != 0.0 && close(a, b, 1e-6)));
    if !t_ok {
        return Some(format!(
            "timesteps differ:\n  ours   {ours_t:?}\n  theirs {want_t:?}"
        ));
    }
    if let Some(want_s) = case["sigmas"].as_array().map(|_| f64s(&case["sigmas"])) {
        let Some(ours) = sched.sigmas() else {
            return Some("diffusers has sigmas, we have none".into());
        };
        if ours.len() != want_s.len() {
            return Some(format!(
                "{} sigmas, diffusers has {}",
                ours.len(),
                want_s.len()
            ));
        }
        for (k, (a, b)) in ours.iter().zip(&want_s).enumerate() {
            if !close(*a, *b, tol.sigma) {
                return Some(format!("sigma[{k}] = {a}, diffusers {b}"));
            }
        }
    }
    let want_init = case["init_noise_sigma"].as_f64()?;
    let init = sched.init_noise_sigma();
    if !close(init, want_init, 1e-6) {
        return Some(format!("init_noise_sigma = {init}, diffusers {want_init}"));
    }
    let norms = f64s(&case["norms"]);
    let mut run = || -> candle_core::Result<Result<Vec<f32>, String>> {
        let dev = Device::Cpu;
        let mut rng = TorchGenerator::new(seed);
        let mut latents = initial_latents(sched.as_ref(), &mut rng, shape, &dev)?;
        let ts = sched.timesteps().to_vec();
        for (i, &t) in ts.iter().enumerate() {
            let x = sched.scale_model_input(&latents, i)?;
            let mo = model_fn(&x, t)?;
            latents = sched.step(&mo, i, &latents, &mut rng)?;
            let v = latents.flatten_all()?.to_vec1::<f32>()?;
            let n: f64 = v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            if let Some(&want) = norms.get(i) {
                if !close(n, want, tol.latents) {
                    return Ok(Err(format!(
                        "call {i} (t = {t}) diverged first: |latents| = {n}, diffusers {want}"
                    )));
                }
            }
        }
        Ok(Ok(latents.flatten_all()?.to_vec1::<f32>()?))
    };
    let got = match run() {
        Ok(Ok(v)) => v,
        Ok(Err(msg)) => return Some(msg),
        Err(e) => return Some(format!("loop failed: {e}")),
    };
    let want = f64s(&case["final_latents"]);
    let err = rel_l2(&got, &want);
    if std::env::var_os("SCHEDULER_PARITY_VERBOSE").is_some() {
        eprintln!(
            "{label} {} {} steps: final relative L2 {err:.3e}",
            case["sampler"], case["steps"]
        );
    }
    let both_nan = got.iter().all(|x| x.is_nan()) && want.iter().all(|y| y.is_nan());
    if !(err < tol.latents || both_nan) {
        return Some(format!(
            "final latents relative L2 error {err:.3e} (limit {:.0e})",
            tol.latents
        ));
    }
    None
}

#[test]
fn schedulers_match_diffusers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/schedulers");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/golden/schedulers exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden files in {}", dir.display());
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let config = SchedulerConfig::from_json(&doc["config"].to_string()).unwrap();
        let seed = doc["seed"].as_u64().unwrap();
        let shape: Vec<usize> = f64s(&doc["shape"]).iter().map(|&x| x as usize).collect();
        let label = doc["family"].as_str().unwrap_or("?").to_string();
        for case in doc["cases"].as_array().unwrap() {
            checked += 1;
            if let Some(msg) = check_case(&config, case, seed, &shape, (&label, tolerance(&label)))
            {
                failures.push(format!(
                    "{label} / {} / {} steps: {msg}",
                    case["sampler"].as_str().unwrap_or("?"),
                    case["steps"]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} scheduler cases differ from diffusers:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
