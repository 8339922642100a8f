#!/usr/bin/env python3
"""Tiny MarianMT fixture (Helsinki-NLP/opus-mt-ko-en layout) and golden files for the translator.

Run from the repository root with the reference virtualenv:

    /work/venv/bin/python tools/reference/translate_goldens.py

1. Trains two SentencePiece unigram models (nmt_nfkc precompiled normaliser, as Marian repos
   ship them) on `tools/reference/marian_corpus/{ko,en}.txt`, joins their pieces into one
   `vocab.json` as the OPUS-MT conversion does (`</s>` 0, `<unk>` 1, pieces, `<pad>` last; a few
   source pieces are left out on purpose so that the `<unk>` fallback is exercised), and writes
   `config.json`, `generation_config.json`, `tokenizer_config.json` and `model.safetensors`
   (random weights from a fixed seed) to `crates/engine/tests/fixtures/marian-tiny/`.
2. Loads the folder with transformers' `MarianMTModel` / `MarianTokenizer` (failing on any
   missing or unexpected weight) and writes `crates/engine/tests/golden/translate/`:
   - `tokenizer.json`: ids, pieces, truncated ids and Moses-normalised text of each caption,
     and decoded text of id sequences;
   - `model.safetensors`: encoder last hidden states and per-step decoder logits (one
     full-prefix forward and one incremental forward with the KV cache);
   - `generate.json`: final ids, text and scores of `generate()` with the repo's
     generation_config (beam search), of greedy decoding, and of a short `max_length`.
3. Writes the same state dict with `torch.save` to `crates/engine/tests/fixtures/
   marian-tiny-bin/pytorch_model.bin` (zip format) and `pytorch_model_legacy.bin` (pre-1.6
   format), and a pickle whose loading would run a shell command to
   `crates/engine/tests/fixtures/hostile.bin` (never loaded here: checked statically with
   pickletools).
"""

import copy
import hashlib
import io
import json
import math
import os
import pickletools
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import sacremoses
import safetensors
import sentencepiece as spm
import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import GenerationConfig, MarianMTModel, MarianTokenizer

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tools" / "reference" / "marian_corpus"
ENGINE_TESTS = ROOT / "crates" / "engine" / "tests"
FIXTURE = ENGINE_TESTS / "fixtures" / "marian-tiny"
BIN_FIXTURE = ENGINE_TESTS / "fixtures" / "marian-tiny-bin"
HOSTILE = ENGINE_TESTS / "fixtures" / "hostile.bin"
OUT = ENGINE_TESTS / "golden" / "translate"

SEED = 20261201
SOURCE_VOCAB = 300
TARGET_VOCAB = 250
# Every 29th ordinary source piece (from the 7th) stays out of vocab.json, as pieces the Marian
# vocabulary never saw do in real repos: MarianTokenizer maps them to <unk>.
DROP_EVERY, DROP_FROM = 29, 7
# Tiny sizes; everything else is the real repo's config. max_position_embeddings, the
# tokenizer's model_max_length and generation max_length are equal, as in the real repo (512).
D_MODEL, HEADS, FFN, LAYERS, MAX_POS = 16, 2, 32, 2, 32
# Raises </s> in final_logits_bias so that some translations end before max_length.
EOS_BIAS = 4.5
EMBED_STD = 0.3
NUM_BEAMS = 4
DECODER_STEPS = 5

LONG_KO = (
    "포항시 교통행정과는 2025년 시내버스 노선 개편안을 발표했습니다. 시청 앞 정류장과 "
    "영일대 해수욕장을 잇는 새 노선, 어린이 보호구역 신호등, 자전거 도로, 전기 버스 충전소, "
    "행정복지센터 민원 창구 확대가 모두 포함되어 있으며 복지 예산은 12% 늘었습니다."
)

# Tokenizer cases: punctuation, digits, full-width forms (NFKC), mixed scripts, whitespace,
# unknown characters, literal special tokens, a language-code prefix, long input, empty.
CAPTIONS = [
    "시청 앞 버스 정류장",
    "교통, 복지, 그리고 시청!",
    "2025년 예산: 3,500억 원 (전년 대비 +5%)",
    "ＡＩ 교통 신호와 Ｓｍａｒｔ Ｃｉｔｙ １２３번 버스",
    "Smart City 교통 정보는 App에서 확인하세요.",
    "  시청   앞    버스  정류장  ",
    "\t시청\n\n버스 정류장\u3000교통 ",
    "포항시 행정복지센터와 영일대 해수욕장",
    "읍면동 주민자치회 회의",
    "주민 1인당 공원 면적은 12.5㎡입니다.",
    "“대중교통” — ‘편리한’ 도시…",
    "시청(市廳) 앞 😀 버스 𝔘",
    "버스 </s> 시청 <unk> 교통 <pad>",
    ">>eng<< 시청 앞 버스",
    "q j x z 교통",
    "e\u0301 café ﬁ ½",
    "?!.,:;()",
    "버스100대 2024-2025 054-270-0000",
    LONG_KO,
    LONG_KO + " " + LONG_KO,
    "",
    " ",
]

