"""The course's data files: the registry and a verified download cache.

Every file the sessions read is listed in ``helpers/registry.txt`` (name, SHA-256, URL
pinned to one commit). :func:`fetch` returns a verified local copy from the cache folder
(:func:`data_dir`), downloading it with pooch when it is absent.
"""

from __future__ import annotations

import hashlib
import logging
import os
from functools import cache
from pathlib import Path

import pooch

__all__ = ["ENV_VAR", "data_dir", "fetch"]

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
