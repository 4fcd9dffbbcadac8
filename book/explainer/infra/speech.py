"""Real speech, made offline: eSpeak NG (the PyPI wheel espeakng-loader) through ctypes, every clip cached.

``speak("seven", "en-gb-scotland+f3", rate=140, pitch=60)`` returns 16-bit mono samples at 22,050 Hz.
The wheel ships the eSpeak NG library and its voice data, so nothing is downloaded and no system package
is needed.

eSpeak NG keeps state from one utterance to the next (the phase of its pitch "flutter", its noise
generator), so the same request spoken twice in one process can differ. To make a clip depend only on
its request, a small worker process loads the library, speaks one fixed warm-up phrase, then forks a
fresh child for every clip: each child starts from the same state, seeds the noise generator, speaks
once and exits (about 2 ms a clip). Clips are cached like the book's embeddings (``cache.py``): keyed by
the wheel's and library's versions and every clip's voice, rate, pitch and text; written atomically; a
damaged entry is spoken again.
"""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import sys
from dataclasses import dataclass
from functools import cache as memoize
from pathlib import Path

import numpy as np

from explainer.infra import cache

SAMPLE_RATE = 22050  # what eSpeak NG produces
MAX_CHARS = 200  # a phrase, not a book: longer text is refused
RATES = (80, 450)  # words per minute eSpeak NG accepts
FORMAT = 1  # bump when the stored clips change meaning (trimming, sample rate)
INSTALL = "install the PyPI package espeakng-loader (pinned in requirements.txt: run `make install`)"


class SpeechUnavailable(RuntimeError):
    """eSpeak NG is not installed or does not load; the message says what to install."""


@dataclass(frozen=True)
class Voice:
    """An eSpeak NG voice ("en-gb-scotland", optionally "+variant"), a speaking rate and a pitch (0-99)."""

    name: str
    rate: int = 175
    pitch: int = 50

    def describe(self) -> str:
        """Plain words for a listener, e.g. "en-gb-scotland+f3, slow, high"."""
        pace = "slow" if self.rate < 150 else "fast" if self.rate > 210 else "medium pace"
        tone = "low" if self.pitch < 35 else "high" if self.pitch > 65 else "mid pitch"
        return f"{self.name}, {pace}, {tone}"


@memoize
def library() -> tuple[str, str, str]:
    """The eSpeak NG shared library, its data folder and its version; SpeechUnavailable when missing."""
    import ctypes
    from importlib.metadata import PackageNotFoundError, version

    try:
        import espeakng_loader

        package = version("espeakng-loader")
        path, data = espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
        lib = ctypes.CDLL(path)
    except (ImportError, PackageNotFoundError) as err:
        raise SpeechUnavailable(f"The speech chapter needs eSpeak NG: {INSTALL}.") from err
    except (OSError, RuntimeError) as err:
        raise SpeechUnavailable(f"eSpeak NG did not load ({err}); reinstall it: {INSTALL}.") from err
    lib.espeak_Info.restype = ctypes.c_char_p
    lib.espeak_Info.argtypes = [ctypes.c_void_p]
    return path, data, f"espeakng-loader=={package}|espeak-ng {lib.espeak_Info(None).decode()}"


def _check(text: object, voice: Voice) -> str:
    if not isinstance(text, str):
        raise TypeError(f"speak() needs text, got {type(text).__name__}")
    if not text.strip():
        raise ValueError("Give some text to speak; it is empty.")
    if len(text) > MAX_CHARS:
        raise ValueError(f"That is {len(text)} characters; speak at most {MAX_CHARS} at a time.")
    if not (RATES[0] <= voice.rate <= RATES[1]) or not (0 <= voice.pitch <= 99):
        raise ValueError(f"rate must be {RATES[0]}-{RATES[1]} words a minute and pitch 0-99, got {voice}")
    return text.strip()


def _key(requests: list[tuple[str, Voice]]) -> Path:
    """One cache entry per batch: every clip's text, voice, rate and pitch, and the library's version."""
    parts = [str(FORMAT), library()[2]] + [f"{v.name}|{v.rate}|{v.pitch}|{text}" for text, v in requests]
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
    return cache.folder("speech") / f"{digest}.npy"


def speak(text: str, voice: Voice | str = "en") -> np.ndarray:
    """``text`` spoken by ``voice``: int16 samples at SAMPLE_RATE, silence trimmed; cached on disk."""
    return speak_all([(text, voice)])[0]


