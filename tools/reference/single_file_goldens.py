#!/usr/bin/env python3
"""Single-file checkpoints: our inverse mapping, confirmed by diffusers' own `from_single_file`.

Run from the repository root with the reference virtualenv:

    /work/venv/bin/python tools/reference/single_file_goldens.py [FIXTURE_DIR] [--keep DIR]

Without FIXTURE_DIR it first runs `cargo run --example tiny_models -- <tmp>` (the tiny
diffusers-layout models of `reportfig_testkit::write_tiny_model`). For sd15, sd21 and sdxl it
writes each model in the original single-file (LDM / A1111) layout with this script's own
inverse of diffusers' conversion (`model.diffusion_model.*` UNet with LDM names,
`first_stage_model.*` VAE, `cond_stage_model.transformer.*` CLIP-L, `cond_stage_model.model.*`
OpenCLIP with fused `in_proj` and `text_projection`, `conditioner.embedders.{0,1}.*` for SDXL),
then loads that file with diffusers 0.42's `StableDiffusionPipeline.from_single_file(path,
config=<tiny folder>)` (`StableDiffusionXLPipeline` for sdxl) and requires every tensor of
every network to equal the folder's own (`from_pretrained`), bit for bit, with no tensor left
over. The VAE attention is written as 1x1 convs for sd15 and sdxl and as linears for sd21, the
two forms real files have.

One exception, from diffusers rather than the mapping: diffusers tells SDXL's two text
encoders apart by width (768 vs 1280), and the tiny ones are both 32 wide, so
`from_single_file` would read CLIP-L into `text_encoder_2`. For sdxl the second encoder is
therefore built with diffusers' own `convert_open_clip_checkpoint(...,
prefix="conditioner.embedders.1.model.")` (what `from_single_file` calls for a real SDXL file)
and passed in; it must load with no missing or unexpected key.

Writes `crates/engine/tests/golden/single_file/<family>.json`: the SHA-256 of the fixture's
weight files, the checkpoint's architecture, and per tensor of the single file its dtype,
shape and the first 16 hex digits of the SHA-256 of its bytes. The Rust test
(`crates/engine/tests/parity/single_file_parity.rs`) writes the same checkpoint with its own
inverse mapping and compares against these lines, then loads it.
"""

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import diffusers
import torch
from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
from diffusers import UNet2DConditionModel
from diffusers.loaders.single_file_utils import (
    convert_ldm_unet_checkpoint,
    convert_open_clip_checkpoint,
)
from safetensors.torch import load_file, save_file
from transformers import CLIPTextConfig, CLIPTextModelWithProjection

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "engine" / "tests" / "golden" / "single_file"

RESNET = [("norm1", "in_layers.0"), ("conv1", "in_layers.2"), ("norm2", "out_layers.0"),
          ("conv2", "out_layers.3"), ("time_emb_proj", "emb_layers.1"),
          ("conv_shortcut", "skip_connection")]


def unet_pairs(cfg):
    """(diffusers prefix, ldm prefix, is_resnet) for the UNet this config describes."""
    pairs = [("time_embedding.linear_1", "time_embed.0", False),
             ("time_embedding.linear_2", "time_embed.2", False),
             ("conv_in", "input_blocks.0.0", False),
             ("conv_norm_out", "out.0", False),
             ("conv_out", "out.2", False)]
    if cfg.get("addition_embed_type") == "text_time":
        pairs += [("add_embedding.linear_1", "label_emb.0.0", False),
                  ("add_embedding.linear_2", "label_emb.0.2", False)]
    down = cfg["down_block_types"]
    n = len(down)
    lpb = cfg.get("layers_per_block", 2)
    layers = lpb if isinstance(lpb, list) else [lpb] * n
    i = 1
    for b, kind in enumerate(down):
        for j in range(layers[b]):
            pairs.append((f"down_blocks.{b}.resnets.{j}", f"input_blocks.{i}.0", True))
            if kind.startswith("CrossAttn"):
                pairs.append((f"down_blocks.{b}.attentions.{j}", f"input_blocks.{i}.1", False))
            i += 1
        if b + 1 < n:
            pairs.append((f"down_blocks.{b}.downsamplers.0.conv", f"input_blocks.{i}.0.op", False))
            i += 1
    pairs += [("mid_block.resnets.0", "middle_block.0", True),
              ("mid_block.attentions.0", "middle_block.1", False),
              ("mid_block.resnets.1", "middle_block.2", True)]
    i = 0
    for b, kind in enumerate(cfg["up_block_types"]):
        count = layers[n - 1 - b] + 1
        attn = kind.startswith("CrossAttn")
        for j in range(count):
            pairs.append((f"up_blocks.{b}.resnets.{j}", f"output_blocks.{i}.0", True))
            if attn:
                pairs.append((f"up_blocks.{b}.attentions.{j}", f"output_blocks.{i}.1", False))
            if j + 1 == count and b + 1 < n:
                pairs.append((f"up_blocks.{b}.upsamplers.0.conv",
                              f"output_blocks.{i}.{2 if attn else 1}.conv", False))
            i += 1
    return pairs


