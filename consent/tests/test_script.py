import gzip
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "static" / "consent" / "consent.js"


def test_the_banner_script_is_at_most_two_kilobytes_gzipped():
    size = len(gzip.compress(SCRIPT.read_bytes(), compresslevel=9))
    assert size <= 2048, f"consent.js is {size} bytes gzipped"
