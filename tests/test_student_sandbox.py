"""A downloaded notebook runs alone, in an environment made the way the setup page says.

For every session and language: the question notebook students download, copied alone
into an empty temporary folder outside the repository, executed with papermill in

- Python: a fresh virtual environment with ``notebooks/requirements.txt`` and
  ``notebooks/requirements-lme4.txt`` (the files the setup page and its Colab cell
  install); run twice, once as is and once with rpy2 and pymer4 made unimportable (a
  student without R);
- R: the system R with an empty library of its own.

The course's helpers are not installed beforehand: the notebook's own install cell
installs them, from a local stand-in for the GitHub release it names. The release
files are built from this checkout by ``coursebuild.release`` (as the release
workflow builds them) into ``<owner>/<repo>/releases/download/helpers-v<version>/``
and served over loopback HTTP; only the scheme and host of the install cell's URL
are changed to that server's. The server's log shows each file was downloaded.

The kernels see no checkout: a clean environment (no PYTHONPATH, PATH without the
repository, a temporary HOME), data from the cache through ``QM_DATA_DIR`` (no
network). After each run a probe in the same kernel, environment and folder checks
that: nothing on sys.path / .libPaths() / the working folder is in the repository, and
the helpers come from the sandbox, at the release's version.

The student's packages (the two lists and Jupyter's kernel) are installed once into a
virtual environment kept between runs, keyed on the hash of the lists and the course's
pins (`student_packages`: in ``$QM_TEST_CACHE``, else ``~/.cache/qm-course-tests``;
delete it at will). Each run makes an empty environment of its own that sees those
packages (a ``.pth`` file), so the install cell still installs the helpers into an
environment without them, and a run never changes the kept one. R needs no such
cache: its packages are the system's (Debian), and the library the install cell
fills starts empty in every run.

Sessions not yet converted to the recipe (docs/notebooks.md) are expected to fail,
strictly: the test fails as soon as one passes, so its entry must then be removed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from coursebuild import preamble, release
from coursebuild.build import output_path
from coursebuild.config import ROOT, CourseConfig
from coursebuild.course import session_paths

# What a student installs (one source: setup.qmd's Colab cell installs these files too).
REQUIREMENTS = ("notebooks/requirements.txt", "notebooks/requirements-lme4.txt")
BLOCKED = ("rpy2", "pymer4")  # unimportable in the "python-no-lme4" runs
# (session, run) pairs written before the recipe: still need the checkout or pymer4.
NOT_YET_CONVERTED = {}
TIMEOUT = 1200  # seconds per notebook (session 08 fits many models on a busy machine)
CACHE_ENV = "QM_TEST_CACHE"  # where the student's packages are kept between runs


def runs() -> list[tuple[str, str]]:
    """Every (session, run) pair: each language, and Python once more without lme4."""
    out = []
    for session in session_paths(ROOT):
        for lang in CourseConfig.load(ROOT).languages:
            out.append((session.stem, lang))
            if lang == "python":
                out.append((session.stem, "python-no-lme4"))
    return out


def _params():
    for session, run in runs():
        marks = []
        if (session, run) in NOT_YET_CONVERTED:
            reason = f"not yet converted: {NOT_YET_CONVERTED[session, run]}"
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
        yield pytest.param(session, run, id=f"{session}-{run}", marks=marks)


def _check(cmd: list[str], **kwargs) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd[:4])} failed:\n{(done.stderr or done.stdout)[-3000:]}")
    return done.stdout


def _outside_repo(path: Path) -> Path:
    assert not path.resolve().is_relative_to(ROOT.resolve()), f"{path} is inside the checkout"
    return path


def _repo_url() -> str:
    return str(CourseConfig.load(ROOT).metadata["course"]["repo-url"])


class _Release(SimpleHTTPRequestHandler):
    """Serve the release folder; remember which files were downloaded."""

    served: list[str]

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if str(code) == "200":
            self.served.append(self.path)

    def log_message(self, format: str, *args) -> None:
        pass  # quiet: the test reads `served`


@pytest.fixture(scope="session")
def github(tmp_path_factory, rscript) -> Iterator[dict]:
    """Serve a stand-in for the course's GitHub releases: this checkout's files, over HTTP."""
    root = _outside_repo(tmp_path_factory.mktemp("github"))
    files = {}
    for lang, name in (("python", release.wheel_name()), ("r", release.r_tarball_name())):
        path = urlsplit(release.asset_url(_repo_url(), name)).path
        files[lang] = path
    folder = root / Path(files["python"]).parent.relative_to("/")
    assert release.build_wheel(folder).name == release.wheel_name()
    assert release.build_r_package(folder).name == release.r_tarball_name()
    served: list[str] = []
    handler = type("Handler", (_Release,), {"served": served})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{server.server_port}", "files": files, "served": served}
    finally:
        server.shutdown()


def _from_github(notebook: dict, local: str) -> dict:
    """Return the notebook with its install cell's URLs on the stand-in (scheme and host only)."""
    remote = urlsplit(_repo_url())
    origin = f"{remote.scheme}://{remote.netloc}"
    (cell,) = [c for c in notebook["cells"] if c.get("id") == preamble.INSTALL_ID]
    code = "".join(cell["source"])
    assert code.count(f'"{origin}/') == 1, code  # the one file it installs
    cell["source"] = code.replace(f'"{origin}/', f'"{local}/')
    return notebook


