#!/usr/bin/env python3
"""Golden outputs of diffusers' LoRA loading (`load_lora_weights` + `fuse_lora`) on the tiny
SD 1.5 and SDXL models.

Usage:
    /work/venv/bin/python tools/reference/lora_goldens.py [FIXTURE_DIR]

Without FIXTURE_DIR it first runs `cargo run --example tiny_models -- <tmp>`. For `sd15` and
`sdxl` it

1. makes one LoRA with peft: `LoraConfig(r=2, init_lora_weights=False)` on a chosen set of
   UNet modules (attention projections, feed-forward, 1x1 `proj_in`, 3x3 resnet `conv1`, 1x1
   `conv_shortcut`, `time_emb_proj`) and on text-encoder projections and MLPs (both encoders
   for SDXL), every A and B drawn from a fixed seed;
2. writes it in several layouts under `crates/engine/tests/golden/lora/<family>/`:
   - `peft.safetensors`: diffusers' `save_lora_weights` of peft's state dict
     (`unet.….lora_A.weight`, `text_encoder.….lora_B.weight`), no alphas (scale 1);
   - `peft_meta.safetensors` (sd15): the same with the adapter config in the
     `lora_adapter_metadata` header (`lora_alpha` 8 for rank 2, one module at 3 through
     `alpha_pattern`);
   - `diffusers.safetensors` (sd15): `convert_state_dict_to_diffusers` first
     (`….lora.down.weight`, `….lora_linear_layer.up.weight`), as older training scripts saved;
   - `kohya_ldm.safetensors` (sdxl): the same with the UNet's LDM names
     (`lora_unet_input_blocks_4_1_…`), as kohya-ss names SDXL LoRAs;
   - `kohya.safetensors`: written here in kohya-ss's layout (`lora_unet_down_blocks_0_…`,
     `lora_te_…` / `lora_te1_…` / `lora_te2_…`, `.lora_down.weight`, `.lora_up.weight`, and
     `.alpha` 1 for linear and 4 for conv modules, both unlike the rank, see `kohya_alpha`);
3. loads each file into a fresh pipeline with `load_lora_weights` and fuses it with
   `fuse_lora(lora_scale=w)` for w = 0.5 and 1.0, checks that exactly the targeted weights
   changed and by `w * alpha / rank * B @ A` (so no key was skipped by diffusers), and stores
   the UNet output and the text-encoder hidden states for fixed inputs in
   `crates/engine/tests/golden/lora/<family>.safetensors` (metadata: the SHA-256 of every
   fixture weights file and of every LoRA file).

`crates/engine/tests/parity/lora_parity.rs` loads the same LoRA files with our loader and
compares. The LoRA files are a few KB each and committed (`git add -f`).
"""

import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
from diffusers.utils import convert_state_dict_to_diffusers
from peft import LoraConfig
from peft.utils import get_peft_model_state_dict
from safetensors.torch import load_file, save_file

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "engine" / "tests" / "golden" / "lora"
RANK = 2
WEIGHTS = [0.5, 1.0]
SEQ = 8