def unet_to_ldm(sd, cfg):
    pairs = unet_pairs(cfg)
    out = {}
    for name, t in sd.items():
        best = max((p for p in pairs if name.startswith(p[0] + ".")), key=lambda p: len(p[0]))
        d, l, resnet = best
        rest = name[len(d) + 1:]
        if resnet:
            for dn, ln in RESNET:
                if rest.startswith(dn + "."):
                    rest = ln + rest[len(dn):]
                    break
            else:
                raise KeyError(name)
        out["model.diffusion_model." + l + "." + rest] = t
    return out


def vae_to_ldm(sd, cfg, conv_attention):
    n_up = len(cfg["up_block_types"])
    out = {}
    for name, t in sd.items():
        side, rest = name.split(".", 1)
        p = rest.split(".")
        key = None
        if side in ("quant_conv", "post_quant_conv"):
            key = name
        elif p[0] in ("conv_in", "conv_out"):
            key = name
        elif p[0] == "conv_norm_out":
            key = f"{side}.norm_out.{p[1]}"
        elif p[0] == "down_blocks" and p[2] == "resnets":
            inner = ".".join(p[4:]).replace("conv_shortcut", "nin_shortcut")
            key = f"{side}.down.{p[1]}.block.{p[3]}.{inner}"
        elif p[0] == "down_blocks" and p[2] == "downsamplers":
            key = f"{side}.down.{p[1]}.downsample.conv.{p[-1]}"
        elif p[0] == "up_blocks" and p[2] == "resnets":
            inner = ".".join(p[4:]).replace("conv_shortcut", "nin_shortcut")
            key = f"{side}.up.{n_up - 1 - int(p[1])}.block.{p[3]}.{inner}"
        elif p[0] == "up_blocks" and p[2] == "upsamplers":
            key = f"{side}.up.{n_up - 1 - int(p[1])}.upsample.conv.{p[-1]}"
        elif p[0] == "mid_block" and p[1] == "resnets":
            inner = ".".join(p[3:]).replace("conv_shortcut", "nin_shortcut")
            key = f"{side}.mid.block_{int(p[2]) + 1}.{inner}"
        elif p[0] == "mid_block" and p[1] == "attentions":
            module = ".".join(p[3:-1])
            m = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v",
                 "to_out.0": "proj_out"}[module]
            key = f"{side}.mid.attn_1.{m}.{p[-1]}"
            if m != "norm" and p[-1] == "weight" and conv_attention:
                t = t[:, :, None, None]
        if key is None:
            raise KeyError(name)
        out["first_stage_model." + key] = t
    return out


def clip_to_ldm(sd, prefix):
    # transformers >= 5.6 saves CLIPTextModel without the `text_model.` level; the original
    # files always have it.
    return {prefix + (k if k.startswith("text_model.") else "text_model." + k): v
            for k, v in sd.items() if not k.endswith("position_ids")}


