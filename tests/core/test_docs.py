"""The API docs work without internet: /docs (Swagger UI) and /redoc reference no outside host, their assets
come from the app itself, and headless Chromium, with every host but loopback unresolvable, renders them."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

PAGES = ("/docs", "/redoc")
URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", PAGES)
async def test_docs_pages_reference_no_outside_host(client, page):
    r = await client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert not re.search(r"(?:https?:)?//[A-Za-z0-9.-]+", r.text.replace("window.location.origin", "")), r.text
    assets = URL.findall(r.text)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets)
    for asset in assets:  # served by the app itself
        got = await client.get(asset)
        assert got.status_code == 200 and len(got.content) > 1000, asset


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def _render(chromium: str, url: str, out: Path) -> str:
    """Screenshot `url` into `out` and return the DOM after scripts ran; only loopback resolves."""
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--no-first-run", "--disable-extensions", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-default-browser-check",
              "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=direct://",
              "--window-size=1280,1000", "--virtual-time-budget=15000", f"--user-data-dir={out.parent / 'profile'}"]
    subprocess.run([*common, f"--screenshot={out}", url], capture_output=True, timeout=120, check=True)
    dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True)
    return dom.stdout


def _screenshot(chromium: str, url: str) -> tuple[str, bytes]:
    """The DOM and the PNG; TANDEM_DOCS_SCREENSHOT=path keeps a copy of the picture to look at."""
    with tempfile.TemporaryDirectory() as tmp:
        shot = Path(tmp) / "docs.png"
        dom = _render(chromium, url, shot)
        png = shot.read_bytes()
    keep = os.environ.get("TANDEM_DOCS_SCREENSHOT")
    if keep:
        Path(keep).write_bytes(png)
    return dom, png


async def test_swagger_ui_renders_offline_in_headless_chromium(live_docs_url):
    chromium = _chromium()
    dom, png = await asyncio.to_thread(_screenshot, chromium, live_docs_url + "/docs")
    assert png.startswith(b"\x89PNG") and len(png) > 20_000  # a blank page compresses to a few kB
    # Swagger UI built the page from /openapi.json: the title, the operation groups and the Authorize button.
    assert 'class="swagger-ui' in dom and "opblock-tag" in dom
    assert "referrals" in dom and "Authorize" in dom


@pytest.fixture
async def live_docs_url(app):
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False,
                                           log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    await task
