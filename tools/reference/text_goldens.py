#!/usr/bin/env python3
"""Golden files for the CLIP tokenizer, text encoders and prompt encoding.

Run from the repository root with the reference virtualenv:

    /work/venv/bin/python tools/reference/text_goldens.py [--clip-bpe PATH]

1. Asks the Rust test suite to write the tiny text folders of every family (tokenizer(s) and
   text encoder(s) made by `src/fixtures/tokenizer.rs` with `RecordingBackend`) into a
   temporary folder.
2. Loads them with transformers 5.23 (`CLIPTokenizer`, `CLIPTextModel`,
   `CLIPTextModelWithProjection`), asserting no missing or unexpected weights, and writes per
   family `crates/engine/tests/golden/text/tiny_<family>.json` (prompts, token ids, dropped text) and
   `tiny_<family>.safetensors` (last hidden state, hidden_states[-2], pooled / text_embeds per
   prompt, and the prompt embeddings of diffusers 0.42's own `encode_prompt`).
3. With `--clip-bpe` (or `$REPORTFIG_CLIP_BPE`) pointing at OpenCLIP's
   `bpe_simple_vocab_16e6.txt.gz`, derives CLIP's real vocab.json / merges.txt and writes the
   token ids transformers gives for a few prompts to `crates/engine/tests/golden/text/real_vocab_ids.json`.
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer
from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "engine" / "tests" / "golden" / "text"

LONG = (
    "A detailed isometric illustration of a modern city district for the annual report of the "
    "city government, showing a busy intersection with smart traffic signals, pedestrians on "
    "the crosswalk, a bus station, bicycle lanes, electric cars charging at a station, a green "
    "park with trees, a library, a hospital, a school with children, a market with small "
    "shops, solar panels on every roof, a river with a bridge, and a chart of the budget "
    "growth over ten years in soft pastel colors on a clean white background"
)

# Prompts whose embeddings are compared (English, Korean, empty, longer than 77 tokens).
EMBED_PROMPTS = [
    "",
    "A clean flat illustration of a smart city intersection with traffic signals and a budget chart",
    "스마트 교통 신호가 있는 도시 교차로",
    LONG,
]

# Prompts only tokenized: normalisation, the split regex, added tokens and SD 2's `!` pad.
TOKEN_PROMPTS = EMBED_PROMPTS + [
    "A smart city!! Budget 2024: 3.5% growth, it's great",
    "Hello <|endoftext|> x <|ENDOFTEXT|> <|startoftext|>",
    "  Traffic\tsignal\n\n  at   NIGHT  ",
    "café naïve Ａ１ (ｆｕｌｌ-width) e\u0301 don't we'll I'M",
    "🚦 신호등 & 횡단보도 — 서울시 2025년 예산!",
    "!!! ! !",
    "a photo of a cat",
]

# diffusers pipeline-level cases: (name, prompt, negative prompt or None, force_zeros).
PIPELINE_CASES = {
    "sd": [
        ("no_negative", EMBED_PROMPTS[1], None, None),
        ("negative", EMBED_PROMPTS[2], "blurry, low quality, text, watermark", None),
    ],
    "sdxl": [
        ("no_negative_zeros", EMBED_PROMPTS[1], None, True),
        ("empty_negative", EMBED_PROMPTS[1], "", True),
        ("negative", EMBED_PROMPTS[2], "blurry, low quality", True),
        ("no_negative_encoded", LONG, None, False),
    ],
}

FAMILIES = ["sd15", "sd21", "turbo", "sdxl"]


def write_fixtures(dest: Path) -> None:
    # The complete tiny models; their text encoders and tokenizers are the ones the Rust
    # test regenerates.
    subprocess.run(
        ["cargo", "run", "--quiet", "-p", "reportfig-testkit", "--example", "tiny_models", "--", str(dest)],
        cwd=ROOT, check=True,
    )


def load_model(path: Path, cls):
    model, info = cls.from_pretrained(path, output_loading_info=True)
    for key in ("missing_keys", "unexpected_keys", "mismatched_keys"):
        assert not info[key], f"{path}: {key} {info[key]}"
    return model.eval()


def tokenize(tok, prompt: str):
    """Token ids and removed text exactly as diffusers' encode_prompt computes them."""
    ids = tok(prompt, padding="max_length", max_length=tok.model_max_length,
              truncation=True, return_tensors="pt").input_ids
    untruncated = tok(prompt, padding="longest", return_tensors="pt").input_ids
    dropped = None
    if untruncated.shape[-1] >= ids.shape[-1] and not torch.equal(ids, untruncated):
        dropped = tok.batch_decode(untruncated[:, tok.model_max_length - 1:-1])[0]
    return ids, dropped


