"""The chat page over the test stub, as its own process (the crash tests kill it).

Usage: python tests/ui_stub_app.py DATA_DIR PORT DELAY_S
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conftest import make_settings  # noqa: E402
from ui.app import build_app, launch  # noqa: E402
from ui_fixtures import StubPipeline  # noqa: E402


def main() -> None:
    data_dir, port, delay = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    settings = make_settings(data_dir, host="127.0.0.1", port=port)
    app = build_app(StubPipeline(settings, delay_s=delay), settings)
    url = launch(app, settings, block=False)
    print(f"READY {url}", flush=True)
    app.block_thread()


if __name__ == "__main__":
    main()
