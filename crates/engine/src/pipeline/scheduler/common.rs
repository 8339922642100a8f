//! Schedule arithmetic shared by the schedulers, reproducing the exact mix of numpy float64
//! and torch float32 that diffusers uses (so timesteps match exactly and sigmas to the ulp).

use candle_core::Tensor;

type Result<T> = candle_core::Result<T>;

use super::{SchedulerConfig, SchedulerError};

/// The fields every scheduler derives its noise schedule from, with that class's defaults
/// filled in.
pub(crate) struct BetaSpec<'a> {
    pub num_train_timesteps: usize,
    pub beta_start: f64,
    pub beta_end: f64,
    pub beta_schedule: &'a str,
    pub trained_betas: Option<&'a [f64]>,
    pub rescale_betas_zero_snr: bool,
}

impl<'a> BetaSpec<'a> {
    /// Resolves the beta fields with the given class defaults (LCM's differ from the rest).
    pub fn resolve(
        cfg: &'a SchedulerConfig,
        default_start: f64,
        default_end: f64,
        default_schedule: &'a str,
    ) -> Self {
        Self {
            num_train_timesteps: cfg.num_train_timesteps.unwrap_or(1000),
            beta_start: cfg.beta_start.unwrap_or(default_start),
            beta_end: cfg.beta_end.unwrap_or(default_end),
            beta_schedule: cfg.beta_schedule.as_deref().unwrap_or(default_schedule),
            trained_betas: cfg.trained_betas.as_deref(),
            rescale_betas_zero_snr: cfg.rescale_betas_zero_snr.unwrap_or(false),
        }
    }

    /// `alphas_cumprod` as diffusers computes it (float32 tensor). `zero_snr_clamp`: Euler,
    /// Euler-ancestral and DPM-Solver set the last value to 2^-24 after rescaling, DDIM, DDPM
    /// and LCM do not.
    pub fn alphas_cumprod(
        &self,
        zero_snr_clamp: bool,
    ) -> std::result::Result<Vec<f32>, SchedulerError> {
        let n = self.num_train_timesteps;
        if n < 2 {
            return Err(SchedulerError::unsupported(
                "num_train_timesteps",
                n.to_string(),
                "use the model's value, usually 1000",
            ));
        }
        let mut betas: Vec<f32> = if let Some(tb) = self.trained_betas {
            if tb.len() != n {
                return Err(SchedulerError::unsupported(
                    "trained_betas",
                    format!("a list of {} values", tb.len()),
                    &format!("give exactly num_train_timesteps = {n} values"),
                ));
            }
            tb.iter().map(|&b| b as f32).collect()
        } else {
            match self.beta_schedule {
                "linear" => torch_linspace_f32(self.beta_start, self.beta_end, n),
                "scaled_linear" => {
                    torch_linspace_f32(self.beta_start.sqrt(), self.beta_end.sqrt(), n)
                        .into_iter()
                        .map(|b| b * b)
                        .collect()
                }
                "squaredcos_cap_v2" => betas_for_alpha_bar(n),
                other => {
                    return Err(SchedulerError::unsupported(
                        "beta_schedule",
                        other.to_string(),
                        "use linear, scaled_linear or squaredcos_cap_v2",
                    ))
                }
            }
        };
        if self.rescale_betas_zero_snr {
            betas = rescale_zero_terminal_snr(&betas);
        }
        let alphas: Vec<f32> = betas.iter().map(|b| 1.0 - b).collect();
        let mut ac = torch_cumprod(&alphas);
        if self.rescale_betas_zero_snr && zero_snr_clamp {
            if let Some(last) = ac.last_mut() {
                *last = 2f32.powi(-24);
            }
        }
        Ok(ac)
    }
}

/// `torch.linspace(start, end, n, dtype=float32)` on the CPU, bit for bit: an f32 step and a
/// fused multiply-add from whichever end is nearer.
pub(crate) fn torch_linspace_f32(start: f64, end: f64, n: usize) -> Vec<f32> {
    let (s, e) = (start as f32, end as f32);
    if n == 1 {
        return vec![s];
    }
    let step = (e - s) / (n - 1) as f32;
    let half = n / 2;
    (0..n)
        .map(|i| {
            if i < half {
                (i as f32).mul_add(step, s)
            } else {
                (-((n - 1 - i) as f32)).mul_add(step, e)
            }
        })
        .collect()
}

