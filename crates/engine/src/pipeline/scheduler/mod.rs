//! Noise schedulers with diffusers' semantics, one file per scheduler.
//!
//! A model's `scheduler_config.json` picks the class (`_class_name`); the user may override it
//! by sampler name, in which case the file's fields are kept and everything else takes the new
//! class's defaults, exactly as `NewClass.from_config(old.config)` does in diffusers. Schedule
//! arithmetic follows diffusers' mix of numpy float64 and torch float32; the per-step tensor
//! math is float32. Stochastic samplers draw from a [`TorchGenerator`] at the same points and
//! in the same order as diffusers, so seeds reproduce its images.

mod common;
mod config;
mod ddim;
mod ddpm;
mod dpmpp;
mod euler;
mod euler_ancestral;
mod lcm;
mod pndm;

use std::path::PathBuf;

use candle_core::{Result, Tensor};

pub use config::SchedulerConfig;

use super::noise::TorchGenerator;

/// Why a scheduler could not be built from a config.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error("cannot read scheduler config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a valid scheduler_config.json: {message}", path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "the scheduler config".into()))]
    Parse {
        path: Option<PathBuf>,
        message: String,
    },
    #[error("unknown sampler \"{0}\"; choose one of: {list}", list = SamplerKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "))]
    UnknownSampler(String),
    #[error("the scheduler class \"{0}\" in scheduler_config.json is not supported; the samplers that can be used instead are {list}", list = SamplerKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "))]
    UnknownClass(String),
    #[error("scheduler_config.json field `{field}` = {value} is not supported: {hint}")]
    Unsupported {
        field: &'static str,
        value: String,
        hint: String,
    },
    #[error("{steps} steps cannot be used with this sampler: {reason}")]
    Steps { steps: usize, reason: String },
    #[error("scheduler schedule error: {0}")]
    Schedule(String),
}

impl SchedulerError {
    pub(crate) fn unsupported(field: &'static str, value: String, hint: &str) -> Self {
        SchedulerError::Unsupported {
            field,
            value,
            hint: hint.to_string(),
        }
    }
}

/// The samplers a user can choose by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SamplerKind {
    Ddim,
    Pndm,
    Euler,
    EulerAncestral,
    DpmPp2m,
    DpmPp2mKarras,
    Lcm,
    Ddpm,
}

impl SamplerKind {
    /// Every sampler, in the order help texts and error messages list them.
    pub const ALL: [SamplerKind; 8] = [
        SamplerKind::Euler,
        SamplerKind::EulerAncestral,
        SamplerKind::Ddim,
        SamplerKind::Pndm,
        SamplerKind::DpmPp2m,
        SamplerKind::DpmPp2mKarras,
        SamplerKind::Lcm,
        SamplerKind::Ddpm,
    ];

