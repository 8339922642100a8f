//! Scheduler parity with diffusers: timesteps, sigmas, init_noise_sigma and a whole synthetic
//! denoising loop (including ancestral noise) against `tests/golden/schedulers/*.json`,
//! written by `tools/reference/scheduler_goldens.py`.

use std::path::Path;

use candle_core::{Device, Tensor};
use reportfig::pipeline::noise::TorchGenerator;
use reportfig::pipeline::scheduler::{build, SamplerKind, SchedulerConfig};
use serde_json::Value;

/// The stand-in for the UNet, identical to the Python script's `model_fn`.
fn model_fn(x: &Tensor, t: f64) -> candle_core::Result<Tensor> {
    let c = 0.05 * (t / 97.0).sin();
    x.affine(0.3, c)
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
        .unwrap_or_default()
}

fn rel_l2(a: &[f32], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (*x as f64 - y).powi(2)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den.max(1e-30)).sqrt()
}

/// Runs one golden case; returns a description of the first mismatch, if any.
fn check_case(
    config: &SchedulerConfig,
    case: &Value,
    seed: u64,
    shape: &[usize],
) -> Option<String> {
    let name = case["sampler"].as_str()?;
    let steps = case["steps"].as_u64()? as usize;
    let kind = match SamplerKind::from_name(name) {
        Ok(k) => k,
        Err(e) => return Some(format!("unknown sampler: {e}")),
    };
    let built = build(kind, config, steps);
    if let Some(reason) = case.get("rejected") {
        return match built {
            Err(_) => None,
            Ok(_) => Some(format!("diffusers rejects this ({reason}) but we built it")),
        };
    }
    let mut sched = match built {
        Ok(s) => s,
        Err(e) => return Some(format!("build failed: {e}")),
    };
    // Timesteps are float32 (Euler) or int64 in diffusers: exact as float32.
    let want_t: Vec<f32> = f64s(&case["timesteps"]).iter().map(|&t| t as f32).collect();
    let ours_t: Vec<f32> = sched.timesteps().iter().map(|&t| t as f32).collect();
    if ours_t != want_t || sched.timesteps().iter().any(|&t| t as f32 as f64 != t) {
        return Some(format!(
            "timesteps differ:\n  ours   {:?}\n  theirs {:?}",
            sched.timesteps(),
            want_t
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
            if (a - b).abs() > 1e-6 * b.abs().max(1e-12) {
                return Some(format!("sigma[{k}] = {a}, diffusers {b}"));
            }
        }
    }
    let want_init = case["init_noise_sigma"].as_f64()?;
    let init = sched.init_noise_sigma();
    if (init - want_init).abs() > 1e-6 * want_init.abs() {
        return Some(format!("init_noise_sigma = {init}, diffusers {want_init}"));
    }
    let norms = f64s(&case["norms"]);
    let mut run = || -> candle_core::Result<Result<Vec<f32>, String>> {
        let dev = Device::Cpu;
        let mut rng = TorchGenerator::new(seed);
        let noise = rng.randn_tensor(shape, &dev)?;
        let mut latents = noise.affine(init as f32 as f64, 0.0)?;
        let ts = sched.timesteps().to_vec();
        for (i, &t) in ts.iter().enumerate() {
            let x = sched.scale_model_input(&latents, i)?;
            let mo = model_fn(&x, t)?;
            latents = sched.step(&mo, i, &latents, &mut rng)?;
            let v = latents.flatten_all()?.to_vec1::<f32>()?;
            let n: f64 = v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            if let Some(&want) = norms.get(i) {
                if (n - want).abs() > 1e-5 * want.abs().max(1e-12) {
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
    if !(err < 1e-5) {
        return Some(format!(
            "final latents relative L2 error {err:.3e} (limit 1e-5)"
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
            if let Some(msg) = check_case(&config, case, seed, &shape) {
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
