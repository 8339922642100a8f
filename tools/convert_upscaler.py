"""Convert a Real-ESRGAN compact upscaler .pth (e.g. realesr-general-x4v3.pth) once into the
folder `reportfig --print ... --upscaler DIR` reads: DIR/model.safetensors and DIR/config.json.

Usage: /work/venv/bin/python tools/convert_upscaler.py WEIGHTS.pth DIR [--upscale 4]

The .pth is read with torch.load(weights_only=True), which refuses pickled code; reportfig
itself never unpickles anything. Real-ESRGAN's files keep the state dict under `params`
(or `params_ema`); the names (`body.N.weight`, `body.N.bias`) are kept as they are. The
number of features and convolutions is read from the shapes; the scale cannot be, since
the last convolution has out_ch * upscale^2 channels, so it is derived with out_ch = 3.
"""

import argparse
import json
import math
from pathlib import Path

import torch
from safetensors.torch import save_file


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pth", type=Path)
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    state = torch.load(args.pth, map_location="cpu", weights_only=True)
    for key in ("params_ema", "params"):
        if isinstance(state, dict) and key in state:
            state = state[key]
            break
    convs = sorted(
        int(k.split(".")[1]) for k, v in state.items() if k.startswith("body.") and k.endswith(".weight") and v.dim() == 4
    )
    if not convs or convs[0] != 0:
        raise SystemExit(f"{args.pth}: no body.0.weight convolution; not an SRVGGNetCompact")
    first, last = state["body.0.weight"], state[f"body.{convs[-1]}.weight"]
    num_feat = first.shape[0]
    num_conv = len(convs) - 2
    upscale = math.isqrt(last.shape[0] // 3)
    if upscale * upscale * 3 != last.shape[0]:
        raise SystemExit(f"{args.pth}: last convolution has {last.shape[0]} channels, not 3 * r^2")
    cfg = {"num_in_ch": first.shape[1], "num_out_ch": 3, "num_feat": num_feat, "num_conv": num_conv, "upscale": upscale}
    args.out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous().float() for k, v in state.items()}, args.out / "model.safetensors")
    (args.out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    print(args.out, cfg)


if __name__ == "__main__":
    main()
