#!/usr/bin/env python3
"""Golden files for image-to-image: diffusers' StableDiffusion(XL)Img2ImgPipeline, seed for seed.

Run from the repository root with the reference virtualenv:

    /work/venv/bin/python tools/reference/img2img_goldens.py [FIXTURE_DIR]

The tiny models are the ones `pipeline_goldens.py` uses (`cargo run --example tiny_models`).
Every case starts from a synthetic picture made here (a colour gradient, two shapes and some
grain, so the encoder sees edges and flat areas), already at the case's size so diffusers'
`VaeImageProcessor.preprocess` only normalises it. The scheduler is chosen by sampler name the
way `pipeline_goldens.py` does; `generator=torch.Generator("cpu").manual_seed(seed)`.

Cases with `mask` run through StableDiffusion(XL)InpaintPipeline with a mask (the right half
repainted, with grey columns either side of the 0.5 threshold): on the ordinary tiny models
(latent blending) and on the tiny 9-channel inpainting models (sd15-inpaint, sdxl-inpaint).

Writes `crates/engine/tests/golden/img2img/<family>.safetensors` with, per case `<name>`:
  <name>.init           [H, W, 3] uint8, the starting picture
  <name>.mask           [H, W] uint8, the mask (inpainting cases)
  <name>.encode_mean    [1, 4, h, w] the VAE's latent mean of it (before scaling)
  <name>.prompt_embeds, .pooled, .first_latents, .latents, .image, .w_embedding
                        as in pipeline_goldens.py
and `cases.json` alike (each case with its `strength`).
"""

import sys
from pathlib import Path

import diffusers
import numpy as np
import torch
from diffusers import (
    StableDiffusionImg2ImgPipeline,
    StableDiffusionInpaintPipeline,
    StableDiffusionXLImg2ImgPipeline,
    StableDiffusionXLInpaintPipeline,
)
from PIL import Image
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_goldens import (  # noqa: E402
    KO, SAMPLERS, case, check_loading, tiny_fixtures, weights_of, write_cases,
)

OUT = Path(__file__).resolve().parents[2] / "crates" / "engine" / "tests" / "golden" / "img2img"


def i2i(name, family, strength, mask=False, **kw):
    c = case(name, family, **kw)
    c["strength"] = strength
    c["mask"] = mask
    return c


CASES = [
    # Every family with its own scheduler, at the default strength.
    i2i("sd15-default", "sd15", 0.6, negative="blurry, text"),
    i2i("sd21-default", "sd21", 0.6, negative="blurry, text", seed=7),  # v-prediction, DDIM
    i2i("sdxl-default", "sdxl", 0.6),
    i2i("turbo-2-steps", "turbo", 0.5, steps=2, guidance=0.0),
    # Every sampler once, on sd15 with CFG.
    *[i2i(f"sd15-{s}", "sd15", 0.6, negative="blurry", sampler=s, seed=1234) for s in SAMPLERS],
    # Strengths: little change, and the whole schedule (still starting from the picture).
    i2i("sd15-strength-0.3", "sd15", 0.3, steps=10, sampler="euler", seed=3),
    i2i("sd15-strength-1.0", "sd15", 1.0, sampler="dpmpp-2m", seed=3),
    i2i("sdxl-strength-0.3", "sdxl", 0.3, steps=10, guidance=5.0, negative="low quality"),
    # Non-square both ways, Korean, and stochastic samplers on the other families.
    i2i("sd15-64x96", "sd15", 0.6, width=64, height=96, sampler="euler-a", prompt=KO),
    i2i("sdxl-96x64", "sdxl", 0.7, width=96, height=64, sampler="euler-a", seed=99),
    i2i("sd21-euler", "sd21", 0.8, sampler="euler", guidance=1.0),
    i2i("turbo-72x72", "turbo", 1.0, width=72, height=72, steps=1, guidance=0.0, seed=5),
    # An LCM-distilled UNet through the plain img2img pipeline (guidance as an embedding).
    i2i("sd15-lcm", "sd15-lcm", 0.6, guidance=8.0, sampler="lcm"),
    # Inpainting with ordinary UNets (latents blended with the noised picture every step).
    i2i("sd15-mask", "sd15", 0.75, mask=True, negative="blurry"),
    i2i("sd15-mask-full", "sd15", 1.0, mask=True, sampler="euler", seed=5),
    i2i("sd15-mask-euler-a", "sd15", 0.8, mask=True, sampler="euler-a", width=64, height=96),
    i2i("sdxl-mask", "sdxl", 0.6, mask=True, width=96, height=64),
    i2i("turbo-mask", "turbo", 1.0, mask=True, steps=2, guidance=0.0),
    # SD 2.x: v-prediction with the mask, at part strength and at full.
    i2i("sd21-mask", "sd21", 0.7, mask=True, negative="blurry", seed=11),
    i2i("sd21-mask-full", "sd21", 1.0, mask=True, sampler="dpmpp-2m", width=64, height=96),
    # 9-channel inpainting UNets (the mask and the masked picture's latents as input).
    i2i("sd15-inpaint-full", "sd15-inpaint", 1.0, mask=True, negative="blurry"),
    i2i("sd15-inpaint-0.7", "sd15-inpaint", 0.7, mask=True, sampler="dpmpp-2m", seed=9),
    i2i("sdxl-inpaint-full", "sdxl-inpaint", 1.0, mask=True),
    i2i("sdxl-inpaint-0.8", "sdxl-inpaint", 0.8, mask=True, sampler="euler-a", seed=4),
]
FAMILIES = ["sd15", "sd21", "turbo", "sdxl", "sd15-lcm", "sd15-inpaint", "sdxl-inpaint"]


