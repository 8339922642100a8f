#!/usr/bin/env python3
"""OpenVINO timings of the same diffusers networks and shapes as `tools/bench/bench_torch.py`,
so one sitting gives reportfig ÷ PyTorch and reportfig ÷ OpenVINO.

    /work/venv/bin/pip install openvino
    /work/venv/bin/python tools/bench/bench_openvino.py [--runs 3] [--threads 2] [--only TEXT]
        [--text-config configs/reference/stabilityai--sd-turbo/text_encoder/config.json]
        [--unet-config configs/reference/stabilityai--sd-turbo/unet/config.json]
        [--vae-config configs/reference/stabilityai--sd-turbo/vae/config.json]
        [--whole] [--json openvino.json]

Each network is built from its config with random weights (they run exactly as fast as real
ones), converted with `openvino.convert_model` from the PyTorch module diffusers builds, and
compiled for the CPU with f32 inference precision (OpenVINO would otherwise use bf16 on CPUs
that have it, which is not the comparison) and the given number of threads. The rows have the
Rust bench's names (without " ours"); `--json` writes {stage: median seconds}, which
`cargo run --release -p reportfig-bench -- --openvino FILE` reads to print its "÷ OV" column.
Conversion time is not counted, as a user converts once.
"""
import argparse
import json
import statistics
import time

import numpy as np
import openvino as ov
import torch

# The same config reading and peak measure as the PyTorch side (this folder is on sys.path).
from bench_torch import load_config, peak_rss_gib


class Bench:
    def __init__(self, runs, only):
        self.runs, self.only, self.rows = runs, only, {}
        print(f"{'stage':<46} {'median s':>9} {'peak GiB':>9}")

    def wanted(self, name):
        return not self.only or self.only in name

    def time(self, name, fn):
        if not self.wanted(name):
            return
        fn()
        ts = []
        for _ in range(max(1, self.runs)):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
        med = statistics.median(ts)
        self.rows[name] = med
        print(f"{name:<46} {med:>9.3f} {peak_rss_gib():>9.2f}", flush=True)


class Compiler:
    def __init__(self, threads):
        self.core = ov.Core()
        self.config = {
            "INFERENCE_NUM_THREADS": threads,
            "INFERENCE_PRECISION_HINT": "f32",
            "PERFORMANCE_HINT": "LATENCY",
        }

    def compile(self, module, example):
        with torch.no_grad():
            model = ov.convert_model(module.eval(), example_input=example)
        return self.core.compile_model(model, "CPU", self.config)


class UNetStep(torch.nn.Module):
    """The UNet as a function of tensors only, as convert_model traces it."""

    def __init__(self, unet, sdxl):
        super().__init__()
        self.unet, self.sdxl = unet, sdxl

    def forward(self, sample, timestep, text, text_embeds=None, time_ids=None):
        kwargs = {}
        if self.sdxl:
            kwargs["added_cond_kwargs"] = {"text_embeds": text_embeds, "time_ids": time_ids}
        return self.unet(sample, timestep, encoder_hidden_states=text, return_dict=False, **kwargs)[0]


class VaeDecode(torch.nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, z):
        return self.vae.decode(z, return_dict=False)[0]


class TextEncoder(torch.nn.Module):
    def __init__(self, enc):
        super().__init__()
        self.enc = enc

    def forward(self, ids):
        return self.enc(ids, return_dict=False)[0]


def unet_inputs(cfg, batch):
    ctx = cfg.get("cross_attention_dim", 768)
    ctx = ctx[0] if isinstance(ctx, list) else ctx
    sdxl = cfg.get("addition_embed_type") == "text_time"
    size = cfg.get("sample_size", 128) if sdxl else 64
    inputs = [
        torch.randn(batch, cfg.get("in_channels", 4), size, size),
        # 1-d: OpenVINO feeds a 0-d array as shape (1); diffusers broadcasts either.
        torch.tensor([999.0]),
        torch.randn(batch, 77, ctx),
    ]
    if sdxl:
        pooled = cfg["projection_class_embeddings_input_dim"] - 6 * cfg["addition_time_embed_dim"]
        px = float(size * 8)
        inputs += [torch.randn(batch, pooled), torch.tensor([[px, px, 0.0, 0.0, px, px]] * batch)]
    return sdxl, size, inputs


