"""Reading our PDFs back the way a person and a phone would: text, pictures, the QR."""

from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pypdfium2
import zxingcpp
from PIL import Image
from pypdf import PdfReader

POINTS_PER_INCH = 72


def page_texts(path: Path | bytes) -> list[str]:
    """Text line by line as it sits on the page (pdfplumber orders by position)."""
    with pdfplumber.open(_stream(path)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def column_texts(path: Path | bytes) -> str:
    """The first page read down its left half, then its right half, each line joined to the next:
    a card's title or cue wrapped over two lines reads whole, not interleaved with its neighbour's."""
    with pdfplumber.open(_stream(path)) as pdf:
        page = pdf.pages[0]
        halves = [page.crop((0, 0, page.width / 2, page.height)), page.crop((page.width / 2, 0, page.width, page.height))]
        return " ".join((half.extract_text() or "").replace("\n", " ") for half in halves)


def page_count(path: Path | bytes) -> int:
    return len(PdfReader(_stream(path)).pages)


def _stream(path: Path | bytes) -> io.BytesIO | Path:
    return io.BytesIO(path) if isinstance(path, bytes) else path


def render(path: Path | bytes, dpi: int = 100, page: int = 0) -> Image.Image:
    doc = pypdfium2.PdfDocument(path if isinstance(path, bytes) else str(path))
    try:
        return doc[page].render(scale=dpi / POINTS_PER_INCH).to_pil().convert("RGB")
    finally:
        doc.close()


def decode_qr(image: Image.Image) -> list[str]:
    """Every QR code on the page: the booking code and the log's own small code."""
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def booking_codes(image: Image.Image) -> list[str]:
    """The codes a patient's phone acts on: all but the log's own code (the scanner's, a number)."""
    from handouts.sheet import parse

    return [t for t in decode_qr(image) if parse(t) is None]


def black_and_white(image: Image.Image) -> Image.Image:
    """A 1-bit image, as a cheap office printer or a fax would make it."""
    return image.convert("L").point(lambda v: 255 if v > 128 else 0).convert("1")


def tick_box_rects(path: Path | bytes) -> list[dict]:
    """The log's tick boxes: the page's unfilled squares of 13 pt or more."""
    with pdfplumber.open(_stream(path)) as pdf:
        return [r for r in pdf.pages[0].rects if r["width"] >= 12.9 and abs(r["width"] - r["height"]) < 0.01 and not r.get("fill")]


def tick_boxes(path: Path | bytes) -> int:
    return len(tick_box_rects(path))


def chars(path: Path | bytes, page: int = 0) -> list[dict]:
    with pdfplumber.open(_stream(path)) as pdf:
        p = pdf.pages[page]
        return [dict(c, page_width=p.width, page_height=p.height) for c in p.chars]


def font_report(path: Path | bytes) -> dict[str, bool]:
    """Every font the PDF uses, and whether its program is embedded."""
    found: dict[str, bool] = {}
    for page in PdfReader(_stream(path)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            name = str(font["/BaseFont"])
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            d = descriptor.get_object() if descriptor is not None else {}
            found[name] = any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return found


def text_in(path: Path | bytes, box: tuple[float, float, float, float], page: int = 0) -> str:
    """Text inside a rectangle given in PDF points, origin bottom left (as layout.Box)."""
    x0, y0, x1, y1 = box
    with pdfplumber.open(_stream(path)) as pdf:
        p = pdf.pages[page]
        return p.crop((x0, p.height - y1, x1, p.height - y0), strict=False).extract_text() or ""