    /// The user-facing name (`--sampler`, styles, PNG metadata).
    pub fn name(&self) -> &'static str {
        match self {
            SamplerKind::Ddim => "ddim",
            SamplerKind::Pndm => "pndm",
            SamplerKind::Euler => "euler",
            SamplerKind::EulerAncestral => "euler-a",
            SamplerKind::DpmPp2m => "dpmpp-2m",
            SamplerKind::DpmPp2mKarras => "dpmpp-2m-karras",
            SamplerKind::Lcm => "lcm",
            SamplerKind::Ddpm => "ddpm",
        }
    }

    /// The name AUTOMATIC1111 shows for this sampler (its infotext `Sampler:` field), so the
    /// image viewers and web UIs people already use read our PNGs.
    pub fn a1111_name(&self) -> &'static str {
        match self {
            SamplerKind::Euler => "Euler",
            SamplerKind::EulerAncestral => "Euler a",
            SamplerKind::Ddim => "DDIM",
            SamplerKind::Pndm => "PLMS",
            SamplerKind::DpmPp2m => "DPM++ 2M",
            SamplerKind::DpmPp2mKarras => "DPM++ 2M Karras",
            SamplerKind::Lcm => "LCM",
            SamplerKind::Ddpm => "DDPM",
        }
    }

    /// The exact name, no aliases: for files (styles) whose contents are checked strictly.
    pub fn from_exact_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// The diffusers class this sampler runs.
    pub fn class_name(&self) -> &'static str {
        match self {
            SamplerKind::Ddim => "DDIMScheduler",
            SamplerKind::Pndm => "PNDMScheduler",
            SamplerKind::Euler => "EulerDiscreteScheduler",
            SamplerKind::EulerAncestral => "EulerAncestralDiscreteScheduler",
            SamplerKind::DpmPp2m | SamplerKind::DpmPp2mKarras => "DPMSolverMultistepScheduler",
            SamplerKind::Lcm => "LCMScheduler",
            SamplerKind::Ddpm => "DDPMScheduler",
        }
    }

    /// Parses a sampler name (case-insensitive; `_` and `-` are interchangeable).
    pub fn from_name(name: &str) -> std::result::Result<Self, SchedulerError> {
        let norm = name.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match norm.as_str() {
            "euler-ancestral" | "euler_a" => "euler-a",
            "dpm++-2m" | "dpmpp2m" => "dpmpp-2m",
            "dpm++-2m-karras" | "dpmpp2m-karras" => "dpmpp-2m-karras",
            other => other,
        };
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.name() == alias)
            .ok_or_else(|| SchedulerError::UnknownSampler(name.to_string()))
    }

    /// The sampler a `scheduler_config.json` asks for (`_class_name`).
    pub fn from_class_name(
        class: &str,
        config: &SchedulerConfig,
    ) -> std::result::Result<Self, SchedulerError> {
        Ok(match class {
            "DDIMScheduler" => SamplerKind::Ddim,
            "PNDMScheduler" => SamplerKind::Pndm,
            "EulerDiscreteScheduler" => SamplerKind::Euler,
            "EulerAncestralDiscreteScheduler" => SamplerKind::EulerAncestral,
            "DPMSolverMultistepScheduler" => {
                if config.use_karras_sigmas == Some(true) {
                    SamplerKind::DpmPp2mKarras
                } else {
                    SamplerKind::DpmPp2m
                }
            }
            "LCMScheduler" => SamplerKind::Lcm,
            "DDPMScheduler" => SamplerKind::Ddpm,
            other => return Err(SchedulerError::UnknownClass(other.to_string())),
        })
    }

    /// Whether the sampler draws fresh noise during the loop (so the seed matters per step).
    pub fn is_stochastic(&self) -> bool {
        matches!(
            self,
            SamplerKind::EulerAncestral | SamplerKind::Lcm | SamplerKind::Ddpm
        )
    }
}

impl std::fmt::Display for SamplerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SamplerKind {
    type Err = SchedulerError;

    /// [`SamplerKind::from_name`]: case-insensitive, with the common aliases.
    fn from_str(s: &str) -> std::result::Result<Self, SchedulerError> {
        Self::from_name(s)
    }
}

// As its name (`euler-a`), so a request's JSON (the PNG's `reportfig` chunk, manifests) holds
// the same strings whether a sampler was typed or read back.
impl serde::Serialize for SamplerKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for SamplerKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        Self::from_name(&name).map_err(serde::de::Error::custom)
    }
}