def as_arrays(inputs):
    return [np.ascontiguousarray(t.numpy()) for t in inputs]


def networks(b, c, text_path, unet_path, vae_path):
    from diffusers import AutoencoderKL, UNet2DConditionModel

    if text_path and b.wanted("text encoder 77 tokens"):
        from transformers import CLIPTextConfig, CLIPTextModel

        enc = CLIPTextModel(CLIPTextConfig(**load_config(text_path)))
        ids = torch.zeros(1, 77, dtype=torch.long)
        compiled = c.compile(TextEncoder(enc), (ids,))
        b.time("text encoder 77 tokens", lambda: compiled([ids.numpy()]))
        del enc, compiled
    if unet_path:
        cfg = load_config(unet_path)
        unet = UNet2DConditionModel(**cfg)
        for batch in (1, 2):
            sdxl, size, inputs = unet_inputs(cfg, batch)
            name = f"unet step batch {batch} {size}²"
            if not b.wanted(name):
                continue
            compiled = c.compile(UNetStep(unet, sdxl), tuple(inputs))
            feed = as_arrays(inputs)
            b.time(name, lambda: compiled(feed))
            del compiled
        del unet
    if vae_path and b.wanted("vae decode 64²→512²"):
        cfg = load_config(vae_path)
        vae = AutoencoderKL(**cfg)
        z = torch.randn(1, cfg.get("latent_channels", 4), 64, 64)
        compiled = c.compile(VaeDecode(vae), (z,))
        b.time("vae decode 64²→512²", lambda: compiled([z.numpy()]))


def whole_image(b, c, text_path, unet_path, vae_path):
    """Text encoder + one UNet step at batch 1 + VAE decode, as bench_torch.py's row."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    ucfg = load_config(unet_path)
    ids = torch.zeros(1, 77, dtype=torch.long)
    enc = c.compile(TextEncoder(CLIPTextModel(CLIPTextConfig(**load_config(text_path)))), (ids,))
    sdxl, size, inputs = unet_inputs(ucfg, 1)
    unet = c.compile(UNetStep(UNet2DConditionModel(**ucfg), sdxl), tuple(inputs))
    vcfg = load_config(vae_path)
    z = torch.randn(1, vcfg.get("latent_channels", 4), size, size)
    vae = c.compile(VaeDecode(AutoencoderKL(**vcfg)), (z,))
    latents = inputs[0].numpy()
    step = as_arrays(inputs[1:2])[0]
    extra = as_arrays(inputs[3:])

    def run():
        text = enc([ids.numpy()])[0]
        eps = unet([latents, step, text] + extra)[0]
        vae([latents - eps])

    b.time(f"whole turbo image {size * 8}²", run)
    print(f"process peak over the whole run: {peak_rss_gib():.2f} GiB")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only")
    ap.add_argument("--text-config")
    ap.add_argument("--unet-config")
    ap.add_argument("--vae-config")
    ap.add_argument("--json", help="write {stage: median seconds} here")
    ap.add_argument("--whole", action="store_true",
                    help="only the whole-image row (needs all three configs); run it in its own process")
    a = ap.parse_args()
    torch.manual_seed(0)
    # Conversion traces in PyTorch; keep it to the same threads so it does not disturb others.
    torch.set_num_threads(a.threads)
    c = Compiler(a.threads)
    print(f"openvino {ov.__version__}, threads {a.threads}, f32, runs {a.runs} after one warm-up")
    b = Bench(a.runs, a.only)
    if a.whole:
        whole_image(b, c, a.text_config, a.unet_config, a.vae_config)
    else:
        networks(b, c, a.text_config, a.unet_config, a.vae_config)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(b.rows, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
