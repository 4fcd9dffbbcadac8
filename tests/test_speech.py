"""Speech from eSpeak NG: real, deterministic, cached safely; clips the site can play; features the encoder reads."""

from __future__ import annotations

import io
import json
import sys
import wave

import numpy as np
import pytest

from conftest import ROOT
from explainer.chapters import senses
from explainer.infra import speech
from explainer.infra.speech import SAMPLE_RATE, Voice

VOICE = Voice("en-gb-scotland+f3", 140, 60)


def rms(clip: np.ndarray) -> float:
    return float(np.sqrt(np.mean(clip.astype(np.float64) ** 2)))


def test_synthesis_is_deterministic_for_a_fixed_voice(fresh_cache):
    first = speech.speak("seven", VOICE)
    for entry in fresh_cache.rglob("*.npy"):  # not from the cache: spoken again by a new worker
        entry.unlink()
    again = speech.speak("seven", VOICE)
    assert np.array_equal(first, again)
    # a clip does not depend on what was spoken before it, nor on its place in a batch
    batch = speech.speak_all([("three", "en-us+m7"), ("seven", VOICE), ("nine", "en")])
    assert np.array_equal(batch[1], first)
    assert not np.array_equal(speech.speak("seven", Voice("en-us+m7", 140, 60)), first)  # another voice differs


@pytest.mark.parametrize("voice", [Voice("en"), Voice("en-us+f5", 230, 75), Voice("en-029+m3", 120, 25), VOICE])
def test_clips_are_speech_of_plausible_length(fresh_cache, voice):
    for word, clip in zip(
        ["zero", "seven", "eleven"], speech.speak_all([(w, voice) for w in ("zero", "seven", "eleven")])
    ):
        seconds = len(clip) / SAMPLE_RATE
        assert clip.dtype == np.int16 and 0.15 < seconds < 1.5, (word, voice, seconds)
        assert rms(clip) > 800, (word, voice, rms(clip))  # not silence
        assert np.abs(clip.astype(np.int32)).max() < 32767  # not clipped
        loud = np.flatnonzero(np.abs(clip.astype(np.int32)) > 0.02 * 32768)  # trimmed: little silence around
        assert loud[0] <= 0.031 * SAMPLE_RATE and len(clip) - loud[-1] <= 0.031 * SAMPLE_RATE + 1


def test_longer_text_takes_longer(fresh_cache):
    one, many = speech.speak_all([("seven", "en"), ("seven eight nine", "en")])
    assert len(many) > 2 * len(one)


@pytest.mark.parametrize("text", ["", "   ", "x" * (speech.MAX_CHARS + 1)])
def test_empty_or_very_long_text_is_one_sentence(fresh_cache, text):
    with pytest.raises(ValueError) as err:
        speech.speak(text)
    assert "\n" not in str(err.value) and str(err.value).endswith(".")


def test_bad_requests_are_refused_before_anything_runs(fresh_cache):
    with pytest.raises(TypeError):
        speech.speak(7)
    with pytest.raises(ValueError, match="rate"):
        speech.speak("seven", Voice("en", rate=5))
    with pytest.raises(ValueError, match="no voice"):
        speech.speak("seven", "xx-nonexistent")
    with pytest.raises(ValueError):
        speech.speak_all([])


