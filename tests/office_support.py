"""LibreOffice (headless) helpers for tests: convert an .xlsx/.pptx to PDF and count its pages.

Skipped with a message when ``soffice`` is missing — but failed under CI=true (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest


def require_soffice() -> str:
    """The soffice executable; skip (or fail under CI=true) when LibreOffice is not installed."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe:
        return exe
    message = "LibreOffice is missing: apt-get install -y libreoffice-calc libreoffice-impress"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


def to_pdf(path: Path, workdir: Path) -> Path:
    """Convert ``path`` to PDF in ``workdir`` with a private LibreOffice profile (bounded: 240 s)."""
    exe = require_soffice()
    profile = workdir / "lo-profile"
    cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
           "--outdir", str(workdir), str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    pdf = workdir / (path.stem + ".pdf")
    assert pdf.exists(), f"LibreOffice did not convert {path.name}: {proc.stdout} {proc.stderr}"
    return pdf


def page_count(pdf: Path) -> int:
    """Pages of a PDF (pdfinfo when present, else counting page objects)."""
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60).stdout
        m = re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE)
        if m:
            return int(m.group(1))
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
