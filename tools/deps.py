"""The book's Python dependencies: requirements.txt's pins, the hashed requirements.lock, the canary's list.

`make` calls it (standard library only, so any python3 runs it):

    python3 tools/deps.py check          every pin of requirements.txt is in requirements.lock (else: make lock)
    python3 tools/deps.py entry NAME     one package's entry in the lock (`make` installs pip's first)
    python3 tools/deps.py unconflict     a merge left requirements.lock in conflict: both sides' pins, merged
    python3 tools/deps.py torch          torch's entry in the lock lists every CPU wheel the book accepts
    python3 tools/deps.py newest         requirements.txt with its pins lifted, within Jupyter Book 1 (the canary)
    python3 tools/deps.py moved FREEZE   the versions in FREEZE (`pip freeze`) that differ from the lock's
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.txt"
LOCK = ROOT / "requirements.lock"

# The SHA-256 of each torch file the lock accepts: PyTorch's CPU builds for Linux x86_64 and aarch64, CPython
# 3.11 and 3.12, as https://download.pytorch.org/whl/cpu/torch/ lists them. That index cannot be reached from
# the machine the book is developed on, so the digests were cross-checked instead: the cp311 x86_64 one is
# the sha256sum of the wheel this machine installs (/opt/wheels), and each one agrees across independent
# public lock files that pin these URLs. Other packages' hashes come from PyPI through pip-compile.
TORCH_CPU_WHEELS = {
    "2.13.0+cpu": {
        "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl": (
            "6746dbcbeb526eb61330b76b41ff1b4eb848951103a892eeb080dfa2b264667b"
        ),
        "torch-2.13.0+cpu-cp312-cp312-manylinux_2_28_x86_64.whl": (
            "4ca4a9394b0c771238a4f73590fdbbc4debad85ed0fa63d026ae1b085da7d6e2"
        ),
        "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_aarch64.whl": (
            "84453b69508ec79902f899c5ed9495acb9e2bbe9fda5f1d5d6f19e3c3842e1a7"
        ),
        "torch-2.13.0+cpu-cp312-cp312-manylinux_2_28_aarch64.whl": (
            "6f307c2c32d764ffc6ff6893b801fad6d4752f3e67966cb8abf1843427c02604"
        ),
    },
}

# The canary lifts every == pin but these: Jupyter Book 2 is another program (see the README's decision).
CANARY_LIMITS = {"jupyter-book": "jupyter-book<2"}
# ...and leaves out torch, which it installs on its own from PyPI's CPU index (a newer torch from PyPI is a
# CUDA build of several GB).
CANARY_APART = {"torch"}

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


def normalize(name: str) -> str:
    """A distribution's name as pip compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """{normalized name: version} of the `name==version` lines of a requirements file or `pip freeze`."""
    found = (PIN.match(line) for line in text.splitlines())
    return {normalize(m.group(1)): m.group(2) for m in found if m}


