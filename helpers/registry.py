"""The course's data files: the registry and a verified download cache.

Every file the sessions read is listed in ``helpers/registry.txt`` (name, SHA-256, URL
pinned to one commit). :func:`fetch` returns a verified local copy from the cache folder
(:func:`data_dir`), downloading it with pooch when it is absent; :func:`fetch_all` does
that for every file.

Command line (fills a cache for offline use, e.g. in CI)::

    python -m helpers.registry fetch-all [--dir FOLDER]   # default: data_dir()
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import sys
from functools import cache
from pathlib import Path

import pooch

__all__ = ["ENV_VAR", "data_dir", "fetch", "fetch_all"]

logger = logging.getLogger(__name__)

ENV_VAR = "QM_DATA_DIR"
_HERE = Path(__file__).resolve().parent


@cache
def _registry() -> dict[str, tuple[str, str]]:
    """Parse ``registry.txt`` into ``{name: (sha256, url)}``."""
    entries: dict[str, tuple[str, str]] = {}
    for line in (_HERE / "registry.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sha, url = line.split()
            entries[name] = (sha.lower(), url)
    return entries


def data_dir() -> Path:
    """Return the cache folder that holds the course's data files.

    The order is: the environment variable ``QM_DATA_DIR`` when it is set and not empty,
    otherwise the user's cache folder ``pooch.os_cache("qm-course")`` (for example
    ``~/.cache/qm-course`` on Linux). The folder is not created here.

    Returns
    -------
    pathlib.Path
        The cache folder.

    Examples
    --------
    >>> import os
    >>> data_dir() == Path(os.environ["QM_DATA_DIR"]).expanduser()
    True
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(pooch.os_cache("qm-course"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(name: str) -> Path:
    """Return the local path of a registered data file, verified by its SHA-256.

    A file already in :func:`data_dir` is hash-checked and returned without writing
    anything (the CI cache is read-only). A missing file is downloaded with pooch from its
    pinned URL into :func:`data_dir`.

    Parameters
    ----------
    name : str
        A file name from ``helpers/registry.txt``, e.g. ``"england_filtered.csv"``.

    Returns
    -------
    pathlib.Path
        Path to the verified file.

    Raises
    ------
    ValueError
        Unknown name (the message lists the known ones), or the file's hash differs from
        the registry (the message names the file, the expected and the actual hash).
    FileNotFoundError
        The file is absent and could not be downloaded; the message gives the URL to
        download and the folder to save it in.

    Examples
    --------
    >>> fetch("abs_meta.csv").name
    'abs_meta.csv'
    """
    registry = _registry()
    if name not in registry:
        raise ValueError(f"Unknown data file {name!r}. Known files: {', '.join(sorted(registry))}.")
    expected, url = registry[name]
    folder = data_dir()
    path = folder / name
    if path.is_file():
        actual = _sha256(path)
        if actual != expected:
            raise ValueError(
                f"Hash mismatch for {name} at {path}: expected sha256 {expected}, "
                f"got {actual}. The file is damaged or a different version; delete it "
                f"and download it again from {url}"
            )
        logger.debug("Using cached %s", path)
        return path
    logger.info("%s is not in %s; downloading it from %s", name, folder, url)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fetched = pooch.retrieve(
            url, known_hash=f"sha256:{expected}", fname=name, path=folder, progressbar=False
        )
    except ValueError as exc:  # pooch: downloaded file's hash differs
        raise ValueError(
            f"Hash mismatch for {name} downloaded from {url}: expected sha256 {expected}. {exc}"
        ) from exc
    except Exception as exc:  # no network, HTTP error, read-only folder ...
        raise FileNotFoundError(
            f"Data file {name} is not in {folder} and could not be downloaded "
            f"({type(exc).__name__}). Download it from {url} and save it as "
            f"{path}, or set the environment variable {ENV_VAR} to a folder that holds it."
        ) from exc
    return Path(fetched)


def fetch_all() -> list[Path]:
    """Return every registered file, verified, downloading the absent ones into :func:`data_dir`.

    Stops downloading at the first file that cannot be fetched (no network: the others
    would fail the same way) and raises one error naming every file still missing.

    Raises
    ------
    ValueError
        A file's hash differs from the registry (see :func:`fetch`).
    FileNotFoundError
        Files are absent and could not be downloaded; the message names them, the
        folder and how to provide them.
    """
    found: list[Path] = []
    names = sorted(_registry())
    for i, name in enumerate(names):
        try:
            found.append(fetch(name))
        except FileNotFoundError as exc:
            folder = data_dir()
            missing = [n for n in names[i:] if not (folder / n).is_file()]
            raise FileNotFoundError(
                f"{len(missing)} of the {len(names)} course data files are not in {folder} "
                f"and could not be downloaded ({exc.__cause__.__class__.__name__}): "
                f"{', '.join(missing)}. Set the environment variable {ENV_VAR} to a folder "
                "that holds them, or run `python -m helpers.registry fetch-all` where "
                "raw.githubusercontent.com can be reached."
            ) from exc
    return found


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.registry fetch-all [--dir FOLDER]``; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.registry",
        description="Download every file of helpers/registry.txt into the data cache, "
        "each checked against its SHA-256.",
    )
    parser.add_argument("command", choices=["fetch-all"])
    parser.add_argument("--dir", type=Path, help=f"cache folder (default: ${ENV_VAR}, else "
                        "the user's cache folder)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.dir is not None:
        os.environ[ENV_VAR] = str(args.dir)
    try:
        paths = fetch_all()
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"ok {path}")
    print(f"{len(paths)} files in {data_dir()}, each matching its SHA-256 in registry.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
