"""Read a session `.qmd` once: its front matter, its chunks, its problems, its pandoc text.

One concern a module: `reader` (the pass over the lines, divs), `includes`
(files and ``{{< include >}}``), `frontmatter`, `chunks` (fences, options,
cell ids), `prose` (shortcodes and images), `model` (what a read session is).
"""

from .chunks import cell_id
from .model import Chunk, Source
from .reader import load, parse, read

__all__ = ["Chunk", "Source", "cell_id", "load", "parse", "read"]