# Full module names (regexes, as peft's `target_modules` string form takes them).
UNET_TARGETS = {
    "sd15": [
        r"down_blocks\.0\.attentions\.0\.transformer_blocks\.0\.attn1\.to_q",
        r"down_blocks\.0\.attentions\.0\.transformer_blocks\.0\.attn2\.to_k",
        r"down_blocks\.0\.attentions\.1\.transformer_blocks\.0\.attn2\.to_out\.0",
        r"down_blocks\.0\.attentions\.1\.transformer_blocks\.0\.ff\.net\.0\.proj",
        r"mid_block\.attentions\.0\.proj_in",
        r"mid_block\.attentions\.0\.transformer_blocks\.0\.ff\.net\.2",
        r"up_blocks\.1\.resnets\.0\.conv1",
        r"up_blocks\.1\.resnets\.0\.conv_shortcut",
        r"up_blocks\.1\.resnets\.0\.time_emb_proj",
        r"up_blocks\.1\.attentions\.2\.transformer_blocks\.0\.attn1\.to_v",
    ],
    "sdxl": [
        r"down_blocks\.1\.attentions\.0\.transformer_blocks\.0\.attn1\.to_q",
        r"down_blocks\.1\.attentions\.0\.transformer_blocks\.1\.attn2\.to_k",
        r"down_blocks\.1\.attentions\.1\.transformer_blocks\.1\.ff\.net\.0\.proj",
        r"down_blocks\.1\.attentions\.1\.proj_in",
        r"mid_block\.attentions\.0\.transformer_blocks\.0\.attn2\.to_out\.0",
        r"up_blocks\.0\.resnets\.0\.conv1",
        r"up_blocks\.0\.resnets\.0\.conv_shortcut",
        r"up_blocks\.0\.attentions\.2\.transformer_blocks\.1\.attn1\.to_v",
        r"up_blocks\.1\.resnets\.1\.time_emb_proj",
    ],
}
# transformers 5 names CLIP's modules without the checkpoint's `text_model.` (so peft's
# state dict has `text_encoder.encoder.layers.…`); older versions had it.
# The LDM (sgm) names of the SDXL targets, as kohya-ss names SDXL LoRAs
# (`lora_unet_input_blocks_4_1_…`); diffusers maps them back itself
# (`_maybe_map_sgm_blocks_to_diffusers`), and `check_fused` confirms it lands on the same weights.
LDM_NAMES = {
    "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q": "input_blocks.4.1.transformer_blocks.0.attn1.to_q",
    "down_blocks.1.attentions.0.transformer_blocks.1.attn2.to_k": "input_blocks.4.1.transformer_blocks.1.attn2.to_k",
    "down_blocks.1.attentions.1.transformer_blocks.1.ff.net.0.proj": "input_blocks.5.1.transformer_blocks.1.ff.net.0.proj",
    "down_blocks.1.attentions.1.proj_in": "input_blocks.5.1.proj_in",
    "mid_block.attentions.0.transformer_blocks.0.attn2.to_out.0": "middle_block.1.transformer_blocks.0.attn2.to_out.0",
    "up_blocks.0.resnets.0.conv1": "output_blocks.0.0.in_layers.2",
    "up_blocks.0.resnets.0.conv_shortcut": "output_blocks.0.0.skip_connection",
    "up_blocks.0.attentions.2.transformer_blocks.1.attn1.to_v": "output_blocks.2.1.transformer_blocks.1.attn1.to_v",
    "up_blocks.1.resnets.1.time_emb_proj": "output_blocks.4.0.emb_layers.1",
}
TE_TARGETS = [
    r"(text_model\.)?encoder\.layers\.0\.self_attn\.q_proj",
    r"(text_model\.)?encoder\.layers\.1\.self_attn\.v_proj",
    r"(text_model\.)?encoder\.layers\.2\.mlp\.fc1",
    r"(text_model\.)?encoder\.layers\.3\.self_attn\.out_proj",
]
# With an `out_proj`: diffusers 0.42 guesses a text encoder's LoRA layout from its keys
# (`to_out_lora` for kohya's converted names, `lora_linear_layer` for peft's after its own
# conversion), and without an attention output projection it drops kohya's `q_proj` LoRAs or
# refuses peft's MLP-only ones ("Could not automatically infer state dict type").
TE2_TARGETS = [
    r"(text_model\.)?encoder\.layers\.0\.self_attn\.q_proj",
    r"(text_model\.)?encoder\.layers\.1\.mlp\.fc1",
    r"(text_model\.)?encoder\.layers\.3\.self_attn\.out_proj",
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_pipe(folder: Path, family: str):
    if family == "sdxl":
        pipe = StableDiffusionXLPipeline.from_pretrained(folder, add_watermarker=False)
    else:
        pipe = StableDiffusionPipeline.from_pretrained(
            folder, safety_checker=None, requires_safety_checker=False
        )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def networks(pipe, family):
    nets = {"unet": pipe.unet, "text_encoder": pipe.text_encoder}
    if family == "sdxl":
        nets["text_encoder_2"] = pipe.text_encoder_2
    return nets


def targets(family):
    t = {"unet": UNET_TARGETS[family], "text_encoder": TE_TARGETS}
    if family == "sdxl":
        t["text_encoder_2"] = TE2_TARGETS
    return t


def make_lora(pipe, family, gen):
    """peft adapters on every network with random A and B; returns {net: peft state dict}."""
    out = {}
    for net_name, pattern in targets(family).items():
        net = networks(pipe, family)[net_name]
        config = LoraConfig(
            r=RANK,
            lora_alpha=RANK,
            init_lora_weights=False,
            target_modules="^(" + "|".join(pattern) + ")$",
        )
        net.add_adapter(config)
        for name, p in sorted(net.named_parameters()):
            if "lora_" in name:
                p.data = torch.randn(p.shape, generator=gen) * 0.3
        sd = get_peft_model_state_dict(net)
        modules = {k.split(".lora_")[0] for k in sd}
        assert len(modules) == len(pattern), (net_name, sorted(modules))
        out[net_name] = {k: v.detach().clone().contiguous() for k, v in sd.items()}
    return out


def kohya_alpha(down: torch.Tensor) -> float:
    """kohya's `network_alpha` for linear modules and `conv_alpha` for convolutions: both
    differ from the rank (2) and from each other, so alpha / rank is applied per module.

    Not one alpha per module: diffusers 0.42 turns per-module alphas into peft's
    `alpha_pattern` under names that keep `attn1.processor` (kohya attention modules inside
    transformer blocks) or `text_model.` (text encoders, whose transformers-5 modules lack
    it), so such modules silently get the most common alpha instead of their own. kohya and
    A1111 apply each module's own alpha, as reportfig does; the goldens stay where diffusers
    is right.
    """
    return 4.0 if down.dim() == 4 else 1.0


def kohya_layout(lora, family, ldm=False):
    prefixes = {"unet": "lora_unet_"}
    if family == "sdxl":
        prefixes |= {"text_encoder": "lora_te1_", "text_encoder_2": "lora_te2_"}
    else:
        prefixes["text_encoder"] = "lora_te_"
    tensors, alphas = {}, {}
    for net_name, sd in lora.items():
        modules = sorted({k.split(".lora_")[0] for k in sd})
        for m in modules:
            # kohya-ss names text-encoder modules by the checkpoint's keys (`text_model.…`).
            full = m if net_name == "unet" or m.startswith("text_model.") else f"text_model.{m}"
            if ldm and net_name == "unet":
                full = LDM_NAMES[m]
            key = prefixes[net_name] + full.replace(".", "_")
            tensors[f"{key}.lora_down.weight"] = sd[f"{m}.lora_A.weight"]
            tensors[f"{key}.lora_up.weight"] = sd[f"{m}.lora_B.weight"]
            alpha = kohya_alpha(sd[f"{m}.lora_A.weight"])
            tensors[f"{key}.alpha"] = torch.tensor(alpha)
            alphas[(net_name, m)] = alpha
    return tensors, alphas


def save(pipe_cls, folder: Path, name: str, layers, metadata=None):
    kwargs = {f"{k}_lora_layers": v for k, v in layers.items()}
    if metadata:
        kwargs |= {f"{k}_lora_adapter_metadata": v for k, v in metadata.items()}
    pipe_cls.save_lora_weights(folder, weight_name=name, safe_serialization=True, **kwargs)
    return folder / name


def fixed_inputs(pipe, family, gen):
    cfg = pipe.unet.config
    cross = cfg.cross_attention_dim
    inputs = {
        "sample": torch.randn((1, cfg.in_channels, 8, 8), generator=gen),
        "encoder_hidden_states": torch.randn((1, 7, cross), generator=gen),
        "timestep": torch.tensor([451.0], dtype=torch.float64),
        "input_ids": torch.randint(3, 990, (1, SEQ), generator=gen, dtype=torch.int64),
    }
    if cfg.addition_embed_type == "text_time":
        pooled = cfg.projection_class_embeddings_input_dim - 6 * cfg.addition_time_embed_dim
        inputs["text_embeds"] = torch.randn((1, pooled), generator=gen)
        inputs["time_ids"] = torch.tensor([[64.0, 64.0, 0.0, 0.0, 64.0, 64.0]])
    return inputs


def outputs(pipe, family, inputs):
    kwargs = {}
    if "text_embeds" in inputs:
        kwargs["added_cond_kwargs"] = {
            "text_embeds": inputs["text_embeds"],
            "time_ids": inputs["time_ids"],
        }
    out = {
        "unet": pipe.unet(
            inputs["sample"], 451, encoder_hidden_states=inputs["encoder_hidden_states"], **kwargs
        ).sample
    }
    for net_name, net in list(networks(pipe, family).items())[1:]:
        r = net(inputs["input_ids"], output_hidden_states=True)
        out[f"{net_name}.last_hidden_state"] = r.last_hidden_state
        out[f"{net_name}.penultimate"] = r.hidden_states[-2]
        if net_name == "text_encoder_2":
            out[f"{net_name}.text_embeds"] = r.text_embeds
    return {k: v.detach().contiguous() for k, v in out.items()}


def weights_of(pipe, family):
    return {
        (n, k): v.detach().clone()
        for n, net in networks(pipe, family).items()
        for k, v in net.state_dict().items()
    }


def check_fused(base, fused, lora, scale_of, w):
    """Exactly the LoRA's modules changed, each by w * scale * B @ A."""
    expected = {}
    for net_name, sd in lora.items():
        for k in sd:
            if k.endswith(".lora_A.weight"):
                m = k[: -len(".lora_A.weight")]
                a, b = sd[k], sd[f"{m}.lora_B.weight"]
                delta = b.flatten(1) @ a.flatten(1)
                expected[(net_name, f"{m}.weight")] = w * scale_of(net_name, m) * delta
    changed = {k for k in base if not torch.equal(base[k], fused[k])}
    assert changed == set(expected), sorted(changed ^ set(expected))
    for k, d in expected.items():
        got = (fused[k] - base[k]).flatten(1)
        assert torch.allclose(got, d, atol=1e-5, rtol=1e-4), (k, (got - d).abs().max())


def main() -> None:
    if len(sys.argv) > 1:
        fixtures = Path(sys.argv[1])
    else:
        fixtures = Path(tempfile.mkdtemp(prefix="reportfig-lora-"))
        subprocess.run(
            ["cargo", "run", "-q", "-p", "reportfig-testkit", "--example", "tiny_models", "--", str(fixtures)],
            cwd=ROOT,
            check=True,
        )
    torch.set_grad_enabled(False)
    torch.set_num_threads(2)
    for family in ["sd15", "sdxl"]:
        folder = fixtures / family
        pipe_cls = StableDiffusionXLPipeline if family == "sdxl" else StableDiffusionPipeline
        files_dir = OUT / family
        files_dir.mkdir(parents=True, exist_ok=True)
        gen = torch.Generator("cpu").manual_seed(77 if family == "sd15" else 78)

        pipe = load_pipe(folder, family)
        inputs = fixed_inputs(pipe, family, gen)
        base_weights = weights_of(pipe, family)
        tensors = {f"input.{k}": v for k, v in inputs.items()}
        tensors |= {f"base.{k}": v for k, v in outputs(pipe, family, inputs).items()}
        lora = make_lora(pipe, family, gen)
        del pipe

        files = {"peft": (save(pipe_cls, files_dir, "peft.safetensors", lora), lambda n, m: 1.0)}
        if family == "sd15":
            meta_alpha = {("unet", UNET_TARGETS[family][4].replace("\\", "")): 3.0}
            meta = {}
            for net_name in lora:
                cfg = LoraConfig(
                    r=RANK,
                    lora_alpha=8,
                    target_modules=sorted({k.split(".lora_")[0] for k in lora[net_name]}),
                    alpha_pattern={m: a for (n, m), a in meta_alpha.items() if n == net_name},
                ).to_dict()
                # A set in peft's dict: sorted, so the file's bytes do not depend on hashing.
                cfg["target_modules"] = sorted(cfg["target_modules"])
                meta[net_name] = cfg
            files["peft_meta"] = (
                save(pipe_cls, files_dir, "peft_meta.safetensors", lora, meta),
                lambda n, m: meta_alpha.get((n, m), 8.0) / RANK,
            )
            old = {n: convert_state_dict_to_diffusers(sd) for n, sd in lora.items()}
            files["diffusers"] = (
                save(pipe_cls, files_dir, "diffusers.safetensors", old),
                lambda n, m: 1.0,
            )
        kohya, alphas = kohya_layout(lora, family)
        kohya_path = files_dir / "kohya.safetensors"
        save_file(kohya, kohya_path)
        files["kohya"] = (kohya_path, lambda n, m: alphas[(n, m)] / RANK)
        if family == "sdxl":
            kohya_ldm, alphas_ldm = kohya_layout(lora, family, ldm=True)
            ldm_path = files_dir / "kohya_ldm.safetensors"
            save_file(kohya_ldm, ldm_path)
            files["kohya_ldm"] = (ldm_path, lambda n, m: alphas_ldm[(n, m)] / RANK)

        meta = {
            "family": family,
            "rank": str(RANK),
            "weights": json.dumps(WEIGHTS),
            "formats": json.dumps(sorted(files)),
            "fixture_sha256": json.dumps(
                {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*.safetensors"))},
                sort_keys=True,
            ),
            "lora_sha256": json.dumps({k: sha256(p) for k, (p, _) in sorted(files.items())}, sort_keys=True),
        }
        for fmt, (path, scale_of) in sorted(files.items()):
            for w in WEIGHTS:
                pipe = load_pipe(folder, family)
                pipe.load_lora_weights(path)
                pipe.fuse_lora(components=list(networks(pipe, family)), lora_scale=w)
                pipe.unload_lora_weights()
                print(f"checking {family} {fmt} w={w}", flush=True)
                check_fused(base_weights, weights_of(pipe, family), lora, scale_of, w)
                for k, v in outputs(pipe, family, inputs).items():
                    tensors[f"{fmt}.{w}.{k}"] = v
                del pipe
        # A LoRA must change what it touches: the Rust test checks its merge is not a no-op.
        for k in tensors:
            if k.startswith("kohya.1.0."):
                base = tensors["base." + k[len("kohya.1.0."):]]
                assert not torch.allclose(base, tensors[k], atol=1e-3), k
        save_file(tensors, OUT / f"{family}.safetensors", metadata=meta)
        print(json.dumps({"family": family, "formats": sorted(files), "lora_bytes": {
            k: p.stat().st_size for k, (p, _) in sorted(files.items())}}))


if __name__ == "__main__":
    main()
