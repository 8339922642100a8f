#!/usr/bin/env python3
"""PyTorch + diffusers timings on the same shapes as `cargo run --release -p reportfig-bench --`.

    /work/venv/bin/python tools/bench/bench_torch.py [--runs 3] [--threads 2] [--only TEXT]
        [--text-config configs/reference/stabilityai--sd-turbo/text_encoder/config.json]
        [--unet-config configs/reference/stabilityai--sd-turbo/unet/config.json]
        [--vae-config configs/reference/stabilityai--sd-turbo/vae/config.json]
        [--translator-config configs/reference/Helsinki-NLP--opus-mt-ko-en]
        [--json torch.json]

Prints the same table (median seconds after one warm-up, GFLOP/s, peak RSS of the process so
far) and writes {stage: median seconds} to --json, which the Rust bench reads with --torch to
print reportfig/PyTorch ratios. Row names match the Rust bench's without " ours".
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn.functional as F


def peak_rss_gib():
    # ru_maxrss is in KiB on Linux and never resets, unlike the Rust bench's per-row peak.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


class Bench:
    def __init__(self, runs, only):
        self.runs, self.only, self.rows = runs, only, {}
        print(f"{'stage':<46} {'median s':>9} {'GFLOP/s':>8} {'peak GiB':>9}")

    def time(self, name, gflop, fn):
        if self.only and self.only not in name:
            return
        with torch.inference_mode():
            fn()
            ts = []
            for _ in range(max(1, self.runs)):
                t = time.perf_counter()
                fn()
                ts.append(time.perf_counter() - t)
        med = statistics.median(ts)
        self.rows[name] = med
        gf = f"{gflop / med:.1f}" if gflop else "-"
        print(f"{name:<46} {med:>9.3f} {gf:>8} {peak_rss_gib():>9.2f}", flush=True)


def kernels(b):
    n = 4096
    x, y = torch.randn(n, n), torch.randn(n, n)
    b.time("matmul 4096³", 2 * n**3 / 1e9, lambda: x @ y)
    for label, ci, co, s, stride in [
        ("unet conv 320→320 64²", 320, 320, 64, 1),
        ("unet conv 320→320 64² stride 2", 320, 320, 64, 2),
        ("unet conv 640→640 32²", 640, 640, 32, 1),
        ("unet conv 1280→1280 16²", 1280, 1280, 16, 1),
        ("unet conv 1280→1280 8²", 1280, 1280, 8, 1),
        ("vae conv 512→512 64²", 512, 512, 64, 1),
        ("vae conv 512→512 128²", 512, 512, 128, 1),
        ("vae conv 256→256 256²", 256, 256, 256, 1),
        ("vae conv 128→128 512²", 128, 128, 512, 1),
    ]:
        if b.only and b.only not in label:
            continue
        x = torch.randn(1, ci, s, s)
        w = torch.randn(co, ci, 3, 3) * 0.02
        bias = torch.randn(co)
        so = (s + 2 - 3) // stride + 1
        gf = 2 * co * so * so * ci * 9 / 1e9
        b.time(label, gf, lambda: F.conv2d(x, w, bias, stride=stride, padding=1))
    for label, h, nq, nk, d in [
        ("unet self-attn 5×4096² d64", 5, 4096, 4096, 64),
        ("unet cross-attn 5×4096×77 d64", 5, 4096, 77, 64),
        ("vae mid attn 1×4096² d512", 1, 4096, 4096, 512),
    ]:
        q, k, v = torch.randn(1, h, nq, d), torch.randn(1, h, nk, d), torch.randn(1, h, nk, d)
        b.time(label, 4 * h * nq * nk * d / 1e9, lambda: F.scaled_dot_product_attention(q, k, v))
    for label, c, s in [("group norm+silu 128×512²", 128, 512), ("group norm+silu 320×64²", 320, 64)]:
        x, g, bt = torch.randn(1, c, s, s), torch.randn(c), torch.randn(c)
        b.time(label, None, lambda: F.silu(F.group_norm(x, 32, g, bt, 1e-6)))


def load_config(path):
    with open(path) as f:
        return {k: v for k, v in json.load(f).items() if not k.startswith("_")}


def networks(b, text_path, unet_path, vae_path):
    from diffusers import AutoencoderKL, UNet2DConditionModel

    if text_path:
        from transformers import CLIPTextConfig, CLIPTextModel

        enc = CLIPTextModel(CLIPTextConfig(**load_config(text_path))).eval()
        ids = torch.zeros(1, 77, dtype=torch.long)
        b.time("text encoder 77 tokens", None, lambda: enc(ids))
        del enc

    if unet_path:
        cfg = load_config(unet_path)
        unet = UNet2DConditionModel(**cfg).eval()
        ctx = cfg.get("cross_attention_dim", 768)
        ctx = ctx[0] if isinstance(ctx, list) else ctx
        sd21 = ctx == 1024 and cfg.get("block_out_channels") == [320, 640, 1280, 1280]
        # SD at 64² latents; SDXL (text_time conditioning) at its native size with pooled
        # text embeddings and size ids, as crates/bench/src/main.rs does.
        sdxl = cfg.get("addition_embed_type") == "text_time"
        size = cfg.get("sample_size", 128) if sdxl else 64
        for batch in (1, 2):
            x = torch.randn(batch, cfg.get("in_channels", 4), size, size)
            text = torch.randn(batch, 77, ctx)
            kwargs = {}
            if sdxl:
                pooled = cfg["projection_class_embeddings_input_dim"] - 6 * cfg["addition_time_embed_dim"]
                px = float(size * 8)
                kwargs["added_cond_kwargs"] = {
                    "text_embeds": torch.randn(batch, pooled),
                    "time_ids": torch.tensor([[px, px, 0.0, 0.0, px, px]] * batch),
                }
            b.time(f"unet step batch {batch} {size}²", 804.0 * batch if sd21 else None,
                   lambda: unet(x, 999, encoder_hidden_states=text, **kwargs))
        del unet
    if vae_path:
        cfg = load_config(vae_path)
        vae = AutoencoderKL(**cfg).eval()
        z = torch.randn(1, cfg.get("latent_channels", 4), 64, 64)
        gf = 2515.0 if cfg.get("block_out_channels") == [128, 256, 512, 512] else None
        b.time("vae decode 64²→512²", gf, lambda: vae.decode(z))
        x = torch.randn(1, cfg.get("in_channels", 3), 512, 512)
        b.time("vae encode 512²→64²", None, lambda: vae.encode(x).latent_dist)


def whole_image(b, text_path, unet_path, vae_path, steps=1):
    """Text encoder + `steps` UNet calls at batch 1 (no CFG) + VAE decode, the three
    networks loaded; the row names match the Rust bench's (`--whole --steps N`)."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    enc = CLIPTextModel(CLIPTextConfig(**load_config(text_path))).eval()
    ucfg = load_config(unet_path)
    unet = UNet2DConditionModel(**ucfg).eval()
    vae = AutoencoderKL(**load_config(vae_path)).eval()
    ids = torch.zeros(1, 77, dtype=torch.long)
    latents = torch.randn(1, ucfg.get("in_channels", 4), 64, 64)

    def run():
        text = enc(ids).last_hidden_state
        z = latents
        for i in range(steps):
            eps = unet(z, 999 - i * 1000 // steps, encoder_hidden_states=text).sample
            z = (z - eps) * 0.5
        vae.decode(z)

    name = "whole turbo image 512²" if steps == 1 else f"whole image 512², {steps} steps, no CFG"
    b.time(name, None, run)
    print(f"process peak over the whole run: {peak_rss_gib():.2f} GiB")


def tiny_decoder(b):
    """diffusers' AutoencoderTiny at its defaults (madebyollin/taesd's config), decoding 64²
    latents to 512², the Rust bench's `tiny decoder` row."""
    from diffusers import AutoencoderTiny

    vae = AutoencoderTiny().eval()
    z = torch.randn(1, 4, 64, 64)
    b.time("tiny decoder (taesd) 64²→512²", None, lambda: vae.decode(z))


def translator(b, folder):
    """transformers' MarianMTModel.generate on a 20-token input, random weights, with the
    repo's generation_config.json but max_length 32 / min_length 31, so that both sides run
    exactly 31 decoder steps (see translator_rows in crates/bench/src/main.rs)."""
    from transformers import GenerationConfig, MarianConfig, MarianMTModel

    cfg = MarianConfig(**load_config(f"{folder}/config.json"))
    model = MarianMTModel(cfg).eval()
    gen = load_config(f"{folder}/generation_config.json")
    gen.pop("transformers_version", None)
    vocab = cfg.vocab_size
    ids = torch.tensor([[(i * 3251) % (vocab - 2) + 1 for i in range(1, 20)] + [0]])
    mask = torch.ones_like(ids)
    for label, beams in [("4 beams", None), ("greedy", 1)]:
        g = dict(gen, max_length=32, min_length=31)
        if beams is not None:
            g["num_beams"] = beams
        gc = GenerationConfig(**g)

        def run():
            out = model.generate(input_ids=ids, attention_mask=mask, generation_config=gc)
            assert out.shape[1] == 32, out.shape

        b.time(f"translate 20 tokens ko→en {label}", None, run)


class SrVggNetCompact(torch.nn.Module):
    """Real-ESRGAN's compact net as `realesr-general-x4v3` is built (basicsr's SRVGGNetCompact:
    conv, PReLU, 32 × (conv, PReLU), conv to 3·4² channels, pixel shuffle, plus the nearest
    enlargement of the input), written out here so no extra package is needed."""

    def __init__(self, feat=64, num_conv=32, scale=4):
        super().__init__()
        layers = [torch.nn.Conv2d(3, feat, 3, padding=1), torch.nn.PReLU(feat)]
        for _ in range(num_conv):
            layers += [torch.nn.Conv2d(feat, feat, 3, padding=1), torch.nn.PReLU(feat)]
        layers.append(torch.nn.Conv2d(feat, 3 * scale * scale, 3, padding=1))
        self.body, self.scale = torch.nn.Sequential(*layers), scale

    def forward(self, x):
        out = F.pixel_shuffle(self.body(x), self.scale)
        return out + F.interpolate(x, scale_factor=self.scale, mode="nearest")


def upscaler(b):
    """The Rust bench's upscaler rows: the network on a 512² picture, and the same picture
    in the app's tiles (`upscale::TILE`, 768 px with 34 px of context each side: one tile),
    clamped and turned into 8-bit values as the app does."""
    net = SrVggNetCompact().eval()
    feat, num_conv, scale = 64, 32, 4
    macs = lambda side: side * side * 9 * (3 * feat + num_conv * feat * feat + feat * 3 * scale * scale)
    image = torch.rand(1, 3, 512, 512)
    b.time("upscaler x4v3 network alone 512²", 2 * macs(512) / 1e9, lambda: net(image))
    tile_side, overlap = 768, num_conv + 2

    def tiled():
        for y0 in range(0, 512, tile_side):
            for x0 in range(0, 512, tile_side):
                y1, x1 = min(y0 + tile_side, 512), min(x0 + tile_side, 512)
                patch = image[:, :, max(0, y0 - overlap):min(512, y1 + overlap),
                              max(0, x0 - overlap):min(512, x1 + overlap)]
                out = net(patch.contiguous()).clamp(0, 1)
                (out * 255).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous()

    b.time("upscaler x4v3 512² -> 2048² (as --print runs it)", None, tiled)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only")
    ap.add_argument("--text-config")
    ap.add_argument("--unet-config")
    ap.add_argument("--vae-config")
    ap.add_argument("--translator-config", help="a Marian folder with config.json and generation_config.json")
    ap.add_argument("--no-kernels", action="store_true", help="only the whole networks")
    ap.add_argument("--json", help="write {stage: median seconds} here")
    ap.add_argument("--whole", action="store_true",
                    help="only the whole-image row (needs all three configs); run it in its own process")
    ap.add_argument("--steps", type=int, default=1, help="UNet calls in the --whole row (4 for LCM)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, runs {a.runs} after one warm-up")
    b = Bench(a.runs, a.only)
    if a.whole:
        whole_image(b, a.text_config, a.unet_config, a.vae_config, a.steps)
    else:
        if not a.no_kernels:
            kernels(b)
        networks(b, a.text_config, a.unet_config, a.vae_config)
        if a.translator_config:
            translator(b, a.translator_config)
        tiny_decoder(b)
        upscaler(b)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(b.rows, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
