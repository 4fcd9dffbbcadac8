"""A third sense for the human-experience chapter: digit words spoken in many voices, what a sound encoder sees.

* ``spoken_digits()``: "zero" to "nine" in 96 training voices and 12 held-out voices (eSpeak NG voice
  variants the encoder never hears in training), each voice with its own rate and pitch (``speech.py``).
* ``features(clips)``: each clip as a log-mel spectrogram (numpy), stretched to a fixed number of frames.
* ``listen(clips, indices)``: clips to play, each with a text alternative: ``<audio>`` elements whose files
  the site serves from ``_static`` (written at build time), ``IPython.display.Audio`` in JupyterLab.
* ``plot_spectrograms(clips, indices)``: what the encoder's input looks like.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from explainer.chapters.shared_space import DIGITS
from explainer.infra import speech
from explainer.infra.speech import SAMPLE_RATE, Voice
from explainer.teaching.panels import building_site, publish

ACCENTS = ["en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]
TRAINING_VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "f1", "f2", "f4", "croak", "Andy", "Annie"]
HELDOUT_ACCENTS = ["en", "en-us", "en-gb-scotland"]
HELDOUT_VARIANTS = ["m7", "f3", "f5", "Alicia"]  # never heard in training
SITE_RATE = 11025  # the site's WAV files: half eSpeak NG's rate, plenty for a voice, half the bytes
SITE_FOLDER = "sounds"  # panel data name: the files land in _static/live/panels/sounds/
SITE_URL = "../_static/live/panels/sounds/"  # from a chapter page (book/<chapter>.html)
N_FFT, HOP, BANDS, FRAMES = 512, 220, 40, 24  # 23 ms windows every 10 ms, 40 mel bands, 24 time steps


def voices(accents: list[str], variants: list[str], seed: int) -> list[Voice]:
    """Every accent with every variant ("en-us+f3"), each with its own rate (120-240 wpm) and pitch (25-80)."""
    rng = np.random.default_rng(seed)
    return [
        Voice(f"{a}+{v}", int(rng.integers(120, 241)), int(rng.integers(25, 81))) for a in accents for v in variants
    ]


@dataclass
class Clips:
    """Spoken digits: int16 samples at 22,050 Hz, the digit each clip says and the voice that says it."""

    samples: list[np.ndarray]
    digits: np.ndarray
    voices: list[Voice]
    heard: str  # "training" or "held-out"

    def __len__(self) -> int:
        return len(self.samples)

    def describe(self, i: int) -> str:
        """A text alternative: "a voice saying 'seven' (held-out voice en-us+f3, slow, high)"."""
        return f"a voice saying '{DIGITS[self.digits[i]]}' ({self.heard} voice {self.voices[i].describe()})"

    def short(self, i: int) -> str:
        """A short label: "'seven', en-us+f3"."""
        return f"'{DIGITS[self.digits[i]]}', {self.voices[i].name}"

    def file(self, i: int) -> str:
        v = self.voices[i]
        return f"{DIGITS[self.digits[i]]}-{v.name.replace('+', '-')}-{v.rate}-{v.pitch}.wav".lower()

    def seconds(self) -> np.ndarray:
        return np.array([len(s) / SAMPLE_RATE for s in self.samples])


def spoken(voice_list: list[Voice], heard: str) -> Clips:
    """Each voice says each digit once (one batch for eSpeak NG, cached)."""
    pairs = [(d, v) for v in voice_list for d in range(10)]
    samples = speech.speak_all([(DIGITS[d], v) for d, v in pairs])
    return Clips(samples, np.array([d for d, _ in pairs]), [v for _, v in pairs], heard)


def spoken_digits() -> tuple[Clips, Clips]:
    """The training clips (96 voices) and the held-out clips (12 unheard voices); the held-out ones go to the site."""
    training = spoken(voices(ACCENTS, TRAINING_VARIANTS, seed=0), "training")
    heldout = spoken(voices(HELDOUT_ACCENTS, HELDOUT_VARIANTS, seed=1), "held-out")
    publish_clips(heldout)
    return training, heldout


def listing(clips: Clips) -> list[dict]:
    """What the site needs to know of each clip: its file, its text alternative, the word it says."""
    return [{"file": clips.file(i), "alt": clips.describe(i), "word": DIGITS[d]} for i, d in enumerate(clips.digits)]


def publish_clips(clips: Clips) -> None:
    """While the site is built: every clip as a small WAV file (SITE_RATE, 16-bit mono), with the listing."""
    if building_site() is None:
        return
    files = {clips.file(i): speech.wav_bytes(s, SITE_RATE) for i, s in enumerate(clips.samples)}
    publish(SITE_FOLDER, {"clips": listing(clips)}, {}, files=files)


def panel_sounds(clips: Clips, vectors: np.ndarray) -> dict:
    """The ``sounds`` argument of ``panels.images_panel``: the published clips and their vectors."""
    return {"folder": SITE_FOLDER, "clips": listing(clips), "vectors": vectors}


# --- what the encoder hears -----------------------------------------------------------------------------


def mel_filters(bands: int = BANDS, low: float = 80.0, high: float = 7600.0) -> np.ndarray:
    """Triangular filters evenly spaced on the mel scale (how pitch is perceived): (bands, N_FFT // 2 + 1)."""
    mel = 2595 * np.log10(1 + np.array([low, high]) / 700)
    edges = 700 * (10 ** (np.linspace(mel[0], mel[1], bands + 2) / 2595) - 1)
    freqs = np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    return np.maximum(0, np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)))


