#!/usr/bin/env python3
"""Golden files for the VAE: diffusers' AutoencoderKL on the tiny fixtures made by Rust.

Usage (from the repository root):
    /work/venv/bin/python tools/reference/vae_goldens.py [FIXTURE_DIR]

Without FIXTURE_DIR, runs `cargo run --example tiny_vae` into a temporary folder first.
Writes crates/engine/tests/golden/vae/<family>.safetensors for sd15, sd21, turbo and sdxl, and
variant.safetensors for the fixture of `variant_vae_config` (other branches of the
architecture; only two latents), holding:
  weights_sha256 (metadata)  SHA-256 of the fixture weights file the numbers come from
  latents_{0,1,2}            inputs to decode: [1,4,8,8], [1,4,8,12], [2,4,9,9]
  image_{0,1,2}              vae.decode(latents).sample (unclamped)
  rgb8_1                     VaeImageProcessor.postprocess(image_1, "pil") as uint8 [1,H,W,3]
  pp_input, pp_rgb8          a [1,3,16,16] tensor around [-1.3, 1.3] and its postprocessed
                             uint8 image (exercises clamping and rounding on its own)
  encode_input, encode_mean  a [1,3,32,48] image in [-1,1] and latent_dist.mean
"""

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import diffusers
import numpy as np
import torch
from diffusers import AutoencoderKL
from diffusers.image_processor import VaeImageProcessor
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parents[2]
FAMILIES = ["sd15", "sd21", "turbo", "sdxl"]
LATENT_SHAPES = [(1, 4, 8, 8), (1, 4, 8, 12), (2, 4, 9, 9)]
WEIGHTS = "diffusion_pytorch_model.safetensors"


def load(folder: Path) -> AutoencoderKL:
    vae, info = AutoencoderKL.from_pretrained(folder, output_loading_info=True)
    for kind in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        assert not info[kind], f"{folder}: {kind}: {info[kind]}"
    return vae.eval()


def to_rgb8(image: torch.Tensor) -> torch.Tensor:
    pils = VaeImageProcessor().postprocess(image, output_type="pil")
    return torch.from_numpy(np.stack([np.asarray(p) for p in pils])).contiguous()


def goldens(fixtures: Path, family: str, seed: int, latent_shapes, encode_shape) -> None:
    folder = fixtures / family / "vae"
    vae = load(folder)
    gen = torch.Generator("cpu").manual_seed(seed)
    out = {}
    with torch.no_grad():
        for i, shape in enumerate(latent_shapes):
            z = torch.randn(shape, generator=gen)
            out[f"latents_{i}"] = z
            out[f"image_{i}"] = vae.decode(z).sample
        out["rgb8_1"] = to_rgb8(out["image_1"])
        pp = torch.randn((1, 3, 16, 16), generator=gen) * 0.65
        out["pp_input"] = pp
        out["pp_rgb8"] = to_rgb8(pp)
        x = torch.rand(encode_shape, generator=gen) * 2 - 1
        out["encode_input"] = x
        out["encode_mean"] = vae.encode(x).latent_dist.mean
        if family == "sd15":
            legacy = load(fixtures / "sd15-legacy" / "vae")
            same = legacy.decode(out["latents_0"]).sample
            assert torch.equal(same, out["image_0"]), "legacy attention names decode differently"
    sha = hashlib.sha256((folder / WEIGHTS).read_bytes()).hexdigest()
    dest = ROOT / "crates" / "engine" / "tests" / "golden" / "vae" / f"{family}.safetensors"
    dest.parent.mkdir(parents=True, exist_ok=True)
    out = {k: v.contiguous() for k, v in out.items()}
    save_file(
        out,
        dest,
        metadata={
            "weights_sha256": sha,
            "diffusers": diffusers.__version__,
            "torch": torch.__version__,
            "seed": str(seed),
        },
    )
    img = out["image_1"]
    print(f"{dest.relative_to(ROOT)}: image_1 range [{img.min():.3f}, {img.max():.3f}], "
          f"rgb8 mean {out['rgb8_1'].float().mean():.1f}")


def main() -> None:
    torch.set_grad_enabled(False)
    if len(sys.argv) > 1:
        fixtures = Path(sys.argv[1])
        tmp = None
    else:
        tmp = tempfile.TemporaryDirectory()
        fixtures = Path(tmp.name)
        subprocess.run(
            ["cargo", "run", "-q", "-p", "reportfig-testkit", "--example", "tiny_vae", "--", str(fixtures)],
            cwd=ROOT, check=True, env=os.environ,
        )
    for n, family in enumerate(FAMILIES):
        goldens(fixtures, family, 1000 + n, LATENT_SHAPES, (1, 3, 32, 48))
    # No attention, no quant convs, GELU, 2 layers per block, downscale 4.
    goldens(fixtures, "variant", 2000, [(1, 4, 8, 8), (1, 4, 5, 7)], (1, 3, 20, 28))
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
