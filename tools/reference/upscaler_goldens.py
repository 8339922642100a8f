"""Golden outputs of Real-ESRGAN's compact upscaler (SRVGGNetCompact) on the tiny fixture.

Usage: /work/venv/bin/python tools/reference/upscaler_goldens.py [FIXTURE_DIR]

Without FIXTURE_DIR it first runs `cargo run -p reportfig-testkit --example tiny_upscaler`
into a temporary folder. The network below is written from the architecture of
`realesrgan/archs/srvgg_arch.py` (BSD-3): body = [conv(in, F), PReLU(F)] + num_conv x
[conv(F, F), PReLU(F)] + [conv(F, out * r^2)], then PixelShuffle(r), plus the input
upsampled by nearest neighbour. The fixture's state dict must load with strict=True.

Writes crates/engine/tests/golden/upscale/tiny.safetensors:
  caseN.input   [1, 3, h, w] in 0..1 (fixed seed)
  caseN.output  [1, 3, 4h, 4w] (unclamped)
  weights_sha256 (metadata)  SHA-256 of the fixture's model.safetensors

and crates/engine/tests/fixtures/upscaler-tiny.pth: the same weights saved the way
Real-ESRGAN saves its releases (`torch.save({"params": net.state_dict()}, path)`, the zip
layout), which reportfig reads without unpickling code.
"""

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/engine/tests/golden/upscale/tiny.safetensors"
PTH = ROOT / "crates/engine/tests/fixtures/upscaler-tiny.pth"


class CompactUpscaler(nn.Module):
    def __init__(self, num_in_ch, num_out_ch, num_feat, num_conv, upscale):
        super().__init__()
        self.upscale = upscale
        layers = [nn.Conv2d(num_in_ch, num_feat, 3, 1, 1), nn.PReLU(num_parameters=num_feat)]
        for _ in range(num_conv):
            layers += [nn.Conv2d(num_feat, num_feat, 3, 1, 1), nn.PReLU(num_parameters=num_feat)]
        layers.append(nn.Conv2d(num_feat, num_out_ch * upscale * upscale, 3, 1, 1))
        self.body = nn.ModuleList(layers)
        self.shuffle = nn.PixelShuffle(upscale)

    def forward(self, x):
        y = x
        for layer in self.body:
            y = layer(y)
        y = self.shuffle(y)
        return y + F.interpolate(x, scale_factor=self.upscale, mode="nearest")


def main():
    if len(sys.argv) > 1:
        fixture = Path(sys.argv[1])
    else:
        fixture = Path(tempfile.mkdtemp()) / "upscaler"
        subprocess.run(
            ["cargo", "run", "-q", "-p", "reportfig-testkit", "--example", "tiny_upscaler", "--", str(fixture)],
            check=True,
            cwd=ROOT,
        )
    cfg = json.loads((fixture / "config.json").read_text())
    weights = fixture / "model.safetensors"
    model = CompactUpscaler(cfg["num_in_ch"], cfg["num_out_ch"], cfg["num_feat"], cfg["num_conv"], cfg["upscale"])
    model.load_state_dict(load_file(weights), strict=True)
    model.eval()

    gen = torch.Generator().manual_seed(20261202)
    tensors = {}
    for i, (h, w) in enumerate([(8, 8), (11, 13)]):
        x = torch.rand((1, 3, h, w), generator=gen)
        with torch.no_grad():
            y = model(x)
        tensors[f"case{i}.input"] = x.contiguous()
        tensors[f"case{i}.output"] = y.contiguous()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(
        tensors,
        OUT,
        metadata={
            "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
            "torch": torch.__version__,
            "config": json.dumps(cfg, sort_keys=True),
        },
    )
    print(OUT, OUT.stat().st_size, "bytes")
    # A module's own state_dict (an OrderedDict with _metadata, tensors as storage views), as
    # basicsr's save_network writes it; the EMA copy is what releases ship under "params".
    torch.save({"params": model.state_dict()}, PTH)
    check = torch.load(PTH, map_location="cpu", weights_only=True)["params"]
    assert all(torch.equal(check[k], v) for k, v in load_file(weights).items())
    print(PTH, PTH.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
