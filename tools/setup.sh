#!/usr/bin/env bash
# Set up everything the course needs, once: Debian packages (R, lme4, IRkernel,
# chromium), the Python virtual environment in .venv with requirements.txt, the
# helpers (qm-helpers, helpers/pyproject.toml) and the build (qm-course) installed
# editable, and the `ir` kernel
# registered inside .venv. Re-running is cheap: each step is skipped while the
# file it depends on is unchanged (stamps in .venv/.setup-*).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv="$root/.venv"
stamp() { sha256sum "$@" | sha256sum | cut -c1-16; }

# 1. Debian packages (as root; otherwise say what to install).
apt_list=$(grep -v '^\s*#' tools/apt-packages.txt | tr '\n' ' ')
apt_stamp="$venv/.setup-apt-$(stamp tools/apt-packages.txt)"
if [ ! -e "$apt_stamp" ]; then
  missing=$(dpkg-query -W -f='${Package} ${Status}\n' $apt_list 2>/dev/null \
            | awk '$NF != "installed" {print $1}'; \
            for p in $apt_list; do dpkg-query -W "$p" >/dev/null 2>&1 || echo "$p"; done)
  missing=$(echo "$missing" | sort -u | tr '\n' ' ' | xargs || true)
  if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
      echo "setup: please install these Debian/Ubuntu packages (or their equivalents): $missing" >&2
      exit 1
    fi
    echo "setup: installing Debian packages: $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing
  fi
fi

# 2. Python virtual environment with the pinned requirements and the project.
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating $venv"
  python3 -m venv "$venv"
fi
mkdir -p "$(dirname "$apt_stamp")" && touch "$apt_stamp"
pip_stamp="$venv/.setup-pip-$(stamp requirements.txt pyproject.toml helpers/pyproject.toml)"
if [ ! -e "$pip_stamp" ]; then
  echo "setup: installing Python packages from requirements.txt"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -r requirements.txt
  "$venv/bin/python" -m pip install -q --no-deps -e ./helpers -e .
  rm -f "$venv"/.setup-pip-*
  touch "$pip_stamp"
fi

# 3. Jupyter kernels inside the venv: python3 (ipykernel) and ir (IRkernel).
if [ ! -e "$venv/share/jupyter/kernels/ir/kernel.json" ]; then
  echo "setup: registering the ir kernel in $venv"
  PATH="$venv/bin:$PATH" Rscript -e \
    "IRkernel::installspec(name = 'ir', displayname = 'R', prefix = '$venv')" >/dev/null
fi
if [ ! -e "$venv/share/jupyter/kernels/python3/kernel.json" ]; then
  "$venv/bin/python" -m ipykernel install --prefix "$venv" --name python3 >/dev/null
fi
# 4. The course's R helpers (R package qmhelpers, built from helpers/) in .venv's own R
# library, which the `ir` kernel uses (R_LIBS below): the R notebooks load them as a
# student's do. Reinstalled whenever a file it is built from changes.
r_stamp="$venv/.setup-r-$(stamp helpers/R/* helpers/schools.json helpers/registry.txt helpers/pyproject.toml)"
if [ ! -e "$r_stamp" ]; then
  echo "setup: installing the R helpers (qmhelpers) into $venv/R-library"
  tmp=$(mktemp -d)
  tarball=$("$venv/bin/python" -c 'import sys; from pathlib import Path
from coursebuild.release import build_r_package; print(build_r_package(Path(sys.argv[1])))' "$tmp")
  mkdir -p "$venv/R-library"
  R CMD INSTALL --no-test-load --library="$venv/R-library" "$tarball" >"$tmp/log" 2>&1 \
    || { tail -20 "$tmp/log" >&2; exit 1; }
  rm -rf "$tmp"
  rm -f "$venv"/.setup-r-*
  touch "$r_stamp"
fi

# One BLAS thread in every kernel: multi-threaded OpenBLAS sums in a different
# order from run to run, and lme4's estimates then move in their 5th digit,
# which would make the stored outputs (and nbval) change between runs.
"$venv/bin/python" - "$venv/share/jupyter/kernels" <<'PY'
import json, sys
from pathlib import Path
for spec in Path(sys.argv[1]).glob("*/kernel.json"):
    data = json.loads(spec.read_text())
    env = data.setdefault("env", {})
    wanted = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    if spec.parent.name == "ir":  # the R helpers installed in step 4
        wanted["R_LIBS"] = str(Path(sys.argv[1]).parents[2] / "R-library")
    if any(env.get(k) != v for k, v in wanted.items()):
        env.update(wanted)
        spec.write_text(json.dumps(data, indent=1) + "\n")
PY
