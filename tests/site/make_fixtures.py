"""Write the fixture notebooks for tests/site/sessions/01-fixture.qmd.

The notebooks are what `./course build` would write (same conversion, same
cell ids, same `coursebuild` metadata) with hand-made outputs instead of an
execution, so the site tests need no kernel. Run it after editing the fixture
session (tests/test_site.py fails with this command if they disagree):

    .venv/bin/python tests/site/make_fixtures.py
"""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from coursebuild import build, notebook  # noqa: E402

SESSION = HERE / "sessions" / "01-fixture.qmd"


def png(color: str) -> str:
    """Return a small line plot as base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2), dpi=50)
    ax.plot([1, 2, 3, 4], color=color)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def stream(text: str, name: str = "stdout") -> dict:
    return {"output_type": "stream", "name": name, "text": [text]}


def display(data: dict, result: bool = False) -> dict:
    out = {"output_type": "execute_result" if result else "display_data", "data": data}
    out["metadata"] = {}
    if result:
        out["execution_count"] = 1
    return out


TABLE = '<table class="dataframe"><thead><tr><th>x</th></tr></thead><tbody>{}</tbody></table>'
ROWS = "".join(f"<tr><td>{v}</td></tr>" for v in (1, 2, 3, 4))

# Outputs by the first line of the cell's code, per language.
OUTPUTS = {
    "python": {
        "values = [1, 2, 3, 4]": [stream("2.5\n")],
        "import matplotlib.pyplot as plt": [
            display({"image/png": png("tab:blue"), "text/plain": "<Figure size 150x100>"})
        ],
        "import pandas as pd": [
            display({"text/html": TABLE.format(ROWS), "text/plain": "   x\n0  1"}, result=True)
        ],
        "import warnings": [
            stream("UserWarning: a warning on stderr\n", "stderr"),
            {
                "output_type": "error",
                "ename": "ZeroDivisionError",
                "evalue": "division by zero",
                "traceback": ["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
            },
        ],
        'print("again")': [stream("again\n")],
    },
    "r": {
        "values <- c(1, 2, 3, 4)": [stream("[1] 2.5\n")],
        "plot(values)": [
            display({"image/png": png("tab:red"), "text/plain": "plot without title"})
        ],
        "data.frame(x = values)": [
            display({"text/html": TABLE.format(ROWS), "text/markdown": "| x |\n|---|\n| 1 |"})
        ],
        'message("a message on stderr")': [stream("a message on stderr\n", "stderr")],
    },
}


def main() -> None:
    for lang in ("python", "r"):
        nb = build.unexecuted(SESSION, lang, ROOT)
        nb["metadata"]["coursebuild"]["inputs_sha1"] = "fixture"  # never rebuilt by the build
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            first = "".join(cell["source"]).split("\n")[0]
            cell["outputs"] = OUTPUTS[lang].get(first, [])
        out = HERE / "notebooks" / lang / f"{SESSION.stem}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(notebook.dumps(nb), encoding="utf-8")
        print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