def entries(text: str) -> dict[str, list[str]]:
    """{normalized name: its lines} of a pip-compile lock: the pin line and the indented lines under it."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            current = out.setdefault(normalize(match.group(1)), [])
        elif not line[:1].isspace():
            current = None
        if current is not None:
            current.append(line)
    return out


def check(requirements: str, lock: str) -> list[str]:
    """Sentences naming each pin of requirements.txt that the lock lacks or pins differently."""
    locked = pins(lock)
    problems = []
    for name, version in pins(requirements).items():
        have = locked.get(name)
        if have is None:
            problems.append(f"requirements.txt pins {name}=={version}, which requirements.lock lacks")
        elif have.split("+")[0] != version.split("+")[0]:
            problems.append(f"requirements.txt pins {name}=={version}, requirements.lock has {have}")
    return problems


def with_torch_hashes(lock: str) -> str:
    """The lock with torch's hashes replaced by TORCH_CPU_WHEELS's for its version.

    Raises ValueError when that version has no recorded CPU wheels, or when pip-compile found a torch file
    (this machine's) whose digest is not one of them: then it is not PyTorch's CPU build.
    """
    version = pins(lock).get("torch")
    if version is None:
        return lock
    wheels = TORCH_CPU_WHEELS.get(version)
    if wheels is None:
        raise ValueError(
            f"torch {version} has no recorded CPU wheels: add their SHA-256 from "
            "https://download.pytorch.org/whl/cpu/torch/ to TORCH_CPU_WHEELS in tools/deps.py"
        )
    old = entries(lock)["torch"]
    strangers = set(HASH.findall("\n".join(old))) - set(wheels.values())
    if strangers:
        raise ValueError(f"a torch {version} file here has SHA-256 {sorted(strangers)}, not a CPU wheel's")
    digests = sorted(set(wheels.values()))
    new = [old[0].split(" ")[0] + " \\"]
    new += [f"    --hash=sha256:{d}" + (" \\" if i < len(digests) - 1 else "") for i, d in enumerate(digests)]
    new += [line for line in old[1:] if line.lstrip().startswith("#")]
    return lock.replace("\n".join(old), "\n".join(new))


def unconflicted(ours: str, theirs: str) -> str:
    """A lock holding every entry of `ours` and the entries of `theirs` that `ours` lacks.

    pip-compile keeps the pins (and reuses the hashes) of the lock it finds, so after a merge the packages
    both branches tested keep their versions, and `make lock` only resolves what is new.
    """
    merged = entries(theirs) | entries(ours)
    return "\n".join(line for name in sorted(merged) for line in merged[name]) + "\n"


def newest(requirements: str) -> str:
    """requirements.txt's direct requirements with their pins lifted, for the canary."""
    names = [name for name in pins(requirements) if name not in CANARY_APART]
    return "\n".join(CANARY_LIMITS.get(name, name) for name in names) + "\n"


def moved(freeze: str, lock: str) -> list[str]:
    """`name: locked -> installed` for each package installed at another version than the lock's."""
    locked, installed = pins(lock), pins(freeze)
    lines = [
        f"{n}: {locked[n]} -> {installed[n]}" for n in sorted(installed) if n in locked and locked[n] != installed[n]
    ]
    lines += [f"{n}: (not in the lock) {installed[n]}" for n in sorted(installed) if n not in locked]
    return lines


def _git_stage(stage: int) -> str | None:
    proc = subprocess.run(["git", "show", f":{stage}:requirements.lock"], cwd=ROOT, capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "check":
        problems = check(REQUIREMENTS.read_text(), LOCK.read_text())
        for problem in problems:
            print(f"{problem}: run `make lock`.", file=sys.stderr)
        return 1 if problems else 0
    if command == "entry" and len(argv) == 2:
        lines = entries(LOCK.read_text()).get(normalize(argv[1]))
        if lines is None:
            print(f"requirements.lock has no {argv[1]}: run `make lock`.", file=sys.stderr)
            return 1
        print("\n".join(lines))
        return 0
    if command == "unconflict":
        if LOCK.exists() and "\n<<<<<<< " in "\n" + LOCK.read_text():
            ours, theirs = _git_stage(2), _git_stage(3)
            if ours is None or theirs is None:
                print("requirements.lock has conflict markers but git holds no merge of it.", file=sys.stderr)
                return 1
            LOCK.write_text(unconflicted(ours, theirs))
            print("requirements.lock was in conflict: starting from both sides' pins.")
        return 0
    if command == "torch":
        try:
            LOCK.write_text(with_torch_hashes(LOCK.read_text()))
        except ValueError as error:
            print(f"{error}.", file=sys.stderr)
            return 1
        return 0
    if command == "newest":
        sys.stdout.write(newest(REQUIREMENTS.read_text()))
        return 0
    if command == "moved" and len(argv) == 2:
        print("\n".join(moved(Path(argv[1]).read_text(), LOCK.read_text())) or "nothing moved")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
