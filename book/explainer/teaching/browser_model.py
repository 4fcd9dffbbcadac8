"""The book's model for the reader's browser: all-MiniLM-L6-v2 as ONNX, quantized, with its tokenizer files.

``export()`` writes, once per model fingerprint (cached under ``.cache/onnx``), the folder layout that
transformers.js reads with ``env.localModelPath``: ``config.json``, ``tokenizer.json``,
``tokenizer_config.json`` and ``onnx/model_quantized.onnx``.

The format, chosen by measurement (``make bench`` and ``tests/test_browser_model.py`` repeat it): weights
of every MatMul stored as 8-bit integers in blocks of 128 (``MatMulNBits``; activations stay float32)
and the word-piece table as per-row int8. That is 23 MB, and its sentence vectors keep a cosine of at
least 0.997 with PyTorch's, emoji and non-Latin scripts included. Dynamic int8 quantization of the same
size, which also quantizes activations, fell to 0.97 on emoji-only input, and float16 is 45 MB.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path

from explainer.infra import cache
from helpers import DEFAULT_MODEL, MODEL_PACKAGE, load_model, model_path

MODEL_NAME = "all-MiniLM-L6-v2"  # the folder name under the site's _static/live/models/
ONNX_FILE = "onnx/model_quantized.onnx"  # what transformers.js loads for dtype "q8"
FORMAT = "matmulnbits8-b128+gather-int8-v1"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def folder() -> Path:
    """Where the export for the installed model lives (it need not exist yet)."""
    fingerprint = cache.model_fingerprint(DEFAULT_MODEL, MODEL_PACKAGE)
    return cache.CACHE_DIR / "onnx" / cache.slug(f"{fingerprint}-{FORMAT}") / MODEL_NAME


def export() -> Path:
    """The model folder for transformers.js, exported and quantized on first use, then read from the cache."""
    target = folder()
    if (target / ONNX_FILE).exists() and (target / "tokenizer.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        work = Path(tmp) / MODEL_NAME
        (work / "onnx").mkdir(parents=True)
        _tokenizer_files(work)
        _onnx(work / ONNX_FILE, Path(tmp))
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)  # a whole folder or none: an interrupted export leaves nothing behind
    return target


def _tokenizer_files(out: Path) -> None:
    """The model's own tokenizer, with every setting written out that a JavaScript tokenizer might guess.

    BertNormalizer's ``strip_accents: null`` means "follow lowercase" in the Rust tokenizer but was read
    as "keep accents" in the browser, which turned "naïve café" into other pieces; the model reads at
    most 256 tokens, not the 128 the file was saved with; and it pads nothing by itself.
    """
    model = load_model()
    spec = json.loads(model.tokenizer.backend_tokenizer.to_str())
    spec["normalizer"]["strip_accents"] = bool(spec["normalizer"].get("lowercase", True))
    spec["truncation"] = {
        "direction": "Right",
        "max_length": model.max_seq_length,
        "strategy": "LongestFirst",
        "stride": 0,
    }
    spec["padding"] = None
    (out / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    source = Path(model_path())
    config = json.loads((source / "tokenizer_config.json").read_text())
    config.update(model_max_length=model.max_seq_length, strip_accents=spec["normalizer"]["strip_accents"])
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=1))
    shutil.copyfile(source / "config.json", out / "config.json")


def _onnx(path: Path, tmp: Path) -> None:
    import warnings

    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    bert = load_model()[0].auto_model.eval()

    class Encoder(torch.nn.Module):  # keyword arguments: BertModel's positional order changes between versions
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[0]

    example = load_model().tokenizer(["an example", "a longer example sentence"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "sequence"} for name in (*INPUTS, "last_hidden_state")}
    full = tmp / "model.onnx"
    logging.disable(logging.WARNING)  # onnxruntime's quantizers log advice on every call
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            torch.onnx.export(
                Encoder(),
                tuple(example[n] for n in INPUTS),
                str(full),
                input_names=list(INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        weights = MatMulNBitsQuantizer(onnx.load(str(full)), block_size=128, is_symmetric=True, bits=8)
        weights.process()
        matmuls = tmp / "matmul8.onnx"
        weights.model.save_model_to_file(str(matmuls), use_external_data_format=False)
        quantize_dynamic(
            str(matmuls), str(path), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["Gather"]
        )
    finally:
        logging.disable(logging.NOTSET)


def onnx_embed(texts: list[str], model_dir: Path | None = None):
    """Sentence vectors from the exported model with onnxruntime: mean of the tokens, length 1 (tests, bench)."""
    import numpy as np
    import onnxruntime as ort

    model_dir = model_dir or export()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model_dir / ONNX_FILE), options, providers=["CPUExecutionProvider"])
    model = load_model()
    rows = []
    for text in texts:
        batch = model.tokenizer([text], truncation=True, max_length=model.max_seq_length, return_tensors="np")
        hidden = session.run(None, {n: batch[n].astype(np.int64) for n in INPUTS})[0][0]
        vector = hidden.mean(axis=0)
        rows.append(vector / np.linalg.norm(vector))
    return np.stack(rows).astype(np.float32)
