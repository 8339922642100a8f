#!/usr/bin/env python3
"""Golden files for reportfig's schedulers, produced by diffusers itself.

For every sampler x tiny-family scheduler_config.json x step count, this records what
diffusers computes: timesteps, sigmas, init_noise_sigma, and the final latents of a synthetic
denoising loop that stands in for the UNet with a fixed function of its input and timestep:

    latents = torch.randn((1, 4, 4, 6), generator=torch.Generator("cpu").manual_seed(42))
              * init_noise_sigma
    for each timestep t:
        x = scheduler.scale_model_input(latents, t)
        model_output = 0.3 * x + 0.05 * sin(t / 97)        # float32 tensor ops
        latents = scheduler.step(model_output, t, latents, generator=<same generator>)

The same generator feeds the ancestral noise, so stochastic samplers are checked draw for
draw. Combinations diffusers rejects are recorded with its error message.

Usage:  /work/venv/bin/python tools/reference/scheduler_goldens.py
Writes: crates/engine/tests/golden/schedulers/<family>.json
"""

import inspect
import json
import math
from pathlib import Path

import diffusers
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
FAMILIES = ["sd15", "sd21", "sdxl", "turbo"]
STEPS = [1, 4, 20]
SEED = 42
SHAPE = (1, 4, 4, 6)

