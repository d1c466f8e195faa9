"""Write the corpus of malformed (and deliberately accepted) inputs used by tests/test_corpus.py.

    python tests/corpus/make_corpus.py          # (re)write the files beside this script
    python tests/corpus/make_corpus.py DIR      # write them into DIR instead

Deterministic: the same bytes on every run (gzip and zip members carry fixed timestamps), except
``pickled.npy``, whose pickle stream names numpy's own modules and so depends on the numpy
version. tests/test_corpus.py builds a fresh copy in a temporary directory for every run and
checks that the committed copy here matches what this script writes.
"""

from __future__ import annotations

import gzip
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
# Bytes that depend on the installed numpy (a pickle stream); checked by shape, not byte for byte.
VERSION_DEPENDENT = {"pickled.npy"}


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def npy_header(descr: str, shape: tuple, body: bytes = b"") -> bytes:
    """A hand-written version-1.0 .npy header (for dtypes np.save would pickle)."""
    header = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape!r}, }}"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + body


def zipped(members: dict[str, bytes]) -> bytes:
    """A zip archive with fixed member timestamps (np.savez stamps the current time)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for member, data in members.items():
            zf.writestr(zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def npz(**arrays: np.ndarray) -> bytes:
    return zipped({f"{key}.npy": npy(array) for key, array in arrays.items()})


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def pickled_npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}, None, "x"], dtype=object), allow_pickle=True)
    return buf.getvalue()


X3 = np.arange(9, dtype=np.float64).reshape(3, 3)  # 3 samples × 3 classes, logits
WIDE = 100_000  # fields in the extremely wide row


def files() -> dict[str, bytes]:
    """Corpus file name → bytes."""
    f: dict[str, bytes] = {}
    t = lambda name, text: f.__setitem__(name, text.encode("utf-8"))  # noqa: E731

    # -- text tables: predictions ---------------------------------------------------------------
    t("empty.csv", "")
    t("whitespace_only.csv", "  \n\t\n\n")
    t("comments_only.csv", "# written by an eval script\n# no rows\n")
    t("header_only.csv", "cat,dog,pig\n")
    t("header_only_crlf.csv", "cat,dog,pig\r\n")
    t("ragged_short.csv", "cat,dog,pig\n1,2,3\n4,5,6\n7,8\n")
    t("ragged_long.csv", "cat,dog,pig\n1,2,3\n4,5,6,7\n")
    t("ragged_tsv.tsv", "1\t2\t3\n4\t5\n")
    t("nonnumeric.csv", "cat,dog,pig\n1,2,3\n4,five,6\n")
    t("nonnumeric_noheader.csv", "1,2,3\n4,5,6\n7,8,abc\n")
    t("hex_cell.csv", "1,2,3\n0x1f,5,6\n")
    t("underscore_cell.csv", "1,2,3\n4,1_000,6\n")
    t("thousands_unquoted.csv", "cat,dog,pig\n1,2,3\n1,234.5,6,7\n")
    t("thousands_semicolon.csv", "cat;dog;pig\n1;1,234.5;3\n")
    t("decimal_comma_semicolon.csv", "cat;dog;pig\n0,2;0,3;0,5\n0,1;0,1;0,8\n")
    t("decimal_comma_quoted.csv", '"0,2","0,3","0,5"\n"0,1","0,1","0,8"\n')
    t("percent_cell.csv", "cat,dog,pig\n20%,30%,50%\n")
    t("dup_header.csv", "cat,dog,cat\n1,2,3\n4,5,6\n")
    t("nan_cell.csv", "cat,dog,pig\n1,2,3\n4,5,6\n7,NaN,9\n")
    t("inf_cell.csv", "cat,dog,pig\n1,inf,3\n4,5,6\n")
    t("neginf_cell.csv", "1,2,3\n4,5,6\n7,8,-inf\n")
    t("infinity_word.csv", "cat,dog,pig\n1,2,3\n-Infinity,5,6\n")
    f["garbage.csv"] = bytes(range(256)) * 4
    f["latin1_header.csv"] = "café,thé,pig\n1,2,3\n".encode("latin-1")
    f["utf16.csv"] = "1,2,3\n4,5,6\n".encode("utf-16")
    t("wide_row.csv", "1,2,3\n" + ",".join(["0"] * WIDE) + "\n4,5,6\n")
    t("quoted_newline.csv", 'cat,dog,pig\n1,"2\n",3\n')
    t("blank_middle.csv", "1,2,3\n4,5,6\n\n7,8,9\n")
    t("index_only.csv", '""\n0.5\n0.7\n')  # one column, its name empty: a row index?
    t("name_with_space.csv", "x y,cat,dog\na,1,2\nb,3,4\n")
    t("name_with_separator.csv", "id\x1ex,cat,dog\na,1,2\nb,3,4\n")
    t("cr_only.csv", "cat,dog,pig\r1.5,0.25,-2\r0.5,2,1\r-1,0,3\r")
    t("trailing_comma.csv", "cat,dog,pig,\n1.5,0.25,-2,\n0.5,2,1,\n-1,0,3,\n")
    t("long_cell.csv", "1,2,3\n4," + "9" * 400 + "x,6\n")

    # -- text tables: labels --------------------------------------------------------------------
    t("labels3.csv", "0\n1\n2\n")
    t("labels2.csv", "0\n1\n")
    t("labels_float.csv", "label\n0\n1.5\n2\n")
    t("labels_negative.csv", "label\n0\n-3\n2\n")
    t("labels_out_of_range.csv", "label\n0\n1\n7\n")
    t("labels_nan.csv", "label\n0\nnan\n2\n")
    t("labels_names.csv", "label\ncat\ncow\npig\n")
    t("labels_two_cols.csv", "a,b\n0,1\n1,0\n2,0\n")
    t("preds_named.csv", "cat,dog,pig\n1,2,3\n4,5,6\n7,8,9\n")
    t("preds4.csv", "1,2,3\n4,5,6\n7,8,9\n1,1,1\n")
    t("dense_bad_width.csv", "1,0,0,0\n0,1,0,0\n0,0,1,0\n")
    t("dense_bad_value.csv", "1,0,0\n0,1.5,-0.5\n0,0,1\n")
    t("eval_label_float.csv", "a,b,label\n1,2,0\n3,4,0.5\n")

    # -- binary ---------------------------------------------------------------------------------
    t("bin_preds.csv", "0.2\n0.7\n0.9\n")
    t("bin_logits.csv", "-2.5\n1.0\n3.0\n")
    t("bin_targets_out.csv", "0\n1\n2\n")
    t("bin_targets_neg.csv", "0\n-0.5\n1\n")
    t("bin_targets_nan.csv", "0\n1\nnan\n")
    t("bin_preds2.csv", "0.1,0.2\n0.3,0.4\n0.5,0.6\n0.7,0.8\n")
    t("bin_targets3.csv", "0,1,0\n1,0,1\n0,0,1\n1,1,1\n")
    t("bin_targets_text.csv", "target\nyes\nno\nyes\n")

    # -- weights --------------------------------------------------------------------------------
    t("weights2.csv", "1\n2\n")
    t("weights_neg.csv", "1\n-0.5\n2\n")
    t("weights_nan.csv", "1\nnan\n2\n")

    # -- baselines (--baseline) -----------------------------------------------------------------
    t("baseline_not_cece.json", '{"loss": "x"}\n')
    t("baseline_not_json.json", "loss = 1.2\n")

    # -- kl / entropy ---------------------------------------------------------------------------
    t("p3.csv", "0.2,0.3,0.5\n0.1,0.1,0.8\n")
    t("p2.csv", "0.5,0.5\n0.9,0.1\n")
    t("p_neg.csv", "0.2,0.3,0.5\n0.5,-0.1,0.6\n")
    t("p_above1.csv", "0.2,0.3,0.5\n1.5,0.0,0.0\n")

    # -- arrays ---------------------------------------------------------------------------------
    f["x3.npy"] = npy(X3)
    f["scalar.npy"] = npy(np.array(0.5))
    f["one.npy"] = npy(np.array([0.5]))
    f["empty.npy"] = npy(np.zeros((0, 3)))
    f["empty_labels.npy"] = npy(np.zeros(0, dtype=np.int64))
    f["zeros_000.npy"] = npy(np.zeros((0, 0, 0)))
    f["zeros_30.npy"] = npy(np.zeros((3, 0)))
    f["cube.npy"] = npy(np.zeros((2, 3, 4)))
    f["nan_row.npy"] = npy(np.where(np.arange(9).reshape(3, 3) == 5, np.nan, X3))  # row 1, col 2
    f["neginf.npy"] = npy(np.array([[0.0, 1.0], [2.0, -np.inf], [1.0, 1.0]]))
    f["strings.npy"] = npy(np.array([["a", "b"], ["c", "d"]]))
    f["complex.npy"] = npy(np.array([[1 + 2j, 3 + 0j]]))
    f["structured.npy"] = npy(np.zeros(3, dtype=[("a", "<f8"), ("b", "<f8")]))
    f["object.npy"] = npy_header("|O", (2, 2))  # object dtype, header only
    f["pickled.npy"] = pickled_npy()
    f["truncated.npy"] = npy(X3)[:-10]
    f["huge_shape.npy"] = npy_header("<f8", (2**62, 4), b"\x00" * 64)
    f["zero_by_huge.npy"] = npy_header("<f8", (0, 2**62))  # empty, yet numpy cannot make it
    f["negative_shape.npy"] = npy_header("<f8", (-1, 3), b"\x00" * 64)
    f["header_cut.npy"] = npy(X3)[:20]
    f["header_unclosed.npy"] = npy_header("<f8", (), b"\x00" * 8).replace(b"(), }", b"()  ")
    f["bad_header.npy"] = b"\x93NUMPY\x01\x00\x10\x00{'descr': <f8}\n" + b"\x00" * 8
    f["labels_float.npy"] = npy(np.array([0.0, 1.0, 2.5]))
    f["labels_huge.npy"] = npy(np.array([0, 1, 2**63 + 5], dtype=np.uint64))
    f["labels_2d.npy"] = npy(np.array([[0, 1], [1, 2], [2, 0]]))
    f["bin_targets_2x2.npy"] = npy(np.array([[0.0, 1.0], [1.0, 0.0]]))
    f["two.npz"] = npz(logits=X3, labels=np.array([0, 1, 2]))
    f["single.npz"] = npz(logits=X3)
    f["text_member.npz"] = zipped({"readme.txt": b"not an array\n"})
    f["truncated.npz"] = npz(logits=X3, labels=np.array([0, 1, 2]))[:200]
    f["npy_as.csv"] = npy(X3)
    f["notgzip.csv.gz"] = b"1,2,3\n4,5,6\n"
    f["truncated.csv.gz"] = gz(b"1,2,3\n4,5,6\n7,8,9\n" * 50)[:-20]
    f["notbz2.csv.bz2"] = b"BZh91AY&SY" + b"\x00" * 20

    # -- accepted quirks (each with a clean twin) ------------------------------------------------
    clean = "cat,dog,pig\n1.5,0.25,-2\n0.5,2,1\n-1,0,3\n"
    t("clean.csv", clean)
    t("crlf.csv", clean.replace("\n", "\r\n"))
    f["bom.csv"] = b"\xef\xbb\xbf" + clean.encode()
    t("quoted.csv", 'cat,dog,pig\n"1.5","0.25","-2"\n"0.5","2","1"\n"-1","0","3"\n')
    t("trailing_blank.csv", clean + "\n\n\n")
    t("trailing_spaces.csv", clean.replace(",", " , ").replace("\n", "  \n"))
    t("comment_first.csv", "# logits from run 7\n" + clean)
    t("bom_crlf_blank.csv", "\ufeff" + clean.replace("\n", "\r\n") + "\r\n\r\n")
    t("semicolon.csv", clean.replace(",", ";"))
    t("clean.tsv", clean.replace(",", "\t"))
    t("spaces.txt", clean.replace(",", "  "))
    f["clean.csv.gz"] = gz(clean.encode())
    t("index_col.csv", ",cat,dog,pig\n0,1.5,0.25,-2\n1,0.5,2,1\n2,-1,0,3\n")  # DataFrame.to_csv
    t("number_forms.csv", "cat,dog,pig\n+1.5,25e-2,-2.0\n.5,2.,1\n-1E0,0,3\n")
    t("clean_labels.csv", "0\n2\n1\n")
    t("crlf_labels.csv", "0\r\n2\r\n1\r\n")
    f["bom_labels.csv"] = b"\xef\xbb\xbf0\n2\n1\n"
    t("bin_clean.csv", "0.2\n0.7\n0.9\n")
    t("bin_clean_targets.csv", "0\n1\n1\n")
    t("bin_crlf.csv", "0.2\r\n0.7\r\n0.9\r\n")
    t("bin_quoted_targets.csv", '"0"\n"1"\n"1"\n')
    return f


def build(directory: Path) -> list[str]:
    """Write every corpus file into ``directory``; returns the names written."""
    directory.mkdir(parents=True, exist_ok=True)
    content = files()
    for name, data in content.items():
        (directory / name).write_bytes(data)
    return sorted(content)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    print(f"wrote {len(build(target))} files to {target}")
