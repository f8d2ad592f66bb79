"""camt.052/053/054 reader (being written)."""
from pathlib import Path
from reconcile.model import ParsedFile


class CamtReader:
    format_name = "camt"

    def identify(self, path: Path, head: bytes) -> bool:
        return b"camt.05" in head

    def parse(self, path: Path) -> ParsedFile:
        raise NotImplementedError