def _cache() -> Path:
    """Return the folder kept between runs: $QM_TEST_CACHE, else ~/.cache/qm-course-tests."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "qm-course-tests")


def _packages_key() -> str:
    """Hash what the student's packages are made from: Python, the lists, the course's pins."""
    digest = hashlib.sha256(f"{sys.version_info[:3]}\0".encode())
    for rel in (*REQUIREMENTS, "requirements.txt"):
        digest.update(rel.encode() + b"\0" + (ROOT / rel).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def student_packages() -> Path:
    """Return the site-packages of the kept environment with the student's packages.

    Built (at most once per run, and only when the lists changed) with the
    student's lists, then Jupyter's kernel (pinned by the course); a lock keeps
    two runs (or two xdist workers) from building it at once, and a half-built
    one (no ``ready`` file) is built again.
    """
    cache = _outside_repo(_cache())
    cache.mkdir(parents=True, exist_ok=True)
    key = _packages_key()
    venv = cache / f"student-venv-{key}"
    with (cache / f"student-venv-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / "ready").is_file():
            shutil.rmtree(venv, ignore_errors=True)
            _check([sys.executable, "-m", "venv", str(venv)])
            reqs = [a for f in REQUIREMENTS for a in ("-r", str(ROOT / f))]
            _check([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *reqs,
                    "ipykernel", "-c", str(ROOT / "requirements.txt")])  # fmt: skip
            (venv / "ready").write_text(f"{' '.join(REQUIREMENTS)} requirements.txt {key}\n")
    (packages,) = venv.glob("lib/python*/site-packages")
    return packages


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory, course_data, kernel, r_kernel) -> dict:
    """Build the environments and the kernels, once: no course helpers in them."""
    base = _outside_repo(tmp_path_factory.mktemp("student"))
    jupyter = base / "jupyter" / "kernels"
    home = base / "home"
    home.mkdir()
    kernels = {}
    if "python" in CourseConfig.load(ROOT).languages:
        venv = base / "venv"  # empty; it sees the kept packages, and pip installs into it
        _check([sys.executable, "-m", "venv", "--without-pip", str(venv)])
        (own,) = venv.glob("lib/python*/site-packages")
        (own / "student-packages.pth").write_text(
            f"import site; site.addsitedir({str(student_packages())!r})\n"
        )
        blocker = base / "no-lme4"
        blocker.mkdir()
        (blocker / "sitecustomize.py").write_text(_BLOCKER.format(blocked=BLOCKED))
        python = venv / "bin" / "python"
        argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        kernels["python"] = _kernel(jupyter, "sandbox-python", argv, {})
        kernels["python-no-lme4"] = _kernel(
            jupyter, "sandbox-python-no-lme4", argv, {"PYTHONPATH": str(blocker)}
        )
        kernels["venv"] = venv
    if "r" in CourseConfig.load(ROOT).languages:
        lib = base / "R-library"  # empty: the install cell puts qmhelpers here
        lib.mkdir()
        argv = ["R", "--slave", "-e", "IRkernel::main()", "--args", "{connection_file}"]
        kernels["r"] = _kernel(jupyter, "sandbox-r", argv, {"R_LIBS": str(lib)})
    return {"base": base, "home": home, "jupyter": jupyter.parent, "kernels": kernels}


_BLOCKER = '''"""A student without R: rpy2 and pymer4 cannot be imported."""
import sys


class _NoLme4:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (sandbox: no R)")
        return None


sys.meta_path.insert(0, _NoLme4())
'''


def _kernel(folder: Path, name: str, argv: list[str], env: dict) -> str:
    spec = folder / name
    spec.mkdir(parents=True)
    language = "R" if name.endswith("-r") else "python"
    data = {"argv": argv, "display_name": name, "language": language, "env": env}
    (spec / "kernel.json").write_text(json.dumps(data))
    return name


def _clean_env(home: Path) -> dict:
    """Return what a student's Jupyter has: no checkout anywhere, the data cache."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "QM_DATA_DIR": str(Path(os.environ["QM_DATA_DIR"]).resolve()),
        "OPENBLAS_NUM_THREADS": "1",  # a shared build machine; students may leave it unset
    }
    assert ROOT.as_posix() not in json.dumps(env), "the data cache must be outside the checkout"
    return env