# sampler name -> (diffusers class, from_config overrides); mirrors SamplerKind in Rust.
SAMPLERS = {
    "ddim": ("DDIMScheduler", {}),
    "pndm": ("PNDMScheduler", {}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler-a": ("EulerAncestralDiscreteScheduler", {}),
    "dpmpp-2m": (
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": False},
    ),
    "dpmpp-2m-karras": (
        "DPMSolverMultistepScheduler",
        {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": True},
    ),
    "lcm": ("LCMScheduler", {}),
    "ddpm": ("DDPMScheduler", {}),
}


def num(v):
    """JSON has no NaN: diffusers' NaNs (yes, some schedules produce them) become null."""
    return None if math.isnan(v) else v


def f32(values):
    """float32 values as the shortest decimal that round-trips; NaN as null."""
    return [num(float(np.format_float_positional(np.float32(v), unique=True, trim="-")))
            for v in np.asarray(values, dtype=np.float32).ravel()]


def model_fn(x, t):
    c = 0.05 * math.sin(float(t) / 97.0)
    return 0.3 * x + c


def run(sched, steps):
    sched.set_timesteps(steps)
    gen = torch.Generator("cpu").manual_seed(SEED)
    init = sched.init_noise_sigma
    latents = torch.randn(SHAPE, generator=gen, dtype=torch.float32) * init
    # Pass only what step() accepts, as the pipelines' prepare_extra_step_kwargs does.
    params = set(inspect.signature(sched.step).parameters)
    kwargs = {}
    if "generator" in params:
        kwargs["generator"] = gen
    if "eta" in params:
        kwargs["eta"] = 0.0
    norms = []
    for t in sched.timesteps:
        x = sched.scale_model_input(latents, t)
        mo = model_fn(x, t)
        latents = sched.step(mo, t, latents, **kwargs, return_dict=False)[0]
        norms.append(num(float(torch.linalg.vector_norm(latents.double()))))
    sigmas = getattr(sched, "sigmas", None)
    return {
        "timesteps": f32(sched.timesteps.double().numpy()),
        "sigmas": f32(sigmas) if isinstance(sigmas, torch.Tensor) and sigmas.numel() == len(sched.timesteps) + 1 else None,
        "init_noise_sigma": float(init),
        "norms": norms,
        "final_latents": f32(latents),
    }


# Synthetic configs that exercise the options the tiny families leave at their defaults.
# PNDM runs with skip_prk_steps (as every Stable Diffusion config ships it) in all but the
# "pndm-prk" variant, which checks the Runge-Kutta warm-up of the class default.
VARIANTS = {
    "variant-pndm-prk": {
        "_class_name": "PNDMScheduler", "beta_schedule": "linear", "steps_offset": 1,
        "set_alpha_to_one": True,
    },
    "variant-euler-exponential-trailing": {
        "skip_prk_steps": True,
        "_class_name": "EulerDiscreteScheduler", "beta_schedule": "scaled_linear",
        "beta_start": 0.00085, "beta_end": 0.012, "use_exponential_sigmas": True,
        "timestep_spacing": "trailing",
    },
    "variant-zero-snr-trailing-v": {
        "skip_prk_steps": True,
        "_class_name": "DDIMScheduler", "beta_schedule": "scaled_linear", "beta_start": 0.00085,
        "beta_end": 0.012, "prediction_type": "v_prediction", "rescale_betas_zero_snr": True,
        "timestep_spacing": "trailing", "clip_sample": False, "set_alpha_to_one": False,
    },
    "variant-cosine-linspace-clip": {
        "skip_prk_steps": True,
        "_class_name": "DDPMScheduler", "beta_schedule": "squaredcos_cap_v2",
        "timestep_spacing": "linspace", "clip_sample": True, "clip_sample_range": 1.5,
        "variance_type": "fixed_large",
    },
    "variant-trained-betas": {
        "skip_prk_steps": True,
        "_class_name": "DDIMScheduler", "num_train_timesteps": 100,
        "trained_betas": [round(0.001 + 0.0015 * i, 6) for i in range(100)],
        "set_alpha_to_one": True, "steps_offset": 1, "clip_sample": False,
    },
    "variant-euler-karras-sigma-min": {
        "skip_prk_steps": True,
        "_class_name": "EulerDiscreteScheduler", "beta_schedule": "scaled_linear",
        "beta_start": 0.00085, "beta_end": 0.012, "use_karras_sigmas": True,
        "final_sigmas_type": "sigma_min", "timestep_spacing": "leading", "steps_offset": 1,
    },
    "variant-euler-log-linear-continuous-v": {
        "skip_prk_steps": True,
        "_class_name": "EulerDiscreteScheduler", "beta_schedule": "linear",
        "interpolation_type": "log_linear", "timestep_type": "continuous",
        "prediction_type": "v_prediction",
    },
    "variant-dpm-heun-sigma-min": {
        "skip_prk_steps": True,
        "_class_name": "DPMSolverMultistepScheduler", "beta_schedule": "scaled_linear",
        "beta_start": 0.00085, "beta_end": 0.012, "solver_type": "heun",
        "final_sigmas_type": "sigma_min", "lower_order_final": False, "euler_at_final": True,
        "timestep_spacing": "leading", "steps_offset": 1,
    },
    "variant-lcm-sample": {
        "skip_prk_steps": True,
        "_class_name": "LCMScheduler", "original_inference_steps": 30, "timestep_scaling": 7.5,
        "prediction_type": "sample", "clip_sample": True,
    },
}
VARIANT_STEPS = [1, 4, 7, 25]


def write(out_dir, label, cfg, steps_list):
    """Runs every sampler on one config and writes <label>.json."""
    # What from_pretrained gives the pipeline: the file's class, file values + its defaults
    # (recorded in _use_default_values, which from_config drops again).
    base = getattr(diffusers, cfg["_class_name"]).from_config(cfg)
    cases = []
    for name, (cls_name, overrides) in SAMPLERS.items():
        cls = getattr(diffusers, cls_name)
        for steps in steps_list:
            case = {"sampler": name, "steps": steps}
            try:
                sched = cls.from_config(base.config, **overrides)
                case.update(run(sched, steps))
            except Exception as e:  # diffusers rejects the combination
                case["rejected"] = f"{type(e).__name__}: {e}"
            cases.append(case)
    doc = {
        "generator": "tools/reference/scheduler_goldens.py",
        "diffusers": diffusers.__version__,
        "torch": torch.__version__,
        "family": label,
        "config": cfg,
        "seed": SEED,
        "shape": list(SHAPE),
        "model_fn": "model_output = 0.3 * x + 0.05 * sin(t / 97), float32 tensor ops, t the timestep",
        "cases": cases,
    }
    path = out_dir / f"{label}.json"
    path.write_text(json.dumps(doc, separators=(",", ":"), allow_nan=False) + "\n")
    n_rej = sum(1 for c in cases if "rejected" in c)
    print(f"wrote {path.relative_to(ROOT)}: {len(cases)} cases, {n_rej} rejected by diffusers")


def main():
    diffusers.utils.logging.set_verbosity_error()
    out_dir = ROOT / "crates" / "engine" / "tests" / "golden" / "schedulers"
    out_dir.mkdir(parents=True, exist_ok=True)
    for family in FAMILIES:
        cfg_path = ROOT / "src" / "fixtures" / "tiny" / family / "scheduler" / "scheduler_config.json"
        write(out_dir, family, json.loads(cfg_path.read_text()), STEPS)
    for label, cfg in VARIANTS.items():
        write(out_dir, label, cfg, VARIANT_STEPS)


if __name__ == "__main__":
    main()
