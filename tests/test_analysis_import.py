"""kg.analysis imports igraph without matplotlib, and matplotlib still works afterwards.

Each check runs in a fresh interpreter: what is imported, and in which order, is the point.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from .conftest import REPO

_MINI = """
import io, sys
from pyoxigraph import RdfFormat
from kg import analysis
from kg.store import open_store

st = open_store(None)
st.load(path=str(analysis.EXAMPLE), format=RdfFormat.TRIG)
G = analysis.load_graph(st)
"""


def _run(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; its printed lines."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_analysis_igraph_without_matplotlib_then_png_export():
    """The analysis leaves matplotlib unloaded; the PNG export then loads and uses it as usual."""
    out = _run(_MINI + """
        print("pandas" in sys.modules)
        analysis.write_analysis_graph(st)
        analysis.annotate(G)
        print("igraph" in sys.modules, "matplotlib" in sys.modules)
        print(any(isinstance(f, analysis._HideMatplotlib) for f in sys.meta_path))
        from kg.export import EXPORTERS
        buf = io.BytesIO()
        EXPORTERS["png"].write(G, buf, width=320, height=240)
        print(buf.getvalue()[:8] == b"\\x89PNG\\r\\n\\x1a\\n", "matplotlib.pyplot" in sys.modules)
        print(G.nodes[sorted(G)[0]]["community"] >= 0)
    """.replace("\n        ", "\n"))
    assert out == ["False", "True", "False", "False", "True", "True", "True"]


def test_analysis_igraph_after_matplotlib_imports_as_usual():
    """With matplotlib already loaded nothing is hidden: igraph finds it (and its pyplot)."""
    out = _run("""
        import sys
        import matplotlib
        import networkx as nx
        from kg import analysis
        H = analysis.annotate(nx.MultiDiGraph([("a", "b"), ("b", "c")]))
        print(H.nodes["b"]["betweenness"], "matplotlib.pyplot" in sys.modules)
    """)
    assert out == ["1.0", "True"]


def test_analysis_matplotlib_hidden_in_one_thread_only():
    """Only the importing thread is refused matplotlib; another thread imports it meanwhile."""
    out = _run("""
        import sys, threading
        from kg import analysis
        hide = analysis._HideMatplotlib()
        sys.meta_path.insert(0, hide)
        try:
            import matplotlib
        except ModuleNotFoundError as exc:
            print("refused", exc.name)
        seen = []
        t = threading.Thread(target=lambda: seen.append(__import__("matplotlib").__name__))
        t.start()
        t.join()
        sys.meta_path.remove(hide)
        print(seen[0])
    """)
    assert out == ["refused", "matplotlib", "matplotlib"]