def _papermill(sandbox: dict, kernel: str, notebook: Path, cwd: Path, out: Path) -> float:
    """Execute `notebook` with papermill (in its own process, clean environment)."""
    env = {**_clean_env(sandbox["home"]), "JUPYTER_PATH": str(sandbox["jupyter"])}
    cmd = [sys.executable, "-m", "papermill", str(notebook), str(out), "-k", kernel,
           "--cwd", str(cwd), "--no-progress-bar", "--execution-timeout", str(TIMEOUT)]  # fmt: skip
    start = time.perf_counter()
    _check(cmd, env=env, cwd=cwd)
    return time.perf_counter() - start


PROBE = {
    "python": (
        "import json, os, sys, importlib.metadata, importlib.util\n"
        "spec = importlib.util.find_spec('helpers')\n"
        "try:\n    import pymer4.models\n    lme4 = True\nexcept ImportError:\n    lme4 = False\n"
        "print(json.dumps({'paths': sys.path, 'cwd': os.getcwd(),"
        " 'pythonpath': os.environ.get('PYTHONPATH', ''), 'helpers': spec.origin,"
        " 'version': importlib.metadata.version('qm-helpers'), 'lme4': lme4}))"
    ),
    "r": (
        "cat(jsonlite::toJSON(list(paths = .libPaths(), cwd = getwd(),"
        " helpers = find.package('qmhelpers'),"
        " version = format(packageVersion('qmhelpers'))), auto_unbox = TRUE))"
    ),
}


def _probe(sandbox: dict, kernel: str, lang: str, cwd: Path) -> dict:
    """Run the probe in the same kernel, environment and folder as the notebook."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(PROBE[lang]))
    folder = _outside_repo(cwd.parent / "probe")
    folder.mkdir(exist_ok=True)
    nbformat.write(nb, folder / "probe.ipynb")
    _papermill(sandbox, kernel, folder / "probe.ipynb", cwd, folder / "probe.out.ipynb")
    out = nbformat.read(folder / "probe.out.ipynb", as_version=4)
    text = "".join(o.get("text", "") for o in out.cells[0].outputs if o.output_type == "stream")
    return json.loads(text)


@pytest.mark.parametrize(("session", "run"), list(_params()))
def test_downloaded_notebook_runs_alone(sandbox, github, tmp_path, session, run):
    lang = "python" if run.startswith("python") else run
    kernel = sandbox["kernels"][run]
    downloaded = output_path(ROOT / "sessions" / f"{session}.qmd", lang, ROOT)
    assert downloaded.is_file(), f"{downloaded} missing: run ./course build {session}"
    folder = _outside_repo(tmp_path / "student")
    folder.mkdir()
    notebook = _from_github(json.loads(downloaded.read_text("utf-8")), github["url"])
    (folder / downloaded.name).write_text(json.dumps(notebook), "utf-8")  # the download, alone
    out = tmp_path / "executed.ipynb"
    seconds = _papermill(sandbox, kernel, folder / downloaded.name, folder, out)
    print(f"{session} {run}: {seconds:.1f} s")

    seen = _probe(sandbox, kernel, lang, folder)
    repo = ROOT.resolve().as_posix()
    assert not [p for p in seen["paths"] if repo in str(p)], seen["paths"]
    assert repo not in seen["cwd"]
    assert Path(seen["cwd"]).resolve() == folder.resolve()
    assert seen["version"] == release.version()
    assert github["files"][lang] in github["served"], "the helpers were not downloaded"
    if lang == "python":
        assert not seen["pythonpath"] or repo not in seen["pythonpath"]
        venv = sandbox["kernels"]["venv"].resolve().as_posix()
        assert seen["helpers"].startswith(venv), seen["helpers"]
        assert seen["lme4"] is (run == "python"), f"pymer4 importable: {seen['lme4']}"
    else:
        assert seen["helpers"].startswith(str(sandbox["base"])), seen["helpers"]
