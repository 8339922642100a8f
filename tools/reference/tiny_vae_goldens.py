"""Golden files for the tiny preview decoder: diffusers' AutoencoderTiny (TAESD) on the tiny
fixtures made by Rust.

Usage (from the repository root):
    /work/venv/bin/python tools/reference/tiny_vae_goldens.py [FIXTURE_DIR]

Without FIXTURE_DIR, runs `cargo run -p reportfig-testkit --example tiny_taesd` into a
temporary folder first. The fixtures hold only decoder weights (reportfig's drafts only
decode): loading fails on any unexpected key and on any missing `decoder.` key. Writes
crates/engine/tests/golden/tiny_vae/<name>.safetensors for `taesd` and `variant`, holding:
  weights_sha256 (metadata)  SHA-256 of the fixture weights file the numbers come from
  latents_{0,1}              pipeline latents: [1,4,8,8] and [2,4,5,7] (non-square)
  image_{0,1}                vae.decode(latents / scaling_factor).sample, as diffusers'
                             pipelines call a tiny VAE
  rgb8_1                     VaeImageProcessor.postprocess(image_1, "pil") as uint8 [2,H,W,3]
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
from diffusers import AutoencoderTiny
from diffusers.image_processor import VaeImageProcessor
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ["taesd", "variant"]
LATENT_SHAPES = [(1, 4, 8, 8), (2, 4, 5, 7)]
WEIGHTS = "diffusion_pytorch_model.safetensors"


def load(folder: Path) -> AutoencoderTiny:
    vae, info = AutoencoderTiny.from_pretrained(folder, output_loading_info=True)
    for kind in ("unexpected_keys", "mismatched_keys", "error_msgs"):
        assert not info[kind], f"{folder}: {kind}: {info[kind]}"
    missing = [k for k in info["missing_keys"] if k.startswith("decoder.")]
    assert not missing, f"{folder}: missing decoder weights: {missing}"
    return vae.eval()


def to_rgb8(image: torch.Tensor) -> torch.Tensor:
    pils = VaeImageProcessor().postprocess(image, output_type="pil")
    return torch.from_numpy(np.stack([np.asarray(p) for p in pils])).contiguous()


def goldens(fixtures: Path, name: str, seed: int) -> None:
    folder = fixtures / name
    vae = load(folder)
    gen = torch.Generator("cpu").manual_seed(seed)
    out = {}
    for i, shape in enumerate(LATENT_SHAPES):
        # Pipeline latents are about unit-variance; ×2 reaches the tanh clamp's bend.
        z = torch.randn(shape, generator=gen) * 2
        out[f"latents_{i}"] = z
        out[f"image_{i}"] = vae.decode(z / vae.config.scaling_factor).sample
    out["rgb8_1"] = to_rgb8(out["image_1"])
    sha = hashlib.sha256((folder / WEIGHTS).read_bytes()).hexdigest()
    dest = ROOT / "crates" / "engine" / "tests" / "golden" / "tiny_vae" / f"{name}.safetensors"
    dest.parent.mkdir(parents=True, exist_ok=True)
    save_file(
        {k: v.contiguous() for k, v in out.items()},
        dest,
        metadata={
            "weights_sha256": sha,
            "diffusers": diffusers.__version__,
            "torch": torch.__version__,
            "seed": str(seed),
        },
    )
    img = out["image_1"]
    print(f"{dest.relative_to(ROOT)}: image_1 {tuple(img.shape)} range "
          f"[{img.min():.3f}, {img.max():.3f}], rgb8 mean {out['rgb8_1'].float().mean():.1f}")


def main() -> None:
    torch.set_grad_enabled(False)
    if len(sys.argv) > 1:
        fixtures, tmp = Path(sys.argv[1]), None
    else:
        tmp = tempfile.TemporaryDirectory()
        fixtures = Path(tmp.name)
        subprocess.run(
            ["cargo", "run", "-q", "-p", "reportfig-testkit", "--example", "tiny_taesd", "--",
             str(fixtures)],
            cwd=ROOT, check=True, env=os.environ,
        )
    for n, name in enumerate(FIXTURES):
        goldens(fixtures, name, 3000 + n)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
