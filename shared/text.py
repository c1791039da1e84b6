"""Text as compared, not as shown: one folding for names, industries and searches."""
from __future__ import annotations

import re
import unicodedata


def fold_text(text: str) -> str:
    """Full-width to half-width (NFKC), case folded, spaces kept single."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()