FILTERS = mel_filters()


def log_mel(samples: np.ndarray) -> np.ndarray:
    """A clip's log-mel spectrogram: (frames, BANDS), one row every 10 ms."""
    x = samples.astype(np.float32) / 32768
    x = np.pad(x, (0, max(0, N_FFT - len(x))))
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP] * np.hanning(N_FFT)
    return np.log(np.abs(np.fft.rfft(frames, axis=1)) ** 2 @ FILTERS.T + 1e-6)


def features(clips: Clips, frames: int = FRAMES) -> np.ndarray:
    """(clips, frames * BANDS) float32: log-mel minus each band's mean (the voice's colour), on ``frames`` steps.

    Stretching every clip to the same number of steps hides the speaking rate; dividing by 3 gives numbers
    of about unit spread.
    """
    rows = []
    for samples in clips.samples:
        spec = log_mel(samples)
        spec -= spec.mean(axis=0)
        at = np.linspace(0, len(spec) - 1, frames)  # linear interpolation between neighbouring rows
        below = np.minimum(at.astype(int), len(spec) - 2) if len(spec) > 1 else np.zeros(frames, int)
        share = (at - below)[:, None]
        rows.append((spec[below] * (1 - share) + spec[np.minimum(below + 1, len(spec) - 1)] * share).ravel())
    return (np.stack(rows) / 3).astype(np.float32)


# --- listening -----------------------------------------------------------------------------------------


class Listening:
    """Clips to play, with their text alternatives: files from the site's _static, or Audio in JupyterLab."""

    def __init__(self, clips: Clips, indices, scores=None, title: str = ""):
        self.clips, self.indices, self.title = clips, [int(i) for i in indices], title
        self.scores = None if scores is None else [float(s) for s in scores]

    def label(self, k: int) -> str:
        i = self.indices[k]
        score = f" · cosine {self.scores[k]:.2f}" if self.scores is not None else ""
        return self.clips.describe(i) + score

    def _player(self, i: int) -> str:
        if building_site() is not None:
            src = html.escape(SITE_URL + self.clips.file(i))
            return f'<audio controls preload="none" src="{src}" aria-label="{html.escape(self.clips.describe(i))}"></audio>'
        from IPython.display import Audio

        return Audio(self.clips.samples[i], rate=SAMPLE_RATE)._repr_html_()

    def _repr_html_(self) -> str:
        items = "".join(
            f'<li><span class="book-clip-label">{html.escape(self.label(k))}</span> {self._player(i)}</li>'
            for k, i in enumerate(self.indices)
        )
        caption = f"<figcaption>{html.escape(self.title)}</figcaption>" if self.title else ""
        return f'<figure class="book-clips">{caption}<ol>{items}</ol></figure>'

    def __repr__(self) -> str:
        return "\n".join([self.title, *(self.label(k) for k in range(len(self.indices)))]).strip()


def listen(clips: Clips, indices, scores=None, title: str = "") -> Listening:
    """Play ``clips[indices]`` (best first, with their ``scores`` when given)."""
    return Listening(clips, indices, scores, title)


def plot_spectrograms(clips: Clips, indices, title: str = "What the sound encoder hears") -> go.Figure:
    """The log-mel spectrograms of a few clips, one above the other on one time axis: pitch up, loudness as colour."""
    from plotly.subplots import make_subplots

    indices = [int(i) for i in indices]
    fig = make_subplots(
        rows=len(indices),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.35 / len(indices),  # room for each title
        subplot_titles=[clips.short(i) for i in indices],
    )
    for row, i in enumerate(indices, start=1):
        spec = log_mel(clips.samples[i])
        fig.add_trace(
            go.Heatmap(
                z=np.round(spec.T, 1),
                x=np.round(np.arange(len(spec)) * HOP / SAMPLE_RATE, 2),
                coloraxis="coloraxis",
                hovertemplate="%{x} s, band %{y}: %{z}<extra></extra>",
            ),
            row=row,
            col=1,
        )
    fig.update_xaxes(title_text="seconds", row=len(indices), col=1)
    fig.update_yaxes(title_text="mel band, low → high", row=(len(indices) + 1) // 2, col=1)
    fig.update_layout(
        title=title,
        height=130 + 150 * len(indices),
        coloraxis=dict(colorscale="Magma", showscale=False),
        margin=dict(l=60, r=10, t=80, b=50),
        meta=dict(description="Log-mel spectrograms of " + "; ".join(clips.short(i) for i in indices) + "."),
    )
    return fig