# Extra texts for the Moses punctuation normaliser (one per rule family of sacremoses'
# MosesPunctNormalizer with lang="ko": extra whitespace, Penn quotes, unicode quotes and dashes,
# French quotes, pseudo-spaces, numbers with a no-break space).
MOSES_TEXTS = [
    "시청 ( 민원실 ) 앞 .",
    "교통 :  복지 ;  버스",
    "예산 5 % 증가",
    "``시청'' 앞 `버스`",
    "„시청“ ”버스” – 교통 — 복지",
    "it´s Seoul‘s City’s ‚a’ ´´b´´ ''c''",
    "« 교통 » «복지» \u00a0«\u00a0시청\u00a0»\u00a0",
    "5\u00a0% nº\u00a01 \u00a0: 20\u00a0ºC 3\u00a0cm 왜\u00a0? 와\u00a0! 끝\u00a0; 하나,\u00a0둘",
    "1\u00a0000 원, 2\u00a0500명",
    "\r\n시청\r 버스 \r",
    "(시청) . (버스)! ( 교통 )? (복지) :",
    "  앞뒤 공백  ",
    "١٢ ٣ % ٤\u00a0٥",
    "…끝… ——",
]

TOKENIZER_CONFIG = {
    "source_lang": "ko",
    "target_lang": "en",
    "separate_vocabs": False,
    "model_max_length": MAX_POS,
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train_spm(lang: str, vocab_size: int) -> bytes:
    lines = (CORPUS / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        normalization_rule_name="nmt_nfkc",
        num_threads=1,
        shuffle_input_sentence=False,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    return model.getvalue()


def joint_vocab(source: bytes, target: bytes) -> dict:
    vocab = {"</s>": 0, "<unk>": 1}
    for which, proto in (("source", source), ("target", target)):
        sp = spm.SentencePieceProcessor(model_proto=proto)
        ordinary = 0
        for i in range(sp.get_piece_size()):
            if sp.is_control(i) or sp.is_unknown(i):
                continue
            piece = sp.id_to_piece(i)
            ordinary += 1
            if which == "source" and ordinary % DROP_EVERY == DROP_FROM:
                continue
            vocab.setdefault(piece, len(vocab))
    vocab["<pad>"] = len(vocab)
    return vocab


def model_config(vocab_size: int) -> dict:
    pad = vocab_size - 1
    # The field list of Helsinki-NLP/opus-mt-ko-en's config.json (transformers' Marian
    # conversion), with tiny sizes.
    return {
        "_name_or_path": "crates/engine/tests/fixtures/marian-tiny",
        "activation_dropout": 0.0,
        "activation_function": "swish",
        "add_bias_logits": False,
        "add_final_layer_norm": False,
        "architectures": ["MarianMTModel"],
        "attention_dropout": 0.0,
        "bad_words_ids": [[pad]],
        "bos_token_id": 0,
        "classif_dropout": 0.0,
        "classifier_dropout": 0.0,
        "d_model": D_MODEL,
        "decoder_attention_heads": HEADS,
        "decoder_ffn_dim": FFN,
        "decoder_layerdrop": 0.0,
        "decoder_layers": LAYERS,
        "decoder_start_token_id": pad,
        "decoder_vocab_size": vocab_size,
        "dropout": 0.1,
        "encoder_attention_heads": HEADS,
        "encoder_ffn_dim": FFN,
        "encoder_layerdrop": 0.0,
        "encoder_layers": LAYERS,
        "eos_token_id": 0,
        "forced_eos_token_id": 0,
        "gradient_checkpointing": False,
        "id2label": {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"},
        "init_std": 0.02,
        "is_encoder_decoder": True,
        "label2id": {"LABEL_0": 0, "LABEL_1": 1, "LABEL_2": 2},
        "max_length": MAX_POS,
        "max_position_embeddings": MAX_POS,
        "model_type": "marian",
        "normalize_before": False,
        "normalize_embedding": False,
        "num_beams": NUM_BEAMS,
        "num_hidden_layers": LAYERS,
        "pad_token_id": pad,
        "scale_embedding": True,
        "share_encoder_decoder_embeddings": True,
        "static_position_embeddings": True,
        "transformers_version": "4.22.0.dev0",
        "use_cache": True,
        "vocab_size": vocab_size,
    }


def generation_config(vocab_size: int) -> dict:
    pad = vocab_size - 1
    return {
        "bad_words_ids": [[pad]],
        "bos_token_id": 0,
        "decoder_start_token_id": pad,
        "eos_token_id": 0,
        "forced_eos_token_id": 0,
        "max_length": MAX_POS,
        "num_beams": NUM_BEAMS,
        "pad_token_id": pad,
        "renormalize_logits": True,
        "transformers_version": "4.27.0.dev0",
    }


def randomize(model: MarianMTModel, pad: int) -> None:
    """Weights large enough that logits are spread out (no near-ties in argmax / beams)."""
    gen = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "embed_positions" in name:
                continue
            if name.endswith("shared.weight"):
                p.copy_(torch.randn(p.shape, generator=gen) * EMBED_STD)
                p[pad].zero_()
            elif "layer_norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[1]))
            else:
                raise SystemExit(f"unexpected parameter {name} {tuple(p.shape)}")
        bias = 0.1 * torch.randn(model.final_logits_bias.shape, generator=gen)
        bias[0, 0] += EOS_BIAS
        model.final_logits_bias.copy_(bias)


def write_fixture() -> None:
    if FIXTURE.exists():
        shutil.rmtree(FIXTURE)
    FIXTURE.mkdir(parents=True)
    source, target = train_spm("ko", SOURCE_VOCAB), train_spm("en", TARGET_VOCAB)
    (FIXTURE / "source.spm").write_bytes(source)
    (FIXTURE / "target.spm").write_bytes(target)
    vocab = joint_vocab(source, target)
    write_json(FIXTURE / "vocab.json", vocab, indent=2)
    write_json(FIXTURE / "tokenizer_config.json", TOKENIZER_CONFIG)
    write_json(FIXTURE / "config.json", model_config(len(vocab)), indent=2)
    write_json(FIXTURE / "generation_config.json", generation_config(len(vocab)), indent=2)

    config = transformers.MarianConfig.from_pretrained(FIXTURE)
    model = MarianMTModel(config).eval()
    randomize(model, len(vocab) - 1)
    with tempfile.TemporaryDirectory() as tmp:
        # save_pretrained gives the checkpoint's exact key set and metadata; its config files
        # are discarded because ours mirror the real repo's.
        model.save_pretrained(tmp, safe_serialization=True)
        shutil.copy(Path(tmp) / "model.safetensors", FIXTURE / "model.safetensors")


def write_json(path: Path, value, indent=None) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=indent) + "\n", encoding="utf-8")


def load():
    model, info = MarianMTModel.from_pretrained(FIXTURE, output_loading_info=True)
    # embed_positions are not saved (sinusoids rebuilt at load), exactly as in real checkpoints.
    bad = {k: v for k, v in info.items() if v and k != "missing_keys"}
    missing = [k for k in info["missing_keys"] if "embed_positions" not in k]
    if bad or missing:
        raise SystemExit(f"loading the fixture: {info}")
    tokenizer = MarianTokenizer.from_pretrained(FIXTURE)
    return model.eval(), tokenizer


def tokenizer_goldens(tok: MarianTokenizer) -> dict:
    encode = []
    for text in CAPTIONS + MOSES_TEXTS:
        ids = tok(text)["input_ids"]
        truncated = tok(text, truncation=True)["input_ids"]
        normalized = tok.normalize(text)
        encode.append(
            {
                "text": text,
                "pieces": tok.tokenize(text),
                "ids": ids,
                "ids_truncated": truncated,
                "normalized": normalized,
                "normalized_ids": tok(normalized)["input_ids"],
            }
        )
    assert any(len(e["ids"]) > tok.model_max_length for e in encode), "no caption over the limit"
    assert any(tok.unk_token_id in e["ids"] for e in encode), "no caption maps to <unk>"

    vocab_size = len(tok.encoder)
    rng = np.random.default_rng(SEED)
    sequences = [[i] for i in range(vocab_size)]
    sequences += [e["ids"] for e in encode]
    sequences += [rng.integers(0, vocab_size, size=n).tolist() for n in (2, 3, 5, 8, 13, 21)]
    specials = [tok.eos_token_id, tok.unk_token_id, tok.pad_token_id]
    sequences += [
        [specials[2], 5, 6, specials[1], 7, specials[0]],
        [specials[1], specials[1], 9, specials[0], 10, specials[0]],
        [],
    ]
    decode = [{"ids": ids, "text": tok.decode(ids, skip_special_tokens=True)} for ids in sequences]
    return {
        "source_lang": tok.source_lang,
        "model_max_length": tok.model_max_length,
        "eos_id": tok.eos_token_id,
        "unk_id": tok.unk_token_id,
        "pad_id": tok.pad_token_id,
        "encode": encode,
        "decode": decode,
    }


GEN_CAPTIONS = [
    "시청 앞 버스 정류장",
    "2025년 복지 예산이 12% 늘었습니다.",
    "Smart City 교통 정보",
    "포항시 행정복지센터",
    "어린이 보호구역에서는 속도를 줄이세요.",
    "교통, 복지, 그리고 시청!",
    "ＡＩ 교통 신호 １２３번",
    LONG_KO,
    "",
]


def model_goldens(model: MarianMTModel, tok: MarianTokenizer):
    tensors, meta_cases = {}, []
    with torch.no_grad():
        # Encoder: single captions, then a padded batch of two (attention mask).
        for i, text in enumerate(GEN_CAPTIONS[:4]):
            enc = tok(text, return_tensors="pt", truncation=True)
            out = model.get_encoder()(**enc).last_hidden_state
            tensors[f"encoder.{i}.input_ids"] = enc["input_ids"].to(torch.int64)
            tensors[f"encoder.{i}.last_hidden_state"] = out.contiguous()
        batch = tok(GEN_CAPTIONS[:2], return_tensors="pt", padding=True)
        tensors["encoder.batch.input_ids"] = batch["input_ids"].to(torch.int64)
        tensors["encoder.batch.attention_mask"] = batch["attention_mask"].to(torch.int64)
        tensors["encoder.batch.last_hidden_state"] = (
            model.get_encoder()(**batch).last_hidden_state.contiguous()
        )

        # Decoder logits for DECODER_STEPS steps of greedy decoding that never picks </s> or
        # <pad> (so every case runs the full number of steps): step by step with the KV cache,
        # then one forward over the whole prefix without cache (causal, so row t is step t).
        banned = [tok.eos_token_id, tok.pad_token_id]
        for i, text in enumerate(GEN_CAPTIONS[:3]):
            enc = tok(text, return_tensors="pt", truncation=True)
            encoder_outputs = model.get_encoder()(**enc)
            prefix = torch.tensor([[model.config.decoder_start_token_id]])
            cached, past = [], None
            for _ in range(DECODER_STEPS):
                out = model(
                    encoder_outputs=encoder_outputs,
                    attention_mask=enc["attention_mask"],
                    decoder_input_ids=prefix[:, -1:],
                    past_key_values=past,
                    use_cache=True,
                )
                past = out.past_key_values
                logits = out.logits[0, -1]
                cached.append(logits)
                choice = logits.clone()
                choice[banned] = -float("inf")
                prefix = torch.cat([prefix, choice.argmax().view(1, 1)], dim=1)
            prefix = prefix[:, :DECODER_STEPS]
            full = model(**enc, decoder_input_ids=prefix, use_cache=False).logits[0]
            cached = torch.stack(cached)
            gap = (full - cached).abs().max().item()
            assert gap < 1e-5, f"cached and uncached logits differ by {gap}"
            tensors[f"decoder.{i}.input_ids"] = enc["input_ids"].to(torch.int64)
            tensors[f"decoder.{i}.decoder_input_ids"] = prefix.to(torch.int64).contiguous()
            tensors[f"decoder.{i}.logits"] = full.contiguous()
            tensors[f"decoder.{i}.logits_cached"] = cached.contiguous()
            meta_cases.append({"text": text, "min_top2_gap": top2_gap(full, banned)})
    return tensors, meta_cases


def top2_gap(logits: torch.Tensor, banned: list) -> float:
    masked = logits.clone()
    masked[..., banned] = -float("inf")
    top = masked.topk(2, dim=-1).values
    return float((top[..., 0] - top[..., 1]).min())


def generate_goldens(model: MarianMTModel, tok: MarianTokenizer) -> dict:
    gen_config = GenerationConfig.from_pretrained(FIXTURE)
    variants = {
        "beam": {},
        "greedy": {"num_beams": 1},
        "beam_short": {"max_length": 6},
        "greedy_short": {"num_beams": 1, "max_length": 6},
        "beam_no_renormalize": {"renormalize_logits": False},
    }
    cases = []
    for text in GEN_CAPTIONS:
        enc = tok(text, return_tensors="pt", truncation=True)
        case = {"text": text, "input_ids": enc["input_ids"][0].tolist()}
        for name, overrides in variants.items():
            config = copy.deepcopy(gen_config)
            config.update(return_dict_in_generate=True, output_scores=True, **overrides)
            with torch.no_grad():
                out = model.generate(**enc, generation_config=config)
            ids = out.sequences[0].tolist()
            max_length = overrides.get("max_length", gen_config.max_length)
            entry = {
                "ids": ids,
                "text": tok.decode(ids, skip_special_tokens=True),
                "hit_max_length": len(ids) == max_length,
            }
            if getattr(out, "sequences_scores", None) is not None:
                entry["sequence_score"] = float(out.sequences_scores[0])
            if name.startswith("greedy"):
                # Greedy: the (processed) score of each chosen token, and the smallest margin
                # to the runner-up, so that a tie would be visible.
                steps = torch.stack(out.scores)[:, 0]
                chosen = torch.tensor(ids[1:])
                entry["token_scores"] = steps.gather(1, chosen[:, None])[:, 0].tolist()
                entry["min_top2_gap"] = top2_gap(steps, [tok.pad_token_id])
            case[name] = entry
        cases.append(case)
    ended = [c["beam"]["hit_max_length"] for c in cases]
    assert any(ended) and not all(ended), f"beam search should both stop early and hit max_length: {ended}"
    return {"generation_config": gen_config.to_diff_dict(), "variants": variants, "cases": cases}


def write_bin(model: MarianMTModel) -> None:
    BIN_FIXTURE.mkdir(parents=True, exist_ok=True)
    state = model.state_dict()
    torch.save(state, BIN_FIXTURE / "pytorch_model.bin")
    legacy = BIN_FIXTURE / "pytorch_model_legacy.bin"
    # The legacy format names storages by memory address, so its bytes change on every run:
    # keep the committed file while it still holds the same tensors.
    if not legacy.exists() or not same_tensors(torch.load(legacy, weights_only=True), state):
        torch.save(state, legacy, _use_new_zipfile_serialization=False)
    shutil.copy(FIXTURE / "config.json", BIN_FIXTURE / "config.json")
    # The .bin must hold the same tensors as model.safetensors (plus the tied and positional
    # ones that save_pretrained leaves out).
    safe = load_file(FIXTURE / "model.safetensors")
    for path in (BIN_FIXTURE / "pytorch_model.bin", BIN_FIXTURE / "pytorch_model_legacy.bin"):
        loaded = torch.load(path, weights_only=True)
        for k, v in safe.items():
            assert torch.equal(loaded[k], v), f"{path.name}: {k} differs"


def same_tensors(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


class _RunsShell:
    """Pickles as GLOBAL posix.system + REDUCE: what a malicious checkpoint carries."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/reportfig-hostile-pickle-ran",))


def write_hostile() -> None:
    # torch.save writes the usual zip layout (archive/data.pkl, data/0, version, byteorder) with
    # one real tensor, so a loader gets past the container and must refuse the pickle itself.
    torch.save({"model.shared.weight": torch.zeros(2, 2), "payload": _RunsShell()}, HOSTILE)
    with zipfile.ZipFile(HOSTILE) as z:
        name = next(n for n in z.namelist() if n.endswith("data.pkl"))
        ops = [(op.name, arg) for op, arg, _ in pickletools.genops(z.read(name))]
    assert ("GLOBAL", "posix system") in ops or ("GLOBAL", "os system") in ops, ops
    assert any(op == "REDUCE" for op, _ in ops)


def main() -> None:
    write_fixture()
    model, tok = load()
    OUT.mkdir(parents=True, exist_ok=True)

    meta = {
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "sentencepiece": spm.__version__,
        "sacremoses": sacremoses.__version__,
        "safetensors": safetensors.__version__,
        "fixture_sha256": {p.name: sha256(p) for p in sorted(FIXTURE.iterdir())},
    }

    golden = tokenizer_goldens(tok)
    write_json(OUT / "tokenizer.json", {"meta": meta, **golden}, indent=1)

    tensors, decoder_meta = model_goldens(model, tok)
    save_file(
        tensors,
        OUT / "model.safetensors",
        metadata={"meta": json.dumps(meta), "decoder_cases": json.dumps(decoder_meta, ensure_ascii=False)},
    )

    write_json(OUT / "generate.json", {"meta": meta, **generate_goldens(model, tok)}, indent=1)

    write_bin(model)
    write_hostile()
    for path in sorted(list(FIXTURE.iterdir()) + list(BIN_FIXTURE.iterdir()) + [HOSTILE] + list(OUT.iterdir())):
        print(f"{path.stat().st_size:>8}  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
