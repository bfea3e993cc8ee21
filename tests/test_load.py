"""Loaders: .txt in several encodings, .md titles, .pdf with page numbers, manifest metadata, hashing."""

from __future__ import annotations

import hashlib

import pytest

from helpers_ingest import CORPUS, make_pdf
from ingest.load import (
    LoadError,
    SourceMeta,
    decode_text,
    doc_id_for,
    file_hash,
    load_document,
    read_manifest,
)
from ingest.types import text_hash

MB = 20_000_000
FR = (
    "Les grands modèles de langage sont entraînés sur des données très variées. "
    "Ça marche déjà très bien, à mon avis ; l'été était chaud."
)
KO = "대규모 언어 모델은 강력합니다. 미세 조정이 필요합니다."


def _write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_utf8_text(tmp_path):
    path = _write(tmp_path, "a.txt", f"Titre du document\n\n{FR}\n{KO}\n".encode())
    doc = load_document(path, MB)
    assert doc.text == f"Titre du document\n\n{FR}\n{KO}\n"
    assert doc.title == "Titre du document"  # first non-empty line
    assert doc.pages == () and doc.page_at(10) is None
    assert doc.source == str(path.resolve())
    assert doc.doc_id == doc_id_for(str(path.resolve()))
    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_utf8_bom_is_stripped(tmp_path):
    path = _write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + KO.encode())
    doc = load_document(path, MB)
    assert doc.text == KO + "\n"
    assert not doc.title.startswith("\ufeff")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_with_bom(tmp_path, encoding):
    data = KO + "\n" + FR
    raw = data.encode(encoding)
    if encoding == "utf-16-be":
        raw = b"\xfe\xff" + raw
    doc = load_document(_write(tmp_path, "u16.txt", raw), MB)
    assert doc.text == data + "\n"


@pytest.mark.parametrize(
    "text",
    [FR, "Modèle", "The café served crème brûlée.", f"« {FR} » – c’est “bien”"],
    ids=["latin1-paragraph", "latin1-one-word", "latin1-english", "cp1252-quotes"],
)
def test_western_legacy_encoding_decodes_correctly(tmp_path, text):
    encoding = "latin-1" if "“" not in text else "cp1252"
    raw = text.encode(encoding)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert decode_text(raw) == text
    doc = load_document(_write(tmp_path, "legacy.txt", raw), MB)
    assert doc.text == text + "\n"


@pytest.mark.parametrize("text", [KO, "모델"], ids=["sentence", "one-word"])
def test_korean_legacy_encoding_decodes_correctly(text):
    assert decode_text(text.encode("euc-kr")) == text
    assert decode_text(text.encode("cp949")) == text


def test_undecodable_bytes_rejected_clearly():
    # Cyrillic in cp1251: neither UTF-8 nor one of the corpus languages' legacy encodings
    with pytest.raises(LoadError, match="convert it to UTF-8"):
        decode_text("Большие языковые модели очень мощные.".encode("cp1251"))
    with pytest.raises(LoadError, match="binary"):
        decode_text(b"text\x00with\x00nul bytes")


def test_markdown_title_from_first_heading(tmp_path):
    md = "Some preface line without a heading\n\n## Méthodes de distillation\n\nDu texte.\n\n# Later Heading\n"
    doc = load_document(_write(tmp_path, "notes.md", md.encode()), MB)
    assert doc.title == "Méthodes de distillation"
    doc = load_document(_write(tmp_path, "plain.md", b"no heading here\n\nbody text\n"), MB)
    assert doc.title == "no heading here"


def test_manifest_metadata_wins_over_guess(tmp_path):
    path = _write(tmp_path, "x.txt", b"first line\nbody\n")
    meta = SourceMeta(title="Given Title", languages=("fr",), source="somewhere", seed="000_x.txt")
    doc = load_document(path, MB, meta)
    assert (doc.title, doc.languages, doc.seed, doc.description) == ("Given Title", ("fr",), "000_x.txt", "somewhere")


def test_overlong_first_line_falls_back_to_file_name(tmp_path):
    doc = load_document(_write(tmp_path, "long-name.txt", ("word " * 60 + "\n").encode()), MB)
    assert doc.title == "long-name"


def test_read_corpus_manifest():
    manifest = read_manifest(CORPUS)
    assert len(manifest) == 5
    assert {m.seed for m in manifest.values()} == {
        "000_3eb21ecc1a44094c.txt",
        "001_8a6ce7beefe3bb92.txt",
        "002_f02b04755e17f78d.txt",
        "003_9e8a32280c662144.txt",
        "004_26321bbae043f0ae.txt",
    }
    assert manifest["harnessing-llms-paper-review.ko-en.txt"].languages == ("ko", "en")
    assert all((CORPUS / name).is_file() for name in manifest)


def test_unreadable_manifest_is_a_load_error(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LoadError, match="unreadable manifest"):
        read_manifest(tmp_path)
    assert read_manifest(tmp_path / "nothing-here") == {}


def test_pdf_pages_and_offsets(tmp_path):
    pages = [
        ["Page one first sentence.", "Le modèle (grand) est là."],
        ["Second page text here."],
        [],  # a blank page still counts
        ["Fourth page closes the document."],
    ]
    path = _write(tmp_path, "paper.pdf", make_pdf(pages, title="A PDF Title"))
    doc = load_document(path, MB)
    assert doc.title == "A PDF Title"
    assert len(doc.pages) == 4 and doc.pages[0] == 0
    assert list(doc.pages) == sorted(doc.pages)
    for number, lines in enumerate(pages, start=1):
        for line in lines:
            offset = doc.text.index(line)
            assert doc.page_at(offset) == number, line
            assert doc.page_at(offset + len(line) - 1) == number
    assert doc.text[doc.pages[1] :].startswith("Second page text here.")
    assert doc.text[doc.pages[3] :].startswith("Fourth page")


def test_pdf_without_metadata_title_uses_first_line(tmp_path):
    doc = load_document(_write(tmp_path, "untitled.pdf", make_pdf([["Heading of the PDF", "Body."]])), MB)
    assert doc.title == "Heading of the PDF"


def test_pdf_running_header_removed_across_pages(tmp_path):
    header = "Survey of Large Language Models - preprint"
    pages = [[header, f"Content sentence number {n} of the survey."] for n in range(1, 5)]
    doc = load_document(_write(tmp_path, "headers.pdf", make_pdf(pages)), MB)
    assert doc.text.count(header) == 1
    for n in range(1, 5):
        assert doc.page_at(doc.text.index(f"Content sentence number {n} ")) == n


def test_hashing(tmp_path):
    path = _write(tmp_path, "h.txt", b"abc")
    assert file_hash(path) == hashlib.sha256(b"abc").hexdigest()
    assert file_hash(path) == load_document(path, MB).content_hash
    big = _write(tmp_path, "big.txt", b"x" * (3 << 20))  # spans several read blocks
    assert file_hash(big) == hashlib.sha256(b"x" * (3 << 20)).hexdigest()
    assert text_hash("모델") == hashlib.sha256("모델".encode()).hexdigest()
    assert text_hash("a") != text_hash("a ")
    assert doc_id_for("/a/b.txt") != doc_id_for("/a/c.txt") and len(doc_id_for("/a/b.txt")) == 16
    # the document identity is the path: same bytes elsewhere is another document
    other = _write(tmp_path, "h2.txt", b"abc")
    assert load_document(other, MB).doc_id != load_document(path, MB).doc_id