def open_clip_to_ldm(sd, prefix):
    out = {}
    fused = {}
    for name, t in sd.items():
        if name.endswith("position_ids"):
            continue
        n = name if name.startswith(("text_model.", "text_projection")) else "text_model." + name
        fixed = {"text_model.embeddings.position_embedding.weight": "positional_embedding",
                 "text_model.embeddings.token_embedding.weight": "token_embedding.weight",
                 "text_model.final_layer_norm.weight": "ln_final.weight",
                 "text_model.final_layer_norm.bias": "ln_final.bias"}
        if n in fixed:
            out[prefix + fixed[n]] = t
            continue
        if n == "text_projection.weight":
            out[prefix + "text_projection"] = t.T.contiguous()
            continue
        rest = n[len("text_model.encoder.layers."):]
        layer, inner = rest.split(".", 1)
        block = f"{prefix}transformer.resblocks.{layer}"
        module, param = inner.rsplit(".", 1)
        if module in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"):
            fused.setdefault((block, param), {})[module[-6]] = t
            continue
        m = {"self_attn.out_proj": "attn.out_proj", "layer_norm1": "ln_1",
             "layer_norm2": "ln_2", "mlp.fc1": "mlp.c_fc", "mlp.fc2": "mlp.c_proj"}[module]
        out[f"{block}.{m}.{param}"] = t
    for (block, param), qkv in fused.items():
        out[f"{block}.attn.in_proj_{param}"] = torch.cat([qkv["q"], qkv["k"], qkv["v"]], 0)
    return out


def write_single_file(folder: Path, family: str, path: Path) -> dict:
    cfg = lambda sub: json.loads((folder / sub / "config.json").read_text())  # noqa: E731
    w = lambda sub, f: load_file(folder / sub / f)  # noqa: E731
    ckpt = {}
    ckpt |= unet_to_ldm(w("unet", "diffusion_pytorch_model.safetensors"), cfg("unet"))
    ckpt |= vae_to_ldm(w("vae", "diffusion_pytorch_model.safetensors"), cfg("vae"),
                       conv_attention=family != "sd21")
    te = w("text_encoder", "model.safetensors")
    if family == "sd15":
        ckpt |= clip_to_ldm(te, "cond_stage_model.transformer.")
    elif family == "sd21":
        ckpt |= open_clip_to_ldm(te, "cond_stage_model.model.")
        # Real SD 2 files carry OpenCLIP's projection, which the pipeline does not use.
        h = cfg("text_encoder")["hidden_size"]
        ckpt["cond_stage_model.model.text_projection"] = torch.eye(h) * 0.5
    else:
        ckpt |= clip_to_ldm(te, "conditioner.embedders.0.transformer.")
        ckpt |= open_clip_to_ldm(w("text_encoder_2", "model.safetensors"),
                                 "conditioner.embedders.1.model.")
    ckpt = {k: v.contiguous() for k, v in ckpt.items()}
    save_file(ckpt, path)
    return ckpt


def state(model):
    return {k: v.detach() for k, v in model.state_dict().items()
            if not k.endswith("position_ids")}


def assert_same(label, got, want):
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    assert not missing and not extra, f"{label}: missing {missing[:5]}, unexpected {extra[:5]}"
    for k, v in want.items():
        assert got[k].shape == v.shape, f"{label}.{k}: {tuple(got[k].shape)} vs {tuple(v.shape)}"
        assert torch.equal(got[k], v), f"{label}.{k} differs"


def check_with_diffusers(folder: Path, family: str, path: Path) -> None:
    if family == "sdxl":
        ref = StableDiffusionXLPipeline.from_pretrained(folder, add_watermarker=False)
        ckpt = load_file(path)
        te2 = CLIPTextModelWithProjection(CLIPTextConfig.from_pretrained(folder / "text_encoder_2"))
        converted = convert_open_clip_checkpoint(te2, ckpt, prefix="conditioner.embedders.1.model.")
        if not hasattr(te2, "text_model"):
            converted = {k.removeprefix("text_model."): v for k, v in converted.items()}
        info = te2.load_state_dict(converted, strict=False)
        assert not info.missing_keys and not info.unexpected_keys, info
        got = StableDiffusionXLPipeline.from_single_file(
            str(path), config=str(folder), text_encoder_2=te2, add_watermarker=False)
        parts = ["unet", "vae", "text_encoder", "text_encoder_2"]
    else:
        ref = StableDiffusionPipeline.from_pretrained(
            folder, safety_checker=None, requires_safety_checker=False)
        got = StableDiffusionPipeline.from_single_file(
            str(path), config=str(folder), safety_checker=None, requires_safety_checker=False)
        parts = ["unet", "vae", "text_encoder"]
    for p in parts:
        assert_same(f"{family}.{p}", state(getattr(got, p)), state(getattr(ref, p)))
        print(f"{family}.{p}: {len(state(getattr(ref, p)))} tensors equal", file=sys.stderr)
    # Every tensor of the file is used by some network (nothing written that diffusers skips,
    # except SD 2's unused projection).
    used = sum(len(state(getattr(ref, p))) for p in parts)
    n = len(load_file(path))
    fused = sum(1 for k in load_file(path) if "in_proj_" in k)
    skipped = 1 if family == "sd21" else 0
    assert used == n + 2 * fused - skipped, (family, used, n, fused)
    want = got.scheduler.config.prediction_type
    assert want == ref.scheduler.config.prediction_type, want