/// One configured noise schedule for a fixed number of steps, stepped like diffusers'
/// pipelines: for each call `i` in `0..timesteps().len()`, in order, `scale_model_input`, the
/// UNet, then `step`. Multistep samplers (PNDM, DPM++) keep history between calls, so a
/// scheduler serves one image; build a new one per image. `i` out of range panics (a
/// programming error, not a user one).
pub trait Scheduler: Send {
    /// The timestep fed to the UNet at each model call (len = number of UNet calls).
    fn timesteps(&self) -> &[f64];
    /// Multiplies the initial noise: `latents = noise * init_noise_sigma`.
    /// 1 for the schedulers that work on unscaled latents; sigma-based ones override it.
    fn init_noise_sigma(&self) -> f64 {
        1.0
    }
    /// sample: `[batch, 4, h, w]`; returns the UNet input for call `i`, same shape.
    fn scale_model_input(&self, sample: &Tensor, i: usize) -> Result<Tensor> {
        let _ = i;
        Ok(sample.clone())
    }
    /// model_output: the guidance-combined UNet output for call `i`, `[batch, 4, h, w]`;
    /// returns the next latents. Draws noise from `rng` exactly where diffusers draws it.
    fn step(
        &mut self,
        model_output: &Tensor,
        i: usize,
        sample: &Tensor,
        rng: &mut TorchGenerator,
    ) -> Result<Tensor>;
    /// The sigma schedule (len = steps + 1) for samplers that have one.
    fn sigmas(&self) -> Option<&[f64]> {
        None
    }
    /// `original` (clean latents, as an init image encodes) noised to the level of call `i`,
    /// as the class's `add_noise` does once the image-to-image pipelines have called
    /// `set_begin_index(i)`: the sigma-parameterised samplers add `noise * sigma[i]`, the
    /// alpha-parameterised ones mix by `alphas_cumprod[timesteps[i]]`. float32 throughout.
    fn add_noise(&self, original: &Tensor, noise: &Tensor, i: usize) -> Result<Tensor>;
}

/// `add_noise` of the alpha-parameterised classes (DDIM, DDPM, PNDM, LCM):
/// `sqrt(ac[t]) * original + sqrt(1 - ac[t]) * noise`, with float32 `ac[t]` as torch indexes it.
pub(crate) fn add_noise_at_timestep(
    alphas_cumprod: &[f32],
    t: i64,
    original: &Tensor,
    noise: &Tensor,
) -> Result<Tensor> {
    let a = common::ac_at(alphas_cumprod, t).map_err(candle_core::Error::wrap)?;
    common::mul(original, a.sqrt())? + common::mul(noise, (1.0 - a).sqrt())?
}

/// Where image-to-image starts in a schedule, as diffusers' img2img pipelines compute it
/// (`get_timesteps`): of `steps`, the last `floor(steps * strength)` run, so the schedule is
/// entered at call `steps - floor(steps * strength)` (every sampler here has order 1).
/// `None` when that leaves no step at all (diffusers then fails on an empty schedule).
pub fn img2img_start(steps: usize, strength: f64) -> Option<usize> {
    // Python's `int(steps * strength)` on float64: truncation, the same product bits.
    let run = ((steps as f64 * strength) as usize).min(steps);
    (run > 0).then(|| steps - run)
}

/// The starting latents as diffusers makes them: ONE `torch.randn` of the whole shape from the
/// generator (draw #1, even for a batch), times `init_noise_sigma` in float32.
/// shape: `[batch, 4, height / 8, width / 8]`.
pub fn initial_latents(
    scheduler: &dyn Scheduler,
    rng: &mut TorchGenerator,
    shape: &[usize],
    device: &candle_core::Device,
) -> Result<Tensor> {
    let noise = rng.randn_tensor(shape, device)?;
    noise.affine(scheduler.init_noise_sigma() as f32 as f64, 0.0)
}

impl SchedulerConfig {
    /// The sampler the file asks for through `_class_name`.
    pub fn default_sampler(&self) -> std::result::Result<SamplerKind, SchedulerError> {
        match self.class_name.as_deref() {
            Some(class) => SamplerKind::from_class_name(class, self),
            None => Err(SchedulerError::UnknownClass(
                "(missing _class_name)".to_string(),
            )),
        }
    }
}