/// `torch.cumprod` on a float32 CPU tensor: torch accumulates in double and rounds each output.
pub(crate) fn torch_cumprod(x: &[f32]) -> Vec<f32> {
    let mut acc = 1.0f64;
    x.iter()
        .map(|&v| {
            acc *= v as f64;
            acc as f32
        })
        .collect()
}

/// diffusers' `betas_for_alpha_bar` with the cosine transform (`squaredcos_cap_v2`).
fn betas_for_alpha_bar(n: usize) -> Vec<f32> {
    let alpha_bar = |t: f64| {
        ((t + 0.008) / 1.008 * std::f64::consts::PI / 2.0)
            .cos()
            .powi(2)
    };
    (0..n)
        .map(|i| {
            let t1 = i as f64 / n as f64;
            let t2 = (i + 1) as f64 / n as f64;
            (1.0 - alpha_bar(t2) / alpha_bar(t1)).min(0.999) as f32
        })
        .collect()
}

/// diffusers' `rescale_zero_terminal_snr`, in float32 as torch does it.
fn rescale_zero_terminal_snr(betas: &[f32]) -> Vec<f32> {
    let alphas: Vec<f32> = betas.iter().map(|b| 1.0 - b).collect();
    let ac = torch_cumprod(&alphas);
    let sqrt: Vec<f32> = ac.iter().map(|a| a.sqrt()).collect();
    let a0 = sqrt[0];
    let at = sqrt[sqrt.len() - 1];
    let scale = a0 / (a0 - at);
    let bar: Vec<f32> = sqrt
        .iter()
        .map(|s| {
            let v = (s - at) * scale;
            v * v
        })
        .collect();
    let mut out = Vec::with_capacity(bar.len());
    out.push(1.0 - bar[0]);
    for i in 1..bar.len() {
        out.push(1.0 - bar[i] / bar[i - 1]);
    }
    out
}

/// `((1 - alphas_cumprod) / alphas_cumprod) ** 0.5` as a float32 tensor op.
pub(crate) fn train_sigmas(ac: &[f32]) -> Vec<f32> {
    ac.iter().map(|a| ((1.0 - a) / a).sqrt()).collect()
}

/// `np.linspace(start, stop, num)` in float64 (endpoint included).
pub(crate) fn np_linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 0 {
        return vec![];
    }
    if num == 1 {
        return vec![start];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    v[num - 1] = stop;
    v
}

/// `np.arange(start, stop, step)` for a float step, as numpy fills it: the second value fixes
/// the increment, later values are `start + i * delta`.
pub(crate) fn np_arange_f64(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let len = ((stop - start) / step).ceil();
    if len.is_nan() || len <= 0.0 {
        return vec![];
    }
    let len = len as usize;
    let delta = (start + step) - start;
    (0..len)
        .map(|i| {
            if i == 0 {
                start
            } else {
                start + i as f64 * delta
            }
        })
        .collect()
}

/// numpy's `round` (half to even).
pub(crate) fn np_round(x: f64) -> f64 {
    x.round_ties_even()
}

/// `np.interp(x, arange(len(fp)), fp)` with fp given as float32, computed in float64.
pub(crate) fn np_interp_index(x: f64, fp: &[f32]) -> f64 {
    let last = fp.len() - 1;
    if x.is_nan() {
        return x;
    }
    if x <= 0.0 {
        return fp[0] as f64;
    }
    if x >= last as f64 {
        return fp[last] as f64;
    }
    let j = x.floor() as usize;
    let (y0, y1) = (fp[j] as f64, fp[j + 1] as f64);
    // numpy: slope = (y1 - y0) / (x1 - x0) with unit spacing here.
    (y1 - y0) * (x - j as f64) + y0
}

