"""Every text the interface can show has its English translation."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def test_every_message_has_an_english_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        extracted = read_po(fh)
    with (ROOT / "app/translations/en/LC_MESSAGES/messages.po").open("rb") as fh:
        english = read_po(fh)
    missing = [m.id for m in extracted if m.id and not (m.id in english and english[m.id].string)]
    assert missing == [], f"{len(missing)} untranslated, first: {missing[:5]}"
