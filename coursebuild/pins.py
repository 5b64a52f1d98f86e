"""What the sessions and helpers use, and where it is pinned.

Python imports must be pinned in `requirements.txt`; R packages in
`renv.lock` (written by `python -m coursebuild.pins --write-renv-lock` from the
installed Debian packages: renv itself is not in Debian).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

from .config import ROOT
from .course import Course

# Import names whose distribution is called something else on PyPI.
DISTRIBUTION = {
    "sklearn": "scikit-learn",
    "yaml": "PyYAML",
    "IPython": "ipython",
    "pypandoc": "pypandoc-binary",
    "mpl_toolkits": "matplotlib",
}
# R packages needed though never attached with library(): the notebook kernel
# and pymer4's own R side.
R_ALWAYS = ("IRkernel", "lme4", "lmerTest", "emmeans")
R_CALL = re.compile(
    r"(?<![\w.])(?:library|require|requireNamespace)\(\s*['\"]?([A-Za-z][\w.]*)|\b([A-Za-z][\w.]*)::"
)


def python_imports(root: Path = ROOT) -> set[str]:
    """Top-level modules imported by the sessions' Python chunks and by helpers/."""
    codes = [p.read_text() for p in (root / "helpers").rglob("*.py")]
    codes += [c.code for c in _chunks(root) if c.lang == "python"]
    found: set[str] = set()
    for code in codes:
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    local = {"helpers", "coursebuild"}
    return {m for m in found if m not in local and m not in sys.stdlib_module_names}


def r_packages(root: Path = ROOT) -> set[str]:
    """R packages the sessions' R chunks and helpers/R use, plus the kernel's and pymer4's."""
    codes = [p.read_text() for p in (root / "helpers").rglob("*.R")]
    codes += [c.code for c in _chunks(root) if c.lang == "r"]
    found = set(R_ALWAYS)
    for code in codes:
        code = "\n".join(line.split("#")[0] for line in code.splitlines())
        for match in R_CALL.finditer(code):
            found.add(match.group(1) or match.group(2))
    return found - r_base_packages() - {"qmhelpers"}  # the course's own (helpers/R)


def r_base_packages() -> set[str]:
    """List R's base packages: they ship with R, so renv.lock need not pin them."""
    return {
        "base", "compiler", "datasets", "graphics", "grDevices", "grid", "methods",
        "parallel", "splines", "stats", "stats4", "tcltk", "tools", "utils",
    }  # fmt: skip


def pinned_requirements(root: Path = ROOT) -> dict[str, str]:
    """Distribution name (lower case) -> pinned version, from requirements.txt."""
    pins = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def distribution(module: str) -> str:
    """Return the pip distribution that provides `module`, normalised for comparison."""
    return DISTRIBUTION.get(module, module).lower().replace("_", "-")


def locked_r(root: Path = ROOT) -> dict[str, str]:
    """Read renv.lock's pinned R package versions by name."""
    lock = json.loads((root / "renv.lock").read_text())
    return {name: entry["Version"] for name, entry in lock["Packages"].items()}


def installed_r(packages: set[str]) -> dict[str, str]:
    """Installed versions of `packages` and of everything they depend on (not base)."""
    script = (
        "ip <- installed.packages(); pk <- commandArgs(TRUE);"
        "deps <- tools::package_dependencies(pk, db = ip, recursive = TRUE,"
        " which = c('Depends', 'Imports', 'LinkingTo'));"
        "all <- setdiff(unique(c(pk, unlist(deps))), rownames(ip)[ip[, 'Priority'] %in% 'base']);"
        "all <- intersect(all, rownames(ip));"
        "cat(paste(all, ip[all, 'Version']), sep = '\\n')"
    )
    out = subprocess.run(
        ["Rscript", "-e", script, *sorted(packages)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split(" ", 1) for line in out.splitlines() if line.strip())


def write_renv_lock(root: Path = ROOT) -> Path:
    """Write renv.lock from the installed versions of what the course uses."""
    version = subprocess.run(
        ["Rscript", "-e", "cat(format(getRversion()))"], capture_output=True, text=True, check=True
    ).stdout.strip()
    packages = {
        name: {"Package": name, "Version": v, "Source": "Repository", "Repository": "CRAN"}
        for name, v in sorted(installed_r(r_packages(root)).items(), key=lambda kv: kv[0].lower())
    }
    lock = {
        "R": {
            "Version": version,
            "Repositories": [{"Name": "CRAN", "URL": "https://cloud.r-project.org"}],
        },
        "Packages": packages,
    }
    path = root / "renv.lock"
    path.write_text(json.dumps(lock, indent=2) + "\n")
    return path


def _chunks(root: Path):
    """Every chunk of every session, the partials they include among them."""
    for src in Course.load(root).sessions.values():
        yield from src.chunks


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-renv-lock"]:
        print(f"wrote {write_renv_lock()}")
    else:
        print("usage: python -m coursebuild.pins --write-renv-lock", file=sys.stderr)
        sys.exit(2)