/// diffusers' `_sigma_to_t`: the fractional training timestep of `sigma`, interpolating
/// in log-sigma. `log_sigmas` is a float32 array, as numpy produces it.
pub(crate) fn sigma_to_t(sigma: f64, log_sigmas: &[f32]) -> f64 {
    let log_sigma = sigma.max(1e-10).ln();
    let count = log_sigmas
        .iter()
        .filter(|&&l| log_sigma - l as f64 >= 0.0)
        .count();
    // argmax of the cumulative sum is the first index where it reaches its maximum.
    let mut low_idx = 0usize;
    let mut cum = 0usize;
    for (i, &l) in log_sigmas.iter().enumerate() {
        if log_sigma - l as f64 >= 0.0 {
            cum += 1;
        }
        if cum == count {
            low_idx = i;
            break;
        }
    }
    let low_idx = low_idx.min(log_sigmas.len() - 2);
    let high_idx = low_idx + 1;
    let low = log_sigmas[low_idx];
    let high = log_sigmas[high_idx];
    let w = ((low as f64 - log_sigma) / (low - high) as f64).clamp(0.0, 1.0);
    (1.0 - w) * low_idx as f64 + w * high_idx as f64
}

/// numpy's float32 `np.log`.
pub(crate) fn log_sigmas_f32(sigmas: &[f32]) -> Vec<f32> {
    sigmas.iter().map(|s| (*s as f64).ln() as f32).collect()
}

/// diffusers' `_convert_to_karras` (rho = 7), in float64.
pub(crate) fn karras_sigmas(sigma_min: f64, sigma_max: f64, n: usize) -> Vec<f64> {
    let rho = 7.0;
    let min_inv = sigma_min.powf(1.0 / rho);
    let max_inv = sigma_max.powf(1.0 / rho);
    np_linspace(0.0, 1.0, n)
        .into_iter()
        .map(|r| (max_inv + r * (min_inv - max_inv)).powf(rho))
        .collect()
}

/// diffusers' `_convert_to_exponential`: sigmas evenly spaced in log, float64.
pub(crate) fn exponential_sigmas(sigma_min: f64, sigma_max: f64, n: usize) -> Vec<f64> {
    np_linspace(sigma_max.ln(), sigma_min.ln(), n)
        .into_iter()
        .map(f64::exp)
        .collect()
}

/// Which of the mutually exclusive sigma re-spacings a config asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigmaSpacing {
    Plain,
    Karras,
    Exponential,
}

impl SigmaSpacing {
    /// `karras` is the effective use_karras_sigmas (a sampler name may force it).
    pub fn resolve(
        cfg: &SchedulerConfig,
        karras: bool,
    ) -> std::result::Result<Self, SchedulerError> {
        reject_true(
            cfg.use_beta_sigmas,
            "use_beta_sigmas",
            "beta sigmas are not implemented; use use_karras_sigmas or use_exponential_sigmas",
        )?;
        let exponential = cfg.use_exponential_sigmas.unwrap_or(false);
        match (karras, exponential) {
            (true, true) => Err(SchedulerError::unsupported(
                "use_exponential_sigmas",
                "true".into(),
                "only one of use_karras_sigmas and use_exponential_sigmas can be true \
                 (diffusers refuses this too)",
            )),
            (true, false) => Ok(SigmaSpacing::Karras),
            (false, true) => Ok(SigmaSpacing::Exponential),
            (false, false) => Ok(SigmaSpacing::Plain),
        }
    }

    /// Re-spaces sigmas between `sigma_min` and `sigma_max` (config values win, as in
    /// diffusers); `None` for plain spacing.
    pub fn respace(
        self,
        cfg: &SchedulerConfig,
        smin: f64,
        smax: f64,
        n: usize,
    ) -> Option<Vec<f64>> {
        let smin = cfg.sigma_min.unwrap_or(smin);
        let smax = cfg.sigma_max.unwrap_or(smax);
        match self {
            SigmaSpacing::Plain => None,
            SigmaSpacing::Karras => Some(karras_sigmas(smin, smax, n)),
            SigmaSpacing::Exponential => Some(exponential_sigmas(smin, smax, n)),
        }
    }
}

/// Timesteps in the "leading" / "trailing" / "linspace" layouts diffusers shares across DDIM,
/// DDPM, PNDM, Euler: descending, as float64 before any integer cast.
pub(crate) fn spaced_timesteps(
    spacing: &str,
    num_train: usize,
    steps: usize,
    steps_offset: i64,
) -> std::result::Result<Vec<f64>, SchedulerError> {
    let mut t = match spacing {
        "linspace" => {
            let mut v = np_linspace(0.0, (num_train - 1) as f64, steps);
            v.reverse();
            v
        }
        "leading" => {
            let ratio = (num_train / steps) as f64;
            (0..steps)
                .rev()
                .map(|i| np_round(i as f64 * ratio) + steps_offset as f64)
                .collect()
        }
        "trailing" => {
            let ratio = num_train as f64 / steps as f64;
            np_arange_f64(num_train as f64, 0.0, -ratio)
                .into_iter()
                .map(|x| np_round(x) - 1.0)
                .collect()
        }
        other => return Err(spacing_error(other)),
    };
    t.shrink_to_fit();
    Ok(t)
}