def speak_all(requests: list[tuple[str, Voice | str]]) -> list[np.ndarray]:
    """Many clips at once, in order, spoken by one worker process; the batch is cached as two arrays.

    ``<key>.npy`` holds every clip's samples end to end and ``<key>.lengths.npy`` where each ends; a
    missing, damaged or inconsistent pair is spoken again (one write each instead of one per clip).
    """
    checked = [(_check(t, v), v) for t, v in ((t, Voice(v) if isinstance(v, str) else v) for t, v in requests)]
    if not checked:
        raise ValueError("Give at least one text to speak.")
    key = _key(checked)
    lengths_key = key.with_suffix(".lengths.npy")
    lengths = cache.read(lengths_key, lambda a: a.dtype == np.int64 and a.shape == (len(checked),) and a.min() > 0)
    samples = cache.read(key, lambda a: a.dtype == np.int16 and a.ndim == 1) if lengths is not None else None
    if lengths is None or samples is None or samples.size != lengths.sum():
        clips = [trim(clip) for clip in _synthesize(checked)]
        samples, lengths = np.concatenate(clips), np.array([len(c) for c in clips], dtype=np.int64)
        cache.write(key, samples)
        cache.write(lengths_key, lengths)
    return np.split(samples, np.cumsum(lengths)[:-1])


def _synthesize(requests: list[tuple[str, Voice]]) -> list[np.ndarray]:
    """Speak in a worker process (this module run with python -m); one clean child process per clip."""
    path, data, _ = library()
    jobs = [[text, v.name, v.rate, v.pitch] for text, v in requests]
    done = subprocess.run(
        [sys.executable, "-m", __name__, path, data],
        cwd=Path(__file__).resolve().parents[2],  # book/, where the package explainer is
        input=json.dumps(jobs).encode(),
        capture_output=True,
        timeout=60 + len(jobs),
    )
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise (ValueError if done.returncode == 2 else SpeechUnavailable)(reason[0])
    out, clips, at = done.stdout, [], 0
    for _ in jobs:
        (count,) = struct.unpack_from("<i", out, at)
        clips.append(np.frombuffer(out, dtype="<i2", count=count, offset=at + 4).astype(np.int16))
        at += 4 + 2 * count
    return clips


def trim(samples: np.ndarray, margin: float = 0.03, floor: float = 0.02) -> np.ndarray:
    """The clip without the silence eSpeak NG puts before and after it (``margin`` seconds kept)."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > floor * 32768)
    if loud.size == 0:
        return samples
    pad = int(margin * SAMPLE_RATE)
    return samples[max(0, loud[0] - pad) : loud[-1] + pad + 1]


def wav_bytes(samples: np.ndarray, rate: int = 11025) -> bytes:
    """A mono 16-bit WAV file of a clip, resampled from SAMPLE_RATE to ``rate`` (small files for the site)."""
    from math import gcd

    from scipy.signal import resample_poly

    step = gcd(rate, SAMPLE_RATE)
    pcm = resample_poly(samples.astype(np.float64), rate // step, SAMPLE_RATE // step)
    pcm = np.clip(np.round(pcm), -32768, 32767).astype("<i2").tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(pcm),
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        rate,
        2 * rate,
        2,
        16,
        b"data",
        len(pcm),
    )
    return header + pcm


def _serve(path: str, data: str) -> None:
    """The worker: requests as JSON on stdin; for each, its sample count (int32) and samples on stdout."""
    import ctypes
    import os

    lib = ctypes.CDLL(path)
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
    lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint]
    lib.espeak_Synth.argtypes += [ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    synchronous, utf8, by_character, rate, pitch = 2, 1, 1, 1, 3  # from eSpeak NG's speak_lib.h
    if lib.espeak_Initialize(synchronous, 0, data.encode(), 0) != SAMPLE_RATE:
        sys.exit(f"eSpeak NG did not start with its data in {Path(data).name}; reinstall espeakng-loader")
    chunks: list[bytes] = []
    callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

    def collect(wav, count, events):  # called by eSpeak NG with each buffer of samples
        if wav and count > 0:
            chunks.append(ctypes.string_at(wav, 2 * count))
        return 0

    callback = callback_type(collect)
    lib.espeak_SetSynthCallback(callback)

    def say(text: str) -> None:
        encoded = text.encode()
        lib.espeak_Synth(encoded, len(encoded) + 1, 0, by_character, 0, utf8, None, None)
        lib.espeak_Synchronize()

    lib.espeak_SetVoiceByName(b"en")
    say("zero one two")  # the same warm-up in every worker: what eSpeak NG loads lazily is loaded once
    chunks.clear()
    out, current = sys.stdout.buffer, None
    for text, voice, words_per_minute, voice_pitch in json.load(sys.stdin):
        if voice != current:
            if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                print(f"eSpeak NG has no voice {voice!r}", file=sys.stderr)
                sys.exit(2)
            current = voice
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:  # a fresh copy of the warmed-up state: the clip depends on its request only
            os.close(reader)
            lib.espeak_ng_SetRandSeed(1)
            lib.espeak_SetParameter(rate, words_per_minute, 0)
            lib.espeak_SetParameter(pitch, voice_pitch, 0)
            say(text)
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(b"".join(chunks))
            os._exit(0)
        os.close(writer)
        with os.fdopen(reader, "rb") as pipe:
            samples = pipe.read()
        _, status = os.waitpid(child, 0)
        if status != 0 or not samples:
            sys.exit(f"eSpeak NG failed to speak {text!r} with {voice!r}")
        out.write(struct.pack("<i", len(samples) // 2) + samples)
    out.flush()


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2])