def test_a_damaged_cache_entry_is_spoken_again(fresh_cache):
    clip = speech.speak("four", VOICE)
    [entry] = [p for p in fresh_cache.rglob("*.npy") if not p.name.endswith(".lengths.npy")]
    entry.write_bytes(entry.read_bytes()[: len(entry.read_bytes()) // 2])  # truncated, as by a crash
    assert np.array_equal(speech.speak("four", VOICE), clip)
    [lengths] = fresh_cache.rglob("*.lengths.npy")
    np.save(lengths, np.array([3], dtype=np.int64))  # whole, but inconsistent with the samples
    assert np.array_equal(speech.speak("four", VOICE), clip)
    assert not list(fresh_cache.rglob("*.tmp")) and not list(fresh_cache.rglob(".*"))  # nothing half-written left


def test_a_missing_library_says_what_to_install(monkeypatch):
    speech.library.cache_clear()
    monkeypatch.setitem(sys.modules, "espeakng_loader", None)  # as if the package were not installed
    try:
        with pytest.raises(speech.SpeechUnavailable) as err:
            speech.speak("seven")
        message = str(err.value)
        assert "espeakng-loader" in message and "make install" in message and "\n" not in message
    finally:
        monkeypatch.delitem(sys.modules, "espeakng_loader")
        speech.library.cache_clear()


def test_the_library_is_the_pinned_wheel():
    _, data, version = speech.library()  # e.g. "espeakng-loader==0.2.4|espeak-ng 1.52.0": the cache key's part
    package, library = version.split("|")
    assert package in (ROOT / "requirements.txt").read_text().splitlines()
    assert library.startswith("espeak-ng 1.") and (speech.Path(data) / "voices").is_dir()


def test_site_files_are_small_mono_wav(fresh_cache):
    clip = speech.speak("seven", VOICE)
    with wave.open(io.BytesIO(speech.wav_bytes(clip, 11025))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 11025)
        assert abs(wav.getnframes() - len(clip) / 2) <= 1
        played = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert rms(played) > 0.7 * rms(clip)  # halving the rate keeps a voice's energy (it lies below 5.5 kHz)


def test_spoken_digits_hold_out_whole_voices():
    training, heldout = senses.spoken_digits()
    assert (len(training), len(heldout)) == (960, 120)
    trained_variants = {v.name.split("+")[1] for v in training.voices}
    assert not trained_variants & {v.name.split("+")[1] for v in heldout.voices}  # never heard in training
    assert sorted(np.bincount(heldout.digits)) == [12] * 10
    assert all(heldout.file(i).endswith(".wav") and "/" not in heldout.file(i) for i in range(len(heldout)))
    assert len({heldout.file(i) for i in range(len(heldout))}) == len(heldout)
    assert heldout.describe(7) == f"a voice saying 'seven' (held-out voice {heldout.voices[7].describe()})"
    x = senses.features(heldout)
    assert x.shape == (120, senses.FRAMES * senses.BANDS) and x.dtype == np.float32 and np.all(np.isfinite(x))
    assert 0.5 < float(x.std()) < 2  # about unit spread, as the encoder expects


def test_clips_play_from_the_site_or_in_jupyterlab(monkeypatch, tmp_path):
    _, heldout = senses.spoken_digits()
    monkeypatch.delenv("EMBEDDINGS_BOOK_PANELS", raising=False)
    lab = senses.listen(heldout, [7, 3], [0.5, 0.25], title="<b>seven</b>")._repr_html_()
    assert lab.count("data:audio/wav;base64,") == 2 and "&lt;b&gt;seven&lt;/b&gt;" in lab and "<b>" not in lab
    monkeypatch.setenv("EMBEDDINGS_BOOK_PANELS", str(tmp_path))
    site = senses.listen(heldout, [7], [0.5])._repr_html_()
    assert f'src="{senses.SITE_URL}{heldout.file(7)}"' in site and 'preload="none"' in site
    assert 'aria-label="a voice saying &#x27;seven&#x27;' in site and "cosine 0.50" in site
    senses.publish_clips(heldout)
    listing = json.loads((tmp_path / "sounds.json").read_text())
    assert listing["files"] == sorted(heldout.file(i) for i in range(len(heldout)))
    assert listing["meta"]["clips"][7] == {"file": heldout.file(7), "alt": heldout.describe(7), "word": "seven"}
    files = list((tmp_path / "sounds").iterdir())
    assert len(files) == 120 and sum(f.stat().st_size for f in files) <= 2_000_000
    assert not [f for f in tmp_path.rglob("*.tmp")]


def test_shared_space_measures_and_hover_texts():
    """The figures' helpers for the shared image-text-sound space (human-experience chapter)."""
    from explainer.chapters import shared_space

    assert [shared_space.with_article(n) for n in ("one", "eight", "seven")] == ["a one", "an eight", "a seven"]
    eye = np.eye(384)
    captions = np.random.default_rng(1).normal(size=(10, 10)) @ eye[:10]  # ten vectors spanning ten directions
    assert list(shared_space.nearest_on_map(captions, captions)) == list(range(10))  # each its own diamond
    share = shared_space.share_in_span(np.stack([captions[3] * 2, eye[20], eye[0] + eye[20]]), captions)
    assert share == pytest.approx([1, 0, 0.5], abs=1e-9)
    digits = np.repeat(np.arange(10), 3)
    tight = np.repeat(eye[:10], 3, axis=0) + np.random.default_rng(0).normal(scale=0.02, size=(30, 384))
    within, across = shared_space.digit_cosines(tight, digits)
    assert within.shape == (10,) and within.min() > 0.5 and abs(across) < 0.2
    fig = shared_space.plot_shared_space([f"a handwritten {d}" for d in shared_space.DIGITS], captions, (tight, digits))
    hovers = fig.to_json()
    assert "image of an eight" in hovers and "image of a seven" in hovers and "a eight" not in hovers