def init_picture(width, height, seed):
    """A deterministic RGB test picture: gradient, a disc, a bar, grain."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 255 * x / max(width - 1, 1)
    g = 255 * y / max(height - 1, 1)
    b = np.full_like(x, 96.0)
    disc = (x - width * 0.35) ** 2 + (y - height * 0.4) ** 2 < (min(width, height) * 0.22) ** 2
    r[disc], g[disc], b[disc] = 250, 240, 40
    bar = (y > height * 0.7) & (y < height * 0.8)
    r[bar], g[bar], b[bar] = 20, 60, 200
    grain = np.random.default_rng(seed).integers(-12, 13, size=(height, width, 3))
    img = np.stack([r, g, b], axis=-1) + grain
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def init_mask(width, height):
    """The right part repainted, with grey edges either side of diffusers' 0.5 threshold."""
    m = np.zeros((height, width), dtype=np.uint8)
    m[:, width // 2:] = 255
    m[: height // 4, width // 2: width // 2 + 8] = 127  # kept (127/255 < 0.5)
    m[height // 4: height // 2, width // 2 - 8: width // 2] = 128  # repainted
    return m


def load(folder: Path, family: str, inpaint: bool):
    sdxl = family.startswith("sdxl")
    check_loading(folder, sdxl)
    if sdxl:
        cls = StableDiffusionXLInpaintPipeline if inpaint else StableDiffusionXLImg2ImgPipeline
        pipe = cls.from_pretrained(folder, add_watermarker=False)
        assert pipe.watermark is None and not pipe.config.requires_aesthetics_score
    else:
        cls = StableDiffusionInpaintPipeline if inpaint else StableDiffusionImg2ImgPipeline
        pipe = cls.from_pretrained(folder, safety_checker=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def run(pipe, c, base_scheduler):
    if c["sampler"] is None:
        pipe.scheduler = base_scheduler
    else:
        cls_name, overrides = SAMPLERS[c["sampler"]]
        pipe.scheduler = getattr(diffusers, cls_name).from_config(base_scheduler.config, **overrides)

    init = init_picture(c["width"], c["height"], c["seed"] % 2**32)
    seen = {"init": torch.from_numpy(init.copy())}
    with torch.no_grad():
        x = pipe.image_processor.preprocess(Image.fromarray(init))
        assert tuple(x.shape) == (1, 3, c["height"], c["width"]), x.shape
        seen["encode_mean"] = pipe.vae.encode(x).latent_dist.mean.clone()

    def on_step(p, i, t, kwargs):
        if i == 0:
            seen["first_latents"] = kwargs["latents"].clone()
            seen["prompt_embeds"] = kwargs["prompt_embeds"].clone()
            if "add_text_embeds" in kwargs:
                seen["pooled"] = kwargs["add_text_embeds"].clone()
        seen["latents"] = kwargs["latents"].clone()
        return {}

    sdxl = isinstance(pipe, (StableDiffusionXLImg2ImgPipeline, StableDiffusionXLInpaintPipeline))
    tensor_inputs = ["latents", "prompt_embeds"] + (["add_text_embeds"] if sdxl else [])
    extra = {}
    if c["mask"]:
        mask = init_mask(c["width"], c["height"])
        seen["mask"] = torch.from_numpy(mask.copy())
        extra = dict(mask_image=Image.fromarray(mask, mode="L"), width=c["width"],
                     height=c["height"])
    out = pipe(
        **extra,
        prompt=c["prompt"],
        negative_prompt=c["negative_prompt"],
        image=Image.fromarray(init),
        strength=c["strength"],
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
    if pipe.unet.config.time_cond_proj_dim is not None:
        seen["w_embedding"] = pipe.get_guidance_scale_embedding(
            torch.tensor([c["guidance"] - 1.0]), embedding_dim=pipe.unet.config.time_cond_proj_dim
        )
    return seen


def main() -> None:
    fixtures = tiny_fixtures("reportfig-img2img-")
    OUT.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)

    weights, cases_out = {}, []
    for family in FAMILIES:
        folder = fixtures / family
        weights[family] = weights_of(folder)
        pipes = {m: load(folder, family, m) for m in sorted({c["mask"] for c in CASES
                                                             if c["family"] == family})}
        bases = {m: p.scheduler for m, p in pipes.items()}
        tensors = {}
        for c in [c for c in CASES if c["family"] == family]:
            for k, v in run(pipes[c["mask"]], c, bases[c["mask"]]).items():
                dtype = torch.uint8 if k in ("image", "init", "mask") else torch.float32
                tensors[f"{c['name']}.{k}"] = v.detach().to(dtype).contiguous()
            cases_out.append(c)
            print(f"{c['name']}: ok", file=sys.stderr)
        save_file(tensors, OUT / f"{family}.safetensors")
    write_cases(OUT, "tools/reference/img2img_goldens.py", weights, cases_out)


if __name__ == "__main__":
    main()