/// Builds the scheduler `kind` from a model's config for `steps` inference steps. Fields of the
/// config that `kind`'s class does not read are ignored; missing fields take its defaults.
pub fn build(
    kind: SamplerKind,
    config: &SchedulerConfig,
    steps: usize,
) -> std::result::Result<Box<dyn Scheduler>, SchedulerError> {
    if steps == 0 {
        return Err(SchedulerError::Steps {
            steps,
            reason: "use at least 1 step".into(),
        });
    }
    Ok(match kind {
        SamplerKind::Ddim => Box::new(ddim::Ddim::new(config, steps)?),
        SamplerKind::Pndm => Box::new(pndm::Pndm::new(config, steps)?),
        SamplerKind::Euler => Box::new(euler::Euler::new(config, steps)?),
        SamplerKind::EulerAncestral => {
            Box::new(euler_ancestral::EulerAncestral::new(config, steps)?)
        }
        SamplerKind::DpmPp2m => Box::new(dpmpp::DpmSolverMultistep::new(config, steps, false)?),
        SamplerKind::DpmPp2mKarras => {
            Box::new(dpmpp::DpmSolverMultistep::new(config, steps, true)?)
        }
        SamplerKind::Lcm => Box::new(lcm::Lcm::new(config, steps)?),
        SamplerKind::Ddpm => Box::new(ddpm::Ddpm::new(config, steps)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in SamplerKind::ALL {
            assert_eq!(SamplerKind::from_name(k.name()).unwrap(), k);
        }
        assert_eq!(
            SamplerKind::from_name("Euler_A").unwrap(),
            SamplerKind::EulerAncestral
        );
        let err = SamplerKind::from_name("heun").unwrap_err().to_string();
        assert!(
            err.contains("heun") && err.contains("dpmpp-2m-karras"),
            "{err}"
        );
    }

    #[test]
    fn serde_uses_the_names_and_accepts_the_aliases() {
        let names: Vec<String> = SamplerKind::ALL
            .iter()
            .map(|k| serde_json::to_string(k).unwrap())
            .collect();
        assert_eq!(
            names.join(","),
            r#""euler","euler-a","ddim","pndm","dpmpp-2m","dpmpp-2m-karras","lcm","ddpm""#
        );
        for k in SamplerKind::ALL {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(serde_json::from_str::<SamplerKind>(&json).unwrap(), k);
            assert_eq!(k.to_string().parse::<SamplerKind>().unwrap(), k);
            assert_eq!(SamplerKind::from_exact_name(k.name()), Some(k));
        }
        assert_eq!(
            serde_json::from_str::<SamplerKind>(r#""DPM++_2M""#).unwrap(),
            SamplerKind::DpmPp2m
        );
        assert_eq!(SamplerKind::from_exact_name("euler-ancestral"), None);
        let err = serde_json::from_str::<SamplerKind>(r#""heun""#).unwrap_err();
        assert!(err.to_string().contains("unknown sampler"), "{err}");
    }

    /// `get_timesteps` in diffusers 0.42's img2img pipelines, including float64 products
    /// just above or below an integer (0.7 * 10 = 7.000000000000001, 0.3 * 3 = 0.8999…).
    #[test]
    fn img2img_start_truncates_like_python() {
        for (steps, strength, want) in [
            (4, 0.6, Some(2)),
            (4, 1.0, Some(0)),
            (10, 0.7, Some(3)),
            (10, 0.3, Some(7)),
            (3, 0.3, None),
            (2, 0.5, Some(1)),
            (2, 0.49, None),
            (20, 0.05, Some(19)),
        ] {
            assert_eq!(img2img_start(steps, strength), want, "{steps} x {strength}");
        }
    }

    #[test]
    fn a1111_names() {
        let names: Vec<&str> = SamplerKind::ALL.iter().map(|k| k.a1111_name()).collect();
        assert_eq!(
            names,
            [
                "Euler",
                "Euler a",
                "DDIM",
                "PLMS",
                "DPM++ 2M",
                "DPM++ 2M Karras",
                "LCM",
                "DDPM"
            ]
        );
    }

    #[test]
    fn unsupported_value_names_field_and_value() {
        let cfg = SchedulerConfig::from_json(r#"{"beta_schedule": "sigmoid"}"#).unwrap();
        let err = build(SamplerKind::Ddim, &cfg, 4).err().unwrap().to_string();
        assert!(
            err.contains("beta_schedule") && err.contains("sigmoid"),
            "{err}"
        );
    }

    fn fixture(family: &str) -> SchedulerConfig {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testkit/src/tiny")
            .join(family)
            .join("scheduler/scheduler_config.json");
        SchedulerConfig::load(&path).unwrap()
    }

    #[test]
    fn class_name_picks_the_sampler() {
        for (family, kind) in [
            ("sd15", SamplerKind::Pndm),
            ("sd21", SamplerKind::Ddim),
            ("sdxl", SamplerKind::Euler),
            ("turbo", SamplerKind::Euler),
        ] {
            let cfg = fixture(family);
            let class = cfg.class_name.clone().unwrap();
            assert_eq!(SamplerKind::from_class_name(&class, &cfg).unwrap(), kind);
        }
        let karras = SchedulerConfig::from_json(r#"{"use_karras_sigmas": true}"#).unwrap();
        assert_eq!(
            SamplerKind::from_class_name("DPMSolverMultistepScheduler", &karras).unwrap(),
            SamplerKind::DpmPp2mKarras
        );
        let err = SamplerKind::from_class_name("HeunDiscreteScheduler", &karras)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("HeunDiscreteScheduler") && err.contains("euler-a"),
            "{err}"
        );
    }

    /// `EulerDiscreteScheduler.from_config(pndm.config)`: the PNDM file has no
    /// timestep_spacing, so Euler's own default ("linspace") applies, not PNDM's "leading".
    #[test]
    fn switching_class_takes_new_class_defaults() {
        let euler = build(SamplerKind::Euler, &fixture("sd15"), 4).unwrap();
        assert_eq!(euler.timesteps(), &[999.0, 666.0, 333.0, 0.0]);
        let pndm = build(SamplerKind::Pndm, &fixture("sd15"), 4).unwrap();
        assert_eq!(pndm.timesteps(), &[751.0, 501.0, 501.0, 251.0, 1.0]);
    }

    /// Values observed in diffusers' SDXL pipeline (TORCH_RNG.md section 6).
    #[test]
    fn euler_leading_init_noise_sigma_depends_on_steps() {
        let cfg = fixture("sdxl");
        for (steps, want) in [(1, 1.0009), (2, 1.9069), (4, 4.2364), (20, 11.0736)] {
            let s = build(SamplerKind::Euler, &cfg, steps).unwrap();
            assert!(
                (s.init_noise_sigma() - want).abs() < 1e-4,
                "{steps}: {}",
                s.init_noise_sigma()
            );
        }
        let turbo = build(SamplerKind::Euler, &fixture("turbo"), 1).unwrap();
        assert!((turbo.init_noise_sigma() - 14.6146).abs() < 1e-4);
    }

    #[test]
    fn step_count_errors_are_plain() {
        let cfg = fixture("sd15");
        let err = build(SamplerKind::Lcm, &cfg, 60).err().unwrap().to_string();
        assert!(err.contains("60 steps") && err.contains("50"), "{err}");
        assert!(build(SamplerKind::Ddim, &cfg, 0).is_err());
    }

    /// Bits from torch 2.15: `torch.linspace(a, b, 1000, dtype=float32)[[1, 333, 499, 500,
    /// 777, 998]]` and `torch.cumprod(1 - linspace(1e-4, 0.02, 1000), 0)[[0, 500, 999]]`.
    #[test]
    fn torch_linspace_and_cumprod_are_bit_exact() {
        let idx = [1, 333, 499, 500, 777, 998];
        let bits = |v: &[f32]| idx.iter().map(|&i| v[i].to_bits()).collect::<Vec<_>>();
        let scaled = common::torch_linspace_f32(0.00085f64.sqrt(), 0.012f64.sqrt(), 1000);
        assert_eq!(
            bits(&scaled),
            [0x3cef7eb8, 0x3d652d3c, 0x3d8df216, 0x3d8e1c46, 0x3dbbc2c9, 0x3de02eae]
        );
        let linear = common::torch_linspace_f32(0.0001, 0.02, 1000);
        assert_eq!(
            bits(&linear),
            [0x38fb7d84, 0x3bdca34c, 0x3c247efb, 0x3c24d287, 0x3c7f39ef, 0x3ca3ad44]
        );
        let alphas: Vec<f32> = linear.iter().map(|b| 1.0 - b).collect();
        let ac = common::torch_cumprod(&alphas);
        assert_eq!(
            [ac[0].to_bits(), ac[500].to_bits(), ac[999].to_bits()],
            [0x3f7ff972, 0x3d9f53da, 0x38294666]
        );
    }
}