def family_goldens(fam: str, folder: Path) -> None:
    encoders = ["text_encoder"] + (["text_encoder_2"] if fam == "sdxl" else [])
    meta = {"family": fam, "embed_prompts": EMBED_PROMPTS, "token_prompts": TOKEN_PROMPTS,
            "encoders": {}}
    tensors = {}
    loaded = {}
    for enc in encoders:
        tok_dir = "tokenizer" if enc == "text_encoder" else "tokenizer_2"
        cfg = json.loads((folder / enc / "config.json").read_text())
        with_proj = "CLIPTextModelWithProjection" in cfg["architectures"]
        model = load_model(folder / enc, CLIPTextModelWithProjection if with_proj else CLIPTextModel)
        tok = CLIPTokenizer.from_pretrained(folder / tok_dir)
        loaded[enc] = (tok, model)
        entry = {"tokenizer": tok_dir, "pad_token": str(tok.pad_token), "tokens": []}
        for prompt in TOKEN_PROMPTS:
            ids, dropped = tokenize(tok, prompt)
            entry["tokens"].append({"prompt": prompt, "ids": ids[0].tolist(), "dropped": dropped,
                                    "count": len(tok(prompt, add_special_tokens=False).input_ids)})
        for i, prompt in enumerate(EMBED_PROMPTS):
            ids, _ = tokenize(tok, prompt)
            with torch.no_grad():
                out = model(ids, output_hidden_states=True)
            assert len(out.hidden_states) == cfg["num_hidden_layers"] + 1
            tensors[f"{enc}/{i}/last_hidden_state"] = out.last_hidden_state[0]
            tensors[f"{enc}/{i}/penultimate"] = out.hidden_states[-2][0]
            pooled = out.text_embeds if with_proj else out.pooler_output
            tensors[f"{enc}/{i}/pooled"] = pooled[0]
        meta["encoders"][enc] = entry

    cpu = torch.device("cpu")
    cases = []
    if fam == "sdxl":
        for name, prompt, negative, zeros in PIPELINE_CASES["sdxl"]:
            pipe = StableDiffusionXLPipeline(
                vae=None, unet=None, scheduler=None,
                text_encoder=loaded["text_encoder"][1], tokenizer=loaded["text_encoder"][0],
                text_encoder_2=loaded["text_encoder_2"][1], tokenizer_2=loaded["text_encoder_2"][0],
                force_zeros_for_empty_prompt=zeros, add_watermarker=False,
            )
            with torch.no_grad():
                pe, npe, pp, npp = pipe.encode_prompt(
                    prompt, device=cpu, num_images_per_prompt=1,
                    do_classifier_free_guidance=True, negative_prompt=negative)
            for key, t in [("prompt_embeds", pe), ("negative_prompt_embeds", npe),
                           ("pooled_prompt_embeds", pp), ("negative_pooled_prompt_embeds", npp)]:
                tensors[f"pipeline/{name}/{key}"] = t[0]
            cases.append({"name": name, "prompt": prompt, "negative_prompt": negative,
                          "force_zeros_for_empty_prompt": zeros})
    else:
        tok, model = loaded["text_encoder"]
        pipe = StableDiffusionPipeline(
            vae=None, unet=None, scheduler=None, text_encoder=model, tokenizer=tok,
            safety_checker=None, feature_extractor=None, requires_safety_checker=False,
        )
        for name, prompt, negative, _ in PIPELINE_CASES["sd"]:
            with torch.no_grad():
                pe, npe = pipe.encode_prompt(prompt, cpu, 1, True, negative_prompt=negative)
            tensors[f"pipeline/{name}/prompt_embeds"] = pe[0]
            tensors[f"pipeline/{name}/negative_prompt_embeds"] = npe[0]
            cases.append({"name": name, "prompt": prompt, "negative_prompt": negative,
                          "force_zeros_for_empty_prompt": None})
    meta["pipeline_cases"] = cases

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"tiny_{fam}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n")
    save_file({k: v.contiguous().float() for k, v in tensors.items()},
              str(OUT / f"tiny_{fam}.safetensors"))
    print(f"wrote tiny_{fam}.json / .safetensors ({len(tensors)} tensors)")


def bytes_to_unicode():
    """CLIP's byte -> printable character table, in CLIP's vocabulary order."""
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
          + list(range(ord("®"), ord("ÿ") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def real_vocab_goldens(bpe_path: Path) -> None:
    """CLIP's vocabulary as OpenAI's CLIP builds it: bytes, bytes + </w>, one token per
    merge (the first 49152 - 256 - 2 lines after the header), the two special tokens."""
    lines = gzip.open(bpe_path).read().decode("utf-8").split("\n")
    merges = [tuple(l.split()) for l in lines[1:49152 - 256 - 2 + 1]]
    symbols = bytes_to_unicode()
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == 49408, len(vocab)
    result = {"source": "open_clip bpe_simple_vocab_16e6.txt.gz", "vocab_size": len(vocab),
              "tokenizers": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for pad in ["<|endoftext|>", "!"]:
            d = Path(tmp) / ("pad_eot" if pad != "!" else "pad_bang")
            d.mkdir()
            (d / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}))
            (d / "merges.txt").write_text(
                "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
            (d / "tokenizer_config.json").write_text(json.dumps({
                "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
                "unk_token": "<|endoftext|>", "pad_token": pad, "model_max_length": 77,
                "tokenizer_class": "CLIPTokenizer"}))
            tok = CLIPTokenizer.from_pretrained(d)
            assert tok.bos_token_id == 49406 and tok.eos_token_id == 49407
            entries = []
            for prompt in TOKEN_PROMPTS:
                ids, dropped = tokenize(tok, prompt)
                entries.append({"prompt": prompt, "ids": ids[0].tolist(), "dropped": dropped})
            result["tokenizers"][pad] = entries
    (OUT / "real_vocab_ids.json").write_text(json.dumps(result, ensure_ascii=False) + "\n")
    print("wrote real_vocab_ids.json")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clip-bpe", type=Path, default=os.environ.get("REPORTFIG_CLIP_BPE"),
                    help="OpenCLIP's bpe_simple_vocab_16e6.txt.gz (optional)")
    ap.add_argument("--keep", type=Path, help="write the tiny folders here and keep them")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        write_fixtures(folder)
        for fam in FAMILIES:
            family_goldens(fam, folder / fam)
    if args.clip_bpe:
        real_vocab_goldens(Path(args.clip_bpe))
    else:
        print("no --clip-bpe / REPORTFIG_CLIP_BPE: real_vocab_ids.json left as it is",
              file=sys.stderr)


if __name__ == "__main__":
    main()