FULL_SIZE = ["runwayml--stable-diffusion-v1-5", "stabilityai--stable-diffusion-2-1",
             "stabilityai--stable-diffusion-xl-base-1.0"]


def full_size_unet_names() -> dict:
    """The UNet name table of each published config: every parameter of diffusers' UNet (built
    on the meta device) to its LDM name by `unet_to_ldm`, confirmed by diffusers' own
    `convert_ldm_unet_checkpoint` mapping each back. Returns count and SHA-256 of the sorted
    `diffusers_name ldm_name` lines per repo."""
    out = {}
    for repo in FULL_SIZE:
        cfg = json.loads((ROOT / "configs" / "reference" / repo / "unet" / "config.json").read_text())
        with torch.device("meta"):
            unet = UNet2DConditionModel.from_config(cfg)
        sd = {k: torch.empty(v.shape, device="meta") for k, v in unet.state_dict().items()}
        ldm = unet_to_ldm(sd, cfg)
        back = convert_ldm_unet_checkpoint(ldm, cfg)
        assert set(back) == set(sd), (repo, sorted(set(sd) ^ set(back))[:5])
        # Which LDM key each diffusers name came from, by identity of the (meta) tensor.
        by_id = {id(t): k for k, t in ldm.items()}
        lines = sorted(f"{d} {by_id[id(back[d])].removeprefix('model.diffusion_model.')}"
                       for d in sd)
        for d in sd:
            assert back[d] is sd[d], (repo, d)
        out[repo] = {"names": len(lines),
                     "sha256": hashlib.sha256("\n".join(lines).encode()).hexdigest()}
        print(f"{repo}: {len(lines)} UNet names round-trip through diffusers", file=sys.stderr)
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("fixtures", nargs="?")
    ap.add_argument("--keep", help="write the single files into this folder too")
    args = ap.parse_args()
    if args.fixtures:
        fixtures = Path(args.fixtures)
    else:
        fixtures = Path(tempfile.mkdtemp(prefix="reportfig-single-"))
        subprocess.run(["cargo", "run", "-q", "-p", "reportfig-testkit", "--example",
                        "tiny_models", "--", str(fixtures)], cwd=ROOT, check=True)
    OUT.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="reportfig-ckpt-"))
    work.mkdir(parents=True, exist_ok=True)
    names = full_size_unet_names()
    (OUT / "unet_names.json").write_text(json.dumps(names, indent=1) + "\n")
    for family, arch in [("sd15", "sd1"), ("sd21", "sd2-v"), ("sdxl", "sdxl-base")]:
        folder = fixtures / family
        path = work / f"{family}.safetensors"
        ckpt = write_single_file(folder, family, path)
        check_with_diffusers(folder, family, path)
        tensors = {}
        for k in sorted(ckpt):
            t = ckpt[k]
            raw = t.numpy().tobytes()
            tensors[k] = [str(t.dtype).removeprefix("torch."), list(t.shape),
                          hashlib.sha256(raw).hexdigest()[:16]]
        golden = {
            "generated_by": "tools/reference/single_file_goldens.py",
            "diffusers": diffusers.__version__,
            "torch": torch.__version__,
            "arch": arch,
            "vae_attention": "linear" if family == "sd21" else "conv",
            "weights_sha256": {str(p.relative_to(folder)): sha256(p)
                               for p in sorted(folder.rglob("*.safetensors"))},
            "tensors": tensors,
        }
        # One line per tensor: small, and a changed tensor is one changed line.
        head = json.dumps({k: v for k, v in golden.items() if k != "tensors"}, indent=1)
        lines = ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in tensors.items())
        text = head[:-2] + ',\n "tensors": {\n' + lines + "\n }\n}\n"
        json.loads(text)
        (OUT / f"{family}.json").write_text(text)
        print(f"{family}: {len(tensors)} tensors, {path.stat().st_size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
