#!/usr/bin/env bash
# Set up everything the course needs, once: Debian packages (R, lme4, IRkernel,
# chromium), the Python virtual environment in .venv with requirements.txt, the
# helpers (qm-helpers, helpers/pyproject.toml) and the build (qm-course) installed
# editable, the Jupyter kernels registered inside .venv, and the course's R helpers
# (R package qmhelpers) in .venv's own R library for the `ir` kernel.
#
# Quiet: one line per step that runs, with its time; the steps' own output goes
# to .venv/setup.log, whose tail is printed if a step fails. COURSE_VERBOSE=1
# (./course -v ...) shows everything. A step runs again only when its input
# files or its own code change (stamps .venv/.setup-<step>-<hash>), so a run
# with nothing to do prints nothing and takes a fraction of a second.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv="$root/.venv"
log="$venv/setup.log"
verbose=${COURSE_VERBOSE:-0}

# --- the steps (each a function; the list at the bottom runs them) -----------

apt_packages() {  # as root; otherwise say what to install
  local wanted missing
  wanted=$(grep -v '^\s*#' tools/apt-packages.txt | tr '\n' ' ')
  missing=$(for p in $wanted; do
              dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed \
                || echo "$p"
            done | xargs)
  [ -z "$missing" ] && { echo "all installed: $wanted"; return 0; }
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: please install these Debian/Ubuntu packages (or their equivalents): $missing" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends $missing
}

python_venv() {
  python3 -m venv "$venv"
}

python_packages() {
  "$venv/bin/python" -m pip install --upgrade pip
  "$venv/bin/python" -m pip install -r requirements.txt
  "$venv/bin/python" -m pip install --no-deps -e ./helpers -e .
}

r_helpers() {  # qmhelpers, built from helpers/, into .venv/R-library (R_LIBS of `ir`)
  local tmp tarball
  tmp=$(mktemp -d)
  tarball=$("$venv/bin/python" -c 'import sys; from pathlib import Path
from coursebuild.release import build_r_package; print(build_r_package(Path(sys.argv[1])))' "$tmp")
  mkdir -p "$venv/R-library"
  R CMD INSTALL --no-test-load --library="$venv/R-library" "$tarball"
  rm -rf "$tmp"
}

jupyter_kernels() {  # python3 (ipykernel) and ir (IRkernel), inside .venv
  PATH="$venv/bin:$PATH" Rscript -e \
    "IRkernel::installspec(name = 'ir', displayname = 'R', prefix = '$venv')"
  "$venv/bin/python" -m ipykernel install --prefix "$venv" --name python3
  # One BLAS thread in every kernel: multi-threaded OpenBLAS sums in a different
  # order from run to run, and lme4's estimates then move in their 5th digit,
  # which would make the stored outputs (and nbval) change between runs.
  "$venv/bin/python" - "$venv/share/jupyter/kernels" <<'PY'
import json, sys
from pathlib import Path
for spec in Path(sys.argv[1]).glob("*/kernel.json"):
    data = json.loads(spec.read_text())
    env = data.setdefault("env", {})
    env.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    if spec.parent.name == "ir":  # the R helpers (step "R helpers")
        env["R_LIBS"] = str(Path(sys.argv[1]).parents[2] / "R-library")
    spec.write_text(json.dumps(data, indent=1) + "\n")
PY
}

node_packages() {  # Bootstrap for the site pages, axe-core for the accessibility scan
  if ! command -v npm >/dev/null; then
    echo "npm not found: site pages get no Bootstrap and the axe scan is skipped" >&2
    return 0
  fi
  npm ci --ignore-scripts --no-audit --no-fund
}

# --- the machinery -------------------------------------------------------------

started=0
# step NAME "INPUT FILES" COMMAND [ARGS...]: run the command (a function above, or
# any program) unless it already ran with these input files and this code; print
# one line with its time; on failure show the log's tail.
step() {
  local name=$1 inputs=$2 slug hash mark t0 rc
  shift 2
  slug=$(echo "$name" | tr -c 'A-Za-z0-9\n' '-' | tr 'A-Z' 'a-z')
  # shellcheck disable=SC2086
  hash=$({ [ -z "$inputs" ] || cat $inputs; echo "$*"; declare -f "$1" || true; } \
         | sha256sum | cut -c1-16)
  mark="$venv/.setup-$slug-$hash"
  [ -e "$mark" ] && return 0
  if [ "$started" = 0 ]; then started=1; : >"$log"; fi
  printf '\n=== %s (%s)\n' "$name" "$(date -u +%FT%TZ)" >>"$log"
  if [ "$verbose" = 1 ]; then echo "setup: $name"; else printf 'setup: %-30s' "$name..."; fi
  t0=$(date +%s.%N)
  set +e
  if [ "$verbose" = 1 ]; then
    (set -e; "$@") 2>&1 | tee -a "$log"; rc=${PIPESTATUS[0]}
  else
    (set -e; "$@") >>"$log" 2>&1; rc=$?
  fi
  set -e
  local took; took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')
  if [ "$rc" -ne 0 ]; then
    [ "$verbose" = 1 ] || { echo " FAILED after $took"; tail -n 25 "$log" | sed 's/^/  | /'; }
    echo "setup: step '$name' failed; full log: $log" >&2
    exit 1
  fi
  rm -f "$venv/.setup-$slug-"*
  touch "$mark"
  if [ "$verbose" = 1 ]; then echo "setup: $name done in $took"; else echo " $took"; fi
}

mkdir -p "$venv"
# No interpreter: whatever the stamps say, everything inside .venv must be redone.
[ -x "$venv/bin/python" ] || rm -f "$venv"/.setup-*

# --- the steps, in order: adding one is one line, e.g. ---------------------------
#   step "Node packages" "package.json package-lock.json" npm ci --no-audit --no-fund
step "Debian packages"     "tools/apt-packages.txt"          apt_packages
step "Python environment"  ""                                python_venv
step "Python packages"     "requirements.txt pyproject.toml helpers/pyproject.toml" python_packages
step "Jupyter kernels"     ""                                jupyter_kernels
step "R helpers"           "helpers/R/* helpers/schools.json helpers/registry.txt helpers/pyproject.toml" r_helpers
[ -d node_modules ] || rm -f "$venv"/.setup-node-packages-*
step "Node packages"       "package.json package-lock.json"  node_packages