pub(crate) fn spacing_error(value: &str) -> SchedulerError {
    SchedulerError::unsupported(
        "timestep_spacing",
        value.to_string(),
        "use leading, trailing or linspace",
    )
}

/// `alphas_cumprod[t]` for a timestep that must lie in the training range.
pub(crate) fn ac_at(ac: &[f32], t: i64) -> std::result::Result<f32, SchedulerError> {
    usize::try_from(t)
        .ok()
        .and_then(|i| ac.get(i).copied())
        .ok_or_else(|| {
            SchedulerError::Schedule(format!(
                "timestep {t} is outside the training range 0..{}",
                ac.len()
            ))
        })
}

/// `(alphas_cumprod[t], alphas_cumprod[prev_t])` for one step of the alpha-parameterised
/// schedulers; a `prev_t` below zero (past the end of the schedule) takes `final_alpha`.
pub(crate) fn alphas_at(ac: &[f32], t: i64, prev_t: i64, final_alpha: f32) -> Result<(f32, f32)> {
    let a = ac_at(ac, t).map_err(candle_core::Error::wrap)?;
    let a_prev = if prev_t >= 0 {
        ac_at(ac, prev_t).map_err(candle_core::Error::wrap)?
    } else {
        final_alpha
    };
    Ok((a, a_prev))
}

/// `final_alpha_cumprod`: 1 when `set_alpha_to_one` (class default `default_to_one`), else
/// `alphas_cumprod[0]`.
pub(crate) fn final_alpha_cumprod(cfg: &SchedulerConfig, ac: &[f32], default_to_one: bool) -> f32 {
    if cfg.set_alpha_to_one.unwrap_or(default_to_one) {
        1.0
    } else {
        ac[0]
    }
}

/// Multiplies every element by an f32 scalar (torch: tensor * 0-d float32 tensor).
pub(crate) fn mul(x: &Tensor, s: f32) -> Result<Tensor> {
    x.affine(s as f64, 0.0)
}

/// Divides every element by an f32 scalar with a true division, as torch does (multiplying by
/// the reciprocal would differ in the last bit).
pub(crate) fn div(x: &Tensor, s: f32) -> Result<Tensor> {
    let d = Tensor::new(s, x.device())?.to_dtype(x.dtype())?;
    x.broadcast_div(&d)
}

/// Checks the prediction type against the ones a scheduler supports.
pub(crate) fn prediction_type<'a>(
    cfg: &'a SchedulerConfig,
    allowed: &[&str],
) -> std::result::Result<&'a str, SchedulerError> {
    let p = cfg.prediction_type.as_deref().unwrap_or("epsilon");
    if allowed.contains(&p) {
        Ok(p)
    } else {
        Err(SchedulerError::unsupported(
            "prediction_type",
            p.to_string(),
            &format!("this sampler supports {}", allowed.join(", ")),
        ))
    }
}

/// Rejects a `true` for an option we do not implement.
pub(crate) fn reject_true(
    value: Option<bool>,
    field: &'static str,
    hint: &str,
) -> std::result::Result<(), SchedulerError> {
    if value == Some(true) {
        Err(SchedulerError::unsupported(field, "true".into(), hint))
    } else {
        Ok(())
    }
}

/// diffusers finds the first step with `index_for_timestep`, which takes the SECOND match when
/// the first timestep occurs twice and then runs off the end of the schedule. Refuse such a
/// schedule up front instead of failing mid-run.
pub(crate) fn check_first_timestep_unique(
    timesteps: &[f64],
    steps: usize,
) -> std::result::Result<(), SchedulerError> {
    match timesteps.first() {
        Some(&t0) if timesteps.iter().filter(|&&t| t == t0).count() > 1 => {
            Err(SchedulerError::Steps {
                steps,
                reason: format!(
                    "the schedule repeats its first timestep {t0}, which diffusers cannot run; \
                     use fewer steps or a sampler without Karras sigmas"
                ),
            })
        }
        _ => Ok(()),
    }
}
