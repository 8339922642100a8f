#!/usr/bin/env python3
"""Golden files for the whole pipeline: diffusers' own StableDiffusion(XL)Pipeline, seed for seed.

Run from the repository root with the reference virtualenv:

    /work/venv/bin/python tools/reference/pipeline_goldens.py [FIXTURE_DIR]

Without FIXTURE_DIR it first runs `cargo run --example tiny_models -- <tmp>`, which writes the
four tiny models (sd15, sd21, turbo, sdxl) and the two tiny LCM-distilled models (sd15-lcm,
sdxl-lcm: UNets with `time_cond_proj_dim`, LCMScheduler) in the diffusers layout. Each is
loaded with `StableDiffusionPipeline` / `StableDiffusionXLPipeline.from_pretrained`, sd15-lcm
with `LatentConsistencyModelPipeline` (no safety checker, no watermark; every network is also loaded on its own with `output_loading_info=True` to prove
that no weight is missing or unexpected). Every case in CASES then runs with
`generator=torch.Generator("cpu").manual_seed(seed)`, the scheduler chosen by sampler name the
way reportfig's `SamplerKind` maps names, and a `callback_on_step_end` that records what the
UNet was conditioned on and the latents after the first and the last step.

Writes `crates/engine/tests/golden/pipeline/<family>.safetensors` with, per case `<name>`:
  <name>.prompt_embeds   [B, 77, D]  what the UNet is conditioned on (uncond first with CFG)
  <name>.pooled          [B, P]      SDXL only: add_text_embeds, same order
  <name>.first_latents   [1, 4, h, w] latents after the first scheduler step
  <name>.latents         [1, 4, h, w] final latents (what the VAE decodes)
  <name>.image           [H, W, 3] uint8, the PIL image diffusers returns
  <name>.w_embedding     [1, time_cond_proj_dim]  LCM models only: the guidance-scale
                         embedding the UNet was conditioned on (`timestep_cond`)
and `crates/engine/tests/golden/pipeline/cases.json`: the cases' inputs, the library versions and the
SHA-256 of every tiny weight file, so `crates/engine/tests/parity/pipeline_parity.rs` reports a fixture change as
such.
"""

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import diffusers
import numpy as np
import torch
import transformers
from diffusers import (
    AutoencoderKL,
    LatentConsistencyModelPipeline,
    StableDiffusionPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from safetensors.torch import save_file
from transformers import CLIPTextModel, CLIPTextModelWithProjection

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "engine" / "tests" / "golden" / "pipeline"

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

EN = "Smart traffic signals at a busy city intersection"
KO = "스마트 교통 신호가 있는 도시 교차로"
LONG = (
    "A detailed isometric illustration of a modern city district for the annual report of the "
    "city government, showing a busy intersection with smart traffic signals, pedestrians on "
    "wide sidewalks, cyclists in protected lanes, electric buses at a covered stop, trees along "
    "the avenue, solar panels on the roofs of the public library and the town hall, and a small "
    "park with benches where families relax in the afternoon sun"
)


def case(name, family, prompt=EN, negative=None, width=64, height=64, steps=4, guidance=7.5,
         seed=42, sampler=None):
    return dict(name=name, family=family, prompt=prompt, negative_prompt=negative, width=width,
                height=height, steps=steps, guidance=guidance, seed=seed, sampler=sampler)


CASES = [
    # Every family with its own scheduler.
    case("sd15-default", "sd15", negative="blurry, text"),
    case("sd21-default", "sd21", negative="blurry, text", seed=7),
    case("sdxl-default", "sdxl"),  # no negative: zero negative conditioning
    case("turbo-default", "turbo", steps=1, guidance=0.0),
    # Every sampler on sd15 (with CFG and a negative prompt).
    *[case(f"sd15-{s}", "sd15", negative="blurry", sampler=s, seed=1234)
      for s in SAMPLERS],
    # Stochastic and multistep samplers on the other families too.
    case("turbo-euler-a", "turbo", sampler="euler-a", steps=4, guidance=0.0, seed=3),
    case("sd21-dpmpp-2m-karras", "sd21", sampler="dpmpp-2m-karras", guidance=1.0),
    case("sdxl-euler-a", "sdxl", sampler="euler-a", negative="", seed=99),
    # Prompts: empty, Korean, longer than 77 tokens.
    case("sd21-empty", "sd21", prompt="", negative="blurry", steps=4),
    case("sd15-korean", "sd15", prompt=KO, guidance=1.0),
    case("sdxl-korean", "sdxl", prompt=KO, negative="흐릿한"),
    case("sd15-long", "sd15", prompt=LONG, negative=LONG),
    case("sdxl-long", "sdxl", prompt=LONG, guidance=0.0, steps=1),
    # Sizes: non-square both ways, and 72x72 (9x9 latents: the noise's tail block).
    case("sd15-64x96", "sd15", width=64, height=96, sampler="euler"),
    case("sdxl-96x64", "sdxl", width=96, height=64),
    case("turbo-72x72", "turbo", width=72, height=72, steps=1, guidance=0.0, seed=2**32 + 5),
    # 20 steps.
    case("sd15-20-dpmpp-2m-karras", "sd15", steps=20, sampler="dpmpp-2m-karras"),
    case("sdxl-20", "sdxl", steps=20, guidance=5.0, negative="low quality"),
    # Guidance 1 (no unconditional pass) and a large seed.
    case("turbo-guidance-1", "turbo", steps=2, guidance=1.0, seed=18446744073709551615),
    # LCM-distilled UNets: the guidance scale is an embedding (`timestep_cond`), never a
    # second pass; 4 LCM steps as the model cards advise.
    case("sd15-lcm-guidance-8", "sd15-lcm", guidance=8.0),
    case("sd15-lcm-guidance-1", "sd15-lcm", guidance=1.0, sampler="lcm", seed=7),
    case("sd15-lcm-64x96", "sd15-lcm", width=64, height=96, steps=2, guidance=8.5, seed=11),
    case("sdxl-lcm-guidance-8", "sdxl-lcm", guidance=8.0),
    case("sdxl-lcm-guidance-1", "sdxl-lcm", guidance=1.0, sampler="lcm", seed=5),
]
FAMILIES = ["sd15", "sd21", "turbo", "sdxl", "sd15-lcm", "sdxl-lcm"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_loading(folder: Path, sdxl: bool) -> None:
    """No missing, unexpected or mismatched weight in any network."""
    loads = [
        (UNet2DConditionModel, "unet"),
        (AutoencoderKL, "vae"),
        (CLIPTextModel, "text_encoder"),
    ]
    if sdxl:
        loads.append((CLIPTextModelWithProjection, "text_encoder_2"))
    for cls, sub in loads:
        _, info = cls.from_pretrained(folder, subfolder=sub, output_loading_info=True)
        for kind in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
            assert not info.get(kind), f"{folder}/{sub}: {kind}: {info[kind]}"


def load(folder: Path, family: str):
    sdxl = family.startswith("sdxl")
    check_loading(folder, sdxl)
    if family == "sd15-lcm":
        pipe = LatentConsistencyModelPipeline.from_pretrained(
            folder, safety_checker=None, requires_safety_checker=False
        )
        assert pipe.unet.config.time_cond_proj_dim is not None
        assert type(pipe.scheduler).__name__ == "LCMScheduler"
    elif sdxl:
        pipe = StableDiffusionXLPipeline.from_pretrained(folder, add_watermarker=False)
        assert pipe.watermark is None
    else:
        pipe = StableDiffusionPipeline.from_pretrained(
            folder, safety_checker=None, requires_safety_checker=False
        )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def run(pipe, c, base_scheduler):
    if c["sampler"] is None:
        pipe.scheduler = base_scheduler
    else:
        cls_name, overrides = SAMPLERS[c["sampler"]]
        cls = getattr(diffusers, cls_name)
        pipe.scheduler = cls.from_config(base_scheduler.config, **overrides)

    seen = {}
    lcm_pipe = isinstance(pipe, LatentConsistencyModelPipeline)

    def on_step(p, i, t, kwargs):
        if i == 0:
            seen["first_latents"] = kwargs["latents"].clone()
            seen["prompt_embeds"] = kwargs["prompt_embeds"].clone()
            if "add_text_embeds" in kwargs:
                seen["pooled"] = kwargs["add_text_embeds"].clone()
            if "w_embedding" in kwargs:
                seen["w_embedding"] = kwargs["w_embedding"].clone()
        seen["latents"] = kwargs["latents"].clone()
        if lcm_pipe:
            # The image is decoded from the scheduler's `denoised`, which on the last step is
            # the returned latents.
            assert torch.equal(kwargs["latents"], kwargs["denoised"]) or i + 1 < c["steps"]
        return {}

    tensor_inputs = ["latents", "prompt_embeds"]
    if isinstance(pipe, StableDiffusionXLPipeline):
        tensor_inputs.append("add_text_embeds")
    extra = {}
    if lcm_pipe:
        # LCM pipelines take no negative prompt (they were distilled against "").
        assert c["negative_prompt"] is None
        tensor_inputs += ["denoised", "w_embedding"]
    else:
        extra["negative_prompt"] = c["negative_prompt"]
    out = pipe(
        prompt=c["prompt"],
        **extra,
        width=c["width"],
        height=c["height"],
        num_inference_steps=c["steps"],
        guidance_scale=c["guidance"],
        generator=torch.Generator("cpu").manual_seed(c["seed"]),
        callback_on_step_end=on_step,
        callback_on_step_end_tensor_inputs=tensor_inputs,
        output_type="pil",
    )
    image = np.asarray(out.images[0].convert("RGB"))
    assert image.shape == (c["height"], c["width"], 3), image.shape
    seen["image"] = torch.from_numpy(image.copy()).contiguous()
    return seen


def tiny_fixtures(prefix: str) -> Path:
    """The tiny models: the folder given on the command line, or written now."""
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    fixtures = Path(tempfile.mkdtemp(prefix=prefix))
    subprocess.run(
        ["cargo", "run", "-q", "-p", "reportfig-testkit", "--example", "tiny_models", "--",
         str(fixtures)],
        cwd=ROOT, check=True,
    )
    return fixtures


def weights_of(folder: Path) -> dict:
    """SHA-256 of every weight file of a tiny model, by path inside it."""
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*.safetensors"))}


def write_cases(out: Path, script: str, weights: dict, cases: list) -> None:
    """cases.json: the cases' inputs, the library versions and the fixtures' hashes."""
    meta = {
        "generated_by": script,
        "diffusers": diffusers.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "weights_sha256": weights,
        "cases": cases,
    }
    (out / "cases.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")


def main() -> None:
    fixtures = tiny_fixtures("reportfig-pipeline-")
    OUT.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)

    weights = {}
    cases_out = []
    for family in FAMILIES:
        folder = fixtures / family
        weights[family] = weights_of(folder)
        pipe = load(folder, family)
        base = pipe.scheduler
        tensors = {}
        for c in [c for c in CASES if c["family"] == family]:
            seen = run(pipe, c, base)
            for k, v in seen.items():
                tensors[f"{c['name']}.{k}"] = v.detach().to(torch.uint8 if k == "image"
                                                            else torch.float32).contiguous()
            cases_out.append(c)
            print(f"{c['name']}: ok", file=sys.stderr)
        save_file(tensors, OUT / f"{family}.safetensors")
    write_cases(OUT, "tools/reference/pipeline_goldens.py", weights, cases_out)


if __name__ == "__main__":
    main()
