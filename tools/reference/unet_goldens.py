#!/usr/bin/env python3
"""Golden outputs of diffusers' UNet2DConditionModel on reportfig's tiny UNets.

Usage:
    cargo run --example tiny_unet -- /tmp/tiny_unet
    /work/venv/bin/python tools/reference/unet_goldens.py /tmp/tiny_unet [crates/engine/tests/golden/unet]

For each tiny family folder `<dir>/<family>/unet` (written by Rust from a fixed seed), this
loads the UNet with `from_pretrained`, fails if any weight is missing, unexpected or of the
wrong shape, runs it on fixed random inputs (square, non-square and odd latent sizes, an
integer and a fractional timestep, SDXL's added conditioning, LCM's `timestep_cond`) and writes
`<out>/<family>.safetensors` holding the inputs, the outputs and, in the metadata, the
SHA-256 of the weights file so the Rust test can tell a changed fixture from a numeric
mismatch.

It also writes `<out>/structure.json`: for each published full-size UNet config under
`configs/reference/`, the number of parameters diffusers creates and the SHA-256 of their
sorted `name shape` lines (built on the meta device, so nothing is allocated). The Rust test
builds our network on a shape-recording backend and compares. `--dump REPO` prints the lines.
"""

import hashlib
import json
import sys
from pathlib import Path

import torch
from diffusers import LatentConsistencyModelPipeline, UNet2DConditionModel
from safetensors.torch import save_file

FAMILIES = ["sd15", "sd21", "turbo", "sdxl"]
# Configs beyond the families (reportfig_testkit::unet::VARIANTS).
VARIANTS = ["options_a", "options_b", "lcm", "lcm_xl"]
# Guidance scales whose LCM embedding (`get_guidance_scale_embedding(guidance - 1)`) is stored
# in lcm.safetensors, at these widths (the tiny variants', the tiny models' and the published 256).
GUIDANCE_SCALES = [8.0, 1.0, 1.5, 8.5, 15.0, 0.0]
GUIDANCE_DIMS = [4, 9, 12, 16, 256]
# (height, width, timestep): an int timestep is passed as a Python int, a fractional one
# as a Python float, as schedulers do.
CASES = [(8, 8, 999), (8, 12, 451.5), (9, 9, 999)]
BATCH = 2
SEQ = 7


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


REPO_ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = [
    "runwayml--stable-diffusion-v1-5",
    "stabilityai--stable-diffusion-2-1",
    "stabilityai--sd-turbo",
    "stabilityai--stable-diffusion-xl-base-1.0",
]


def structure_lines(repo: str) -> list[str]:
    cfg = UNet2DConditionModel.load_config(REPO_ROOT / "configs/reference" / repo / "unet")
    with torch.device("meta"):
        model = UNet2DConditionModel.from_config(cfg)
    return sorted(f"{k} {list(v.shape)}" for k, v in model.state_dict().items())


def write_structure(out: Path) -> None:
    result = {}
    for repo in PUBLISHED:
        lines = structure_lines(repo)
        digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
        result[repo] = {"parameters": len(lines), "sha256": digest}
    (out / "structure.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


def main() -> None:
    if sys.argv[1] == "--dump":
        print("\n".join(structure_lines(sys.argv[2])))
        return
    src = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parents[2] / "crates/engine/tests/golden/unet"
    out.mkdir(parents=True, exist_ok=True)
    torch.set_grad_enabled(False)
    write_structure(out)
    names = FAMILIES + VARIANTS
    for family in names:
        unet_dir = src / family / "unet"
        model, info = UNet2DConditionModel.from_pretrained(
            unet_dir, output_loading_info=True, torch_dtype=torch.float32
        )
        problems = {k: v for k, v in info.items() if v}
        assert not problems, f"{family}: loading problems {problems}"
        model.eval()
        cfg = model.config
        cross = cfg.cross_attention_dim
        cross = cross if isinstance(cross, int) else cross[0]
        gen = torch.Generator("cpu").manual_seed(1234 + names.index(family))
        tensors = {}
        meta = {
            "weights_sha256": sha256(unet_dir / "diffusion_pytorch_model.safetensors"),
            "family": family,
            "cases": str(len(CASES)),
        }
        for i, (h, w, t) in enumerate(CASES):
            sample = torch.randn((BATCH, cfg.in_channels, h, w), generator=gen)
            text = torch.randn((BATCH, SEQ, cross), generator=gen)
            kwargs = {}
            if cfg.addition_embed_type == "text_time":
                pooled = cfg.projection_class_embeddings_input_dim - 6 * cfg.addition_time_embed_dim
                text_embeds = torch.randn((BATCH, pooled), generator=gen)
                time_ids = torch.tensor(
                    [[8.0 * h, 8.0 * w, 0.0, 0.0, 8.0 * h, 8.0 * w], [1024.0, 768.0, 16.0, 8.0, 8.0 * h, 8.0 * w]]
                )
                kwargs["added_cond_kwargs"] = {"text_embeds": text_embeds, "time_ids": time_ids}
                tensors[f"case{i}.text_embeds"] = text_embeds
                tensors[f"case{i}.time_ids"] = time_ids
            if cfg.time_cond_proj_dim is not None:
                # What LCM pipelines pass: any [BATCH, dim] works; random rows test cond_proj.
                timestep_cond = torch.randn((BATCH, cfg.time_cond_proj_dim), generator=gen)
                kwargs["timestep_cond"] = timestep_cond
                tensors[f"case{i}.timestep_cond"] = timestep_cond
            result = model(sample, t, encoder_hidden_states=text, **kwargs).sample
            assert result.shape == (BATCH, cfg.out_channels, h, w), result.shape
            tensors[f"case{i}.sample"] = sample
            tensors[f"case{i}.encoder_hidden_states"] = text
            tensors[f"case{i}.timestep"] = torch.tensor([t], dtype=torch.float64)
            tensors[f"case{i}.output"] = result.contiguous()
        if family == "lcm":
            w = torch.tensor(GUIDANCE_SCALES, dtype=torch.float32) - 1
            tensors["guidance.w"] = w.to(torch.float64)
            for d in GUIDANCE_DIMS:
                # A method that uses no pipeline state.
                emb = LatentConsistencyModelPipeline.get_guidance_scale_embedding(None, w, embedding_dim=d)
                tensors[f"guidance.dim{d}"] = emb.contiguous()
        save_file(tensors, out / f"{family}.safetensors", metadata=meta)
        print(json.dumps({"family": family, **meta}))


if __name__ == "__main__":
    main()
