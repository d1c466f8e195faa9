"""A corpus of malformed inputs, each with the exact error cece must give (CONTRACT §2, §6).

Every case runs cece in-process in a fresh directory holding the corpus (built by
tests/corpus/make_corpus.py) and checks the whole error contract: exit code 2, nothing on
standard output, exactly one ``cece: error: FILE: ...`` line, equal to the expected one
(plus at most one ``  hint:`` line, equal to the expected hint where the table gives one), no
traceback, and no file created, changed or removed in the working directory or the temporary
directory. Text inputs go through every parser (the compiled one for plain numbers, pure Python
for small files, pandas for large ones), which must fail identically.

A case may be marked ``bug="..."`` where cece misbehaves (a traceback / exit 3, a wrong number,
a vague or misleading message, an input accepted that should not be): it then carries the
message cece should print and runs as a strict xfail, so the fix makes it pass and the mark must
go. None is marked today: the 34 the corpus found when it was written are fixed.

``test_accepted_quirks`` covers what cece deliberately accepts (CRLF, a byte-order mark, quoted
numbers, trailing blank lines, ...): exit 0 and exactly the loss of the same data written
cleanly, which is checked against a NumPy reference.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cece

CORPUS = Path(__file__).resolve().parent / "corpus"
sys.path.insert(0, str(CORPUS))
import make_corpus  # noqa: E402

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False
NOBODY = 65534


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    message: str  # the whole error line after "cece: error: "
    hint: str | None = None  # the hint line after "  hint: ", where asserted
    stdin: str | None = None  # a corpus file fed to standard input
    setup: str | None = None  # a special file made at test time (see _SETUPS)
    bug: str | None = None  # cece misbehaves here today: the reason of a strict xfail


def case(id: str, args: str, message: str, **kw) -> Case:
    return Case(id, tuple(args.split()), message, **kw)


FIELDS = "fields are separated by commas; every row needs the same count"
NONFINITE = "remove or impute the non-finite values first"
NOT_TEXT = "expected CSV/TSV text, .npy, .npz, .parquet or .feather"
ROWS = "every input needs one row per sample, in the same order"
LOGITS = "these look like logits: use --from logits (or auto)"
NOT_PROBS = "is not a probability (expected a value in [0, 1])"
UNPICKLE = "save a numeric array, e.g. np.save(path, arr.astype(np.float32))"
CASES = [
    # -- empty and header-only ---------------------------------------------------------------
    case(
        "empty",
        "categorical empty.csv labels3.csv",
        "empty.csv: empty file; expected a table of numbers",
    ),
    case(
        "whitespace-only",
        "categorical whitespace_only.csv labels3.csv",
        "whitespace_only.csv: empty file; expected a table of numbers",
    ),
    case(
        "comments-only",
        "categorical comments_only.csv labels3.csv",
        "comments_only.csv: no data: only comments or blank lines",
    ),
    case(
        "header-only",
        "categorical header_only.csv labels3.csv",
        "header_only.csv: a header but no data rows",
    ),
    case(
        "header-only-crlf",
        "entropy header_only_crlf.csv",
        "header_only_crlf.csv: a header but no data rows",
    ),
    case(
        "labels-header-only",
        "categorical x3.npy header_only.csv",
        "header_only.csv: a header but no data rows",
    ),
    case(
        "stdin-empty",
        "entropy -",
        "<stdin>: empty file; expected a table of numbers",
        stdin="empty.csv",
    ),
    case(
        "npy-zero-rows",
        "categorical empty.npy empty_labels.npy",
        "empty.npy: no samples: shape (0, 3); expected at least one row",
    ),
    # -- ragged rows --------------------------------------------------------------------------
    case(
        "ragged-short",
        "categorical ragged_short.csv labels3.csv",
        "ragged_short.csv: line 4: 2 fields, expected 3 like line 1",
        hint=FIELDS,
    ),
    case(
        "ragged-long",
        "categorical ragged_long.csv labels2.csv",
        "ragged_long.csv: line 3: 4 fields, expected 3 like line 1",
        hint=FIELDS,
    ),
    case(
        "ragged-tsv",
        "categorical ragged_tsv.tsv labels2.csv",
        "ragged_tsv.tsv: line 2: 2 fields, expected 3 like line 1",
        hint="fields are separated by tabs; every row needs the same count",
    ),
    case(
        "wide-row",
        "categorical wide_row.csv labels3.csv",
        f"wide_row.csv: line 2: {make_corpus.WIDE} fields, expected 3 like line 1",
        hint=FIELDS,
    ),
    case(
        "blank-line-inside",
        "kl blank_middle.csv blank_middle.csv",
        "blank_middle.csv: line 3: empty line inside the table",
        hint="blank lines are allowed only at the end of a file",
    ),
    case(
        "quoted-newline",
        "categorical quoted_newline.csv [0]",
        "quoted_newline.csv: line 2: a quoted field is not closed on its line "
        "(quoted fields may not span lines)",
    ),
    case(
        "cr-only-line-ends",
        "categorical cr_only.csv clean_labels.csv",
        "cr_only.csv: line 1: lines end in a bare carriage return (\\r); "
        "expected \\n or \\r\\n line ends",
    ),
    case(
        "trailing-comma",
        "categorical trailing_comma.csv clean_labels.csv",
        "trailing_comma.csv: line 2, column 3 (''): expected a number, found ''",
    ),
    # -- cells that are not numbers -----------------------------------------------------------
    case(
        "non-numeric",
        "categorical nonnumeric.csv labels2.csv",
        "nonnumeric.csv: line 3, column 1 ('dog'): expected a number, found 'five'",
    ),
    case(
        "non-numeric-no-header",
        "categorical nonnumeric_noheader.csv labels3.csv",
        "nonnumeric_noheader.csv: line 3, column 2: expected a number, found 'abc'",
    ),
    case(
        "hex-cell",
        "categorical hex_cell.csv labels2.csv",
        "hex_cell.csv: line 2, column 0: expected a number, found '0x1f'",
    ),
    case(
        "underscore-cell",
        "categorical underscore_cell.csv labels2.csv",
        "underscore_cell.csv: line 2, column 1: expected a number, found '1_000'",
        hint="write plain numbers without underscores",
    ),
    case(
        "long-cell",
        "categorical long_cell.csv labels2.csv",
        "long_cell.csv: line 2, column 1: expected a number, found "
        "'999999999999999999999999999999999999...",
    ),
    case(
        "thousands-unquoted",
        "categorical thousands_unquoted.csv labels2.csv",
        "thousands_unquoted.csv: line 3: 4 fields, expected 3 like line 1",
        hint=FIELDS,
    ),
    case(
        "thousands-semicolon",
        "categorical thousands_semicolon.csv [0]",
        "thousands_semicolon.csv: line 2, column 1 ('dog'): expected a number, found '1,234.5'",
    ),
    case(
        "decimal-comma-semicolon",
        "categorical decimal_comma_semicolon.csv labels2.csv",
        "decimal_comma_semicolon.csv: line 2, column 0 ('cat'): expected a number, found '0,2'",
    ),
    case(
        "decimal-comma-quoted",
        "categorical decimal_comma_quoted.csv labels2.csv",
        "decimal_comma_quoted.csv: line 2, column 0 ('0,2'): expected a number, found '0,1'",
    ),
    case(
        "percent-cell",
        "categorical percent_cell.csv [0]",
        "percent_cell.csv: line 2, column 0 ('cat'): expected a number, found '20%'",
    ),
    case(
        "binary-garbage",
        "categorical garbage.csv labels2.csv",
        "garbage.csv: not a text table: byte 0x80 at offset 128 is not UTF-8",
        hint=NOT_TEXT,
    ),
    case(
        "latin1",
        "categorical latin1_header.csv [0]",
        "latin1_header.csv: not a text table: byte 0xe9 at offset 3 is not UTF-8 (text in "
        "Windows-1252 or another 8-bit encoding?)",
        hint='save it as UTF-8 (Excel: "CSV UTF-8"), or convert it: iconv -f CP1252 -t UTF-8 '
        "latin1_header.csv > utf8.csv",
    ),
    case(
        "utf16",
        "categorical utf16.csv labels2.csv",
        "utf16.csv: not a text table: UTF-16 text (its byte-order mark), not UTF-8",
        hint='save it as UTF-8 (Excel: "CSV UTF-8"), or convert it: iconv -f UTF-16 -t UTF-8 '
        "utf16.csv > utf8.csv",
    ),
    case(
        "duplicate-class-names",
        "categorical dup_header.csv labels2.csv",
        "dup_header.csv: line 1: class name 'cat' appears twice in the header (columns 0 and 2)",
    ),
    case(
        "index-column-only",
        "entropy index_only.csv",
        "index_only.csv: no columns left: column 0, without a name, is taken for a row index",
    ),
    case(
        "text-column-hint-quoting",
        "categorical name_with_space.csv [0,1]",
        "name_with_space.csv: column 'x y' holds text, not prediction scores",
        hint="choose columns with --pred-cols, or pass --label-col 'x y'",
    ),
    case(
        "text-column-hint-control-char",
        "categorical name_with_separator.csv [0,1]",
        "name_with_separator.csv: column 'id\\x1ex' holds text, not prediction scores",
    ),
    # -- non-finite values --------------------------------------------------------------------
    case(
        "nan-cell",
        "categorical nan_cell.csv labels3.csv",
        "nan_cell.csv: line 4, column 1 ('dog'): found NaN; expected a finite number",
        hint=NONFINITE,
    ),
    case(
        "inf-cell",
        "categorical inf_cell.csv labels2.csv",
        "inf_cell.csv: line 2, column 1 ('dog'): found inf; expected a finite number",
        hint=NONFINITE,
    ),
    case(
        "neg-inf-cell",
        "entropy neginf_cell.csv --from probs",  # -inf logits are probability 0
        "neginf_cell.csv: line 3, column 2: found -inf value; expected a finite number",
        hint="remove or impute non-finite values first",
    ),
    case(
        "infinity-word",
        "entropy infinity_word.csv --from probs",
        "infinity_word.csv: line 3, column 0 ('cat'): found -inf value; expected a finite number",
        hint="remove or impute non-finite values first",
    ),
    case(
        "nan-npy",
        "binary nan_row.npy x3.npy",
        "nan_row.npy: row 1, column 2: found nan value; expected a finite number",
        hint="remove or impute non-finite values first",
    ),
    case(
        "neg-inf-npy",
        "entropy neginf.npy --from probs",
        "neginf.npy: row 1, column 1: found -inf value; expected a finite number",
        hint="remove or impute non-finite values first",
    ),
    case(
        "nan-label",
        "categorical x3.npy labels_nan.csv",
        "labels_nan.csv: line 3, column 0 ('label'): found nan; expected a finite number",
        hint=NONFINITE,
    ),
    case(
        "nan-sample-weight",
        "categorical x3.npy labels3.csv --sample-weight weights_nan.csv",
        "weights_nan.csv: line 2, column 0: found nan; expected a finite number",
        hint=NONFINITE,
    ),
    case(
        "nan-stdin",
        "categorical - labels3.csv",
        "<stdin>: line 4, column 1 ('dog'): found NaN; expected a finite number",
        hint=NONFINITE,
        stdin="nan_cell.csv",
    ),
    # -- labels -------------------------------------------------------------------------------
    case(
        "label-float",
        "categorical x3.npy labels_float.csv",
        "labels_float.csv: line 3: expected a class index, found 1.5",
        hint="labels must be whole numbers 0..C-1",
    ),
    case(
        "label-float-npy",
        "categorical x3.npy labels_float.npy",
        "labels_float.npy: row 2: expected a class index, found 2.5",
        hint="labels must be whole numbers 0..C-1",
    ),
    case(
        "label-col-float",
        "categorical eval_label_float.csv --label-col label",
        "eval_label_float.csv: line 3: expected a class index, found 0.5",
        hint="labels must be whole numbers 0..C-1",
    ),
    case(
        "label-negative",
        "categorical x3.npy labels_negative.csv",
        "labels_negative.csv: line 3: label -3 is out of range for 3 classes (expected 0..2)",
        hint="to skip samples labelled -3, pass --ignore-index -3",
    ),
    case(
        "label-out-of-range",
        "categorical x3.npy labels_out_of_range.csv",
        "labels_out_of_range.csv: line 4: label 7 is out of range for 3 classes (expected 0..2)",
    ),
    case(
        "label-uint64-huge",
        "categorical x3.npy labels_huge.npy",
        "labels_huge.npy: row 2: label 9223372036854775813 is out of range for 3 classes "
        "(expected 0..2)",
    ),
    case(
        "label-name-not-in-header",
        "categorical preds_named.csv labels_names.csv",
        "labels_names.csv: line 3: class 'cow' is not one of the classes (cat, dog, pig)",
    ),
    case(
        "label-names-unnamed-classes",
        "categorical x3.npy labels_names.csv",
        "labels_names.csv: labels are class names, but the classes are not named",
        hint="give PREDS a header row, or pass --classes a,b,c",
    ),
    case(
        "labels-two-columns",
        "categorical x3.npy labels_two_cols.csv",
        "labels_two_cols.csv: 2 columns; expected 1 (class indices or names) or 3 "
        "(one target column per class)",
        hint="pick the label column with --label-col",
    ),
    case(
        "row-count-mismatch",
        "categorical preds4.csv labels3.csv",
        "row counts differ: preds4.csv has 4 rows, labels3.csv has 3 rows",
        hint=ROWS,
    ),
    case(
        "labels-2d-npy",
        "categorical x3.npy labels_2d.npy",
        "labels_2d.npy: labels have shape (3, 2); expected shape (3,) (one label per sample) or "
        "(3,) + (3,) for dense targets (predictions: (3, 3) in x3.npy)",
    ),
    case(
        "dense-wrong-width",
        "categorical x3.npy dense_bad_width.csv",
        "dense_bad_width.csv: 4 columns; expected 1 (class indices or names) or 3 "
        "(one target column per class)",
        hint="pick the label column with --label-col",
    ),
    case(
        "dense-outside-0-1",
        "categorical x3.npy dense_bad_value.csv",
        "dense_bad_value.csv: line 2, column 1: target 1.5 is outside [0, 1]",
        hint="dense targets are one-hot rows or probability rows",
    ),
    case(
        "labels-stdin-negative",
        "categorical x3.npy -",
        "<stdin>: line 3: label -3 is out of range for 3 classes (expected 0..2)",
        hint="to skip samples labelled -3, pass --ignore-index -3",
        stdin="labels_negative.csv",
    ),
    # -- binary -------------------------------------------------------------------------------
    case(
        "binary-target-2",
        "binary bin_preds.csv bin_targets_out.csv",
        "bin_targets_out.csv: line 3: target 2 is outside [0, 1]",
        hint="binary targets are 0/1 labels or probabilities in [0, 1]",
    ),
    case(
        "binary-target-negative",
        "binary bin_preds.csv bin_targets_neg.csv",
        "bin_targets_neg.csv: line 2: target -0.5 is outside [0, 1]",
        hint="binary targets are 0/1 labels or probabilities in [0, 1]",
    ),
    case(
        "binary-target-text",
        "binary bin_preds.csv bin_targets_text.csv",
        "bin_targets_text.csv: column 0 holds text; binary targets are numbers in [0, 1]",
    ),
    case(
        "binary-width-mismatch",
        "binary bin_preds2.csv bin_targets3.csv",
        "bin_targets3.csv: 3 target column(s); expected 2, one per prediction column of "
        "bin_preds2.csv",
    ),
    case(
        "binary-shape-mismatch-npy",
        "binary x3.npy bin_targets_2x2.npy",
        "bin_targets_2x2.npy: targets have shape (2, 2); expected the predictions' shape (3, 3) "
        "(from x3.npy)",
    ),
    case(
        "binary-row-mismatch",
        "binary bin_preds.csv labels2.csv",
        "row counts differ: bin_preds.csv has 3 rows, labels2.csv has 2 rows",
        hint=ROWS,
    ),
    case(
        "binary-from-probs-logits",
        "binary bin_logits.csv labels3.csv --from probs",
        f"bin_logits.csv: line 1, column 0: -2.5 {NOT_PROBS}",
        hint=LOGITS,
    ),
    case(
        "binary-pos-weight-nan",
        "binary bin_preds.csv labels3.csv --pos-weight nan",
        "--pos-weight must be finite numbers; got nan",
    ),
    case(
        "binary-pos-weight-inf",
        "binary bin_preds.csv labels3.csv --pos-weight -inf",
        "--pos-weight must be finite numbers; got -inf",
    ),
    case(
        "binary-pos-weight-length",
        "binary bin_preds.csv labels3.csv --pos-weight 1,2",
        "--pos-weight has 2 values; expected 1 or one per column (1)",
    ),
    case(
        "binary-focal-alpha-2",
        "binary bin_clean.csv bin_clean_targets.csv --focal-alpha 2",
        "--focal-alpha must be in [0, 1]; got 2",
    ),
    # -- arrays -------------------------------------------------------------------------------
    case(
        "npy-0d",
        "categorical scalar.npy [0]",
        "scalar.npy: 1 prediction column; categorical cross-entropy needs 2 or more classes",
        hint="for one column of scores or probabilities use cece binary",
    ),
    case(
        "npy-1-element",
        "categorical one.npy [0]",
        "one.npy: 1 prediction column; categorical cross-entropy needs 2 or more classes",
        hint="for one column of scores or probabilities use cece binary",
    ),
    case(
        "npy-1-element-binary-shape",
        "binary one.npy [1,0]",
        "literal '[1,0]': targets have shape (2,); expected the predictions' shape (1,) "
        "(from one.npy)",
    ),
    case(
        "npy-strings",
        "categorical strings.npy [0,1]",
        "strings.npy: holds <U1 values; expected numbers",
    ),
    case(
        "npy-complex",
        "categorical complex.npy [0]",
        "complex.npy: holds complex128 values; expected numbers",
    ),
    case(
        "npy-structured",
        "categorical structured.npy [0,1,2]",
        "structured.npy: holds [('a', '<f8'), ('b', '<f8')] values; expected numbers",
    ),
    case(
        "npy-object-dtype",
        "categorical object.npy [0,1]",
        "object.npy: holds Python objects (dtype object); cece never unpickles",
        hint=UNPICKLE,
    ),
    case(
        "npy-pickled",
        "categorical pickled.npy [0,1,2]",
        "pickled.npy: holds Python objects (dtype object); cece never unpickles",
        hint=UNPICKLE,
    ),
    case(
        "npy-pickled-stdin",
        "categorical - [0,1,2] --stdin-format npy",
        "<stdin>: holds Python objects (dtype object); cece never unpickles",
        hint=UNPICKLE,
        stdin="pickled.npy",
    ),
    case(
        "npy-truncated",
        "categorical truncated.npy labels3.csv",
        "truncated.npy: truncated: shape (3, 3) of float64 needs 72 bytes of data, the file has 62",
    ),
    case(
        "npy-truncated-stdin",
        "categorical - labels3.csv",
        "<stdin>: truncated: shape (3, 3) of float64 needs 72 bytes of data, found 62",
        stdin="truncated.npy",
    ),
    case(
        "npy-header-cut",
        "categorical header_cut.npy labels3.csv",
        "header_cut.npy: not a valid .npy file (EOF: reading array header, expected 118 bytes "
        "got 10)",
    ),
    case(
        "npy-huge-shape",
        "categorical huge_shape.npy labels3.csv",
        "huge_shape.npy: not a valid .npy file (shape (4611686018427387904, 4) of float64 "
        "is larger than any array can be)",
    ),
    case(
        "npy-empty-but-huge-shape",
        "categorical zero_by_huge.npy [1,0]",
        "zero_by_huge.npy: not a valid .npy file (shape (0, 4611686018427387904) of float64 "
        "is larger than any array can be)",
    ),
    case(
        "npy-empty-but-huge-shape-stdin",
        "categorical - [1,0]",
        "<stdin>: not a valid .npy file (shape (0, 4611686018427387904) of float64 "
        "is larger than any array can be)",
        stdin="zero_by_huge.npy",
    ),
    case(
        "npy-negative-shape",
        "categorical negative_shape.npy labels3.csv",
        "negative_shape.npy: not a valid .npy file (shape (-1, 3) has a negative dimension)",
    ),
    case(
        "npy-header-unclosed",
        "categorical header_unclosed.npy labels3.csv",
        "header_unclosed.npy: not a valid .npy file (its header is not a Python literal)",
    ),
    case(
        "npy-zero-size-3d-binary",
        "binary zeros_000.npy zeros_000.npy",
        "zeros_000.npy: no samples: shape (0, 0, 0); expected at least one row",
    ),
    case(
        "npy-zero-size-3d-entropy",
        "entropy zeros_000.npy",
        "zeros_000.npy: no samples: shape (0, 0, 0); expected at least one row",
    ),
    case(
        "npy-zero-columns-binary",
        "binary zeros_30.npy zeros_30.npy",
        "zeros_30.npy: no prediction columns: shape (3, 0)",
    ),
    case(
        "npy-zero-rows-kl",
        "kl empty.npy empty.npy",
        "empty.npy: no samples: shape (0, 3); expected at least one row",
    ),
    case(
        "npy-named-csv",
        "categorical npy_as.csv labels3.csv",
        "npy_as.csv: named like .csv but holds npy data",
        hint="rename it to end in .npy",
    ),
    case(
        "stdin-npy-format-given-csv",
        "categorical - labels3.csv --stdin-format npy",
        "<stdin>: not a valid .npy file (the magic string is not correct; expected "
        "b'\\x93NUMPY', got b'cat,do')",
        stdin="clean.csv",
    ),
    case(
        "class-axis-3",
        "categorical cube.npy [[0,1,2],[0,1,2]] --class-axis 3",
        "--class-axis 3 is out of range for cube.npy with 3 dimensions (shape (2, 3, 4))",
    ),
    case(
        "class-axis-minus-4",
        "categorical cube.npy [[0,1,2],[0,1,2]] --class-axis -4",
        "--class-axis -4 is out of range for cube.npy with 3 dimensions (shape (2, 3, 4))",
    ),
    # -- npz ----------------------------------------------------------------------------------
    case(
        "npz-several-no-key",
        "categorical two.npz labels3.csv",
        "two.npz: holds 2 arrays (logits, labels); say which one",
        hint="use two.npz:logits",
    ),
    case(
        "npz-wrong-key",
        "categorical two.npz:logit two.npz:labels",
        "two.npz:logit: has no array 'logit'; it has logits, labels",
    ),
    case(
        "npz-truncated",
        "categorical truncated.npz:logits labels3.csv",
        "truncated.npz:logits: not a readable .npz file (File is not a zip file)",
    ),
    case(
        "npz-text-member",
        "categorical text_member.npz labels3.csv",
        "text_member.npz: member 'readme.txt' is not a .npy array",
    ),
    # -- compression, files, stdin ------------------------------------------------------------
    case(
        "gz-not-gzip",
        "categorical notgzip.csv.gz labels2.csv",
        "notgzip.csv.gz: not a gzip file (its first bytes are not gzip's)",
        hint="rename it without the compression suffix if it is plain text",
    ),
    case(
        "gz-truncated",
        "categorical truncated.csv.gz labels3.csv",
        "truncated.csv.gz: truncated gzip stream",
    ),
    case(
        "bz2-corrupt",
        "categorical notbz2.csv.bz2 labels3.csv",
        "notbz2.csv.bz2: corrupt bz2 data: Invalid data stream",
    ),
    case(
        "directory",
        "categorical folder.csv labels3.csv",
        "folder.csv: is a directory; expected a file",
        setup="directory",
    ),
    case(
        "unreadable",
        "categorical locked.csv labels3.csv",
        "locked.csv: cannot read: permission denied",
        setup="chmod000",
    ),
    case(
        "unreadable-open-fails",
        "categorical locked.csv labels3.csv",
        "locked.csv: cannot read: permission denied",
        setup="euid",
    ),
    case(
        "socket",
        "categorical sock.csv labels3.csv",
        "sock.csv: is a socket; expected a file",
        setup="socket",
    ),
    case("missing-file", "categorical missing.csv labels3.csv", "missing.csv: no such file"),
    case(
        "missing-labels-file",
        "categorical x3.npy missing_labels.npy",
        "missing_labels.npy: no such file",
    ),
    case(
        "missing-not-literal",
        "categorical x3.npy nolabels",
        "nolabels: no such file and not a JSON literal",
        hint="inline values are JSON, e.g. 0.7 or '[0, 2]'",
    ),
    case(
        "stdin-twice",
        "categorical - -",
        "only one input can come from standard input ('-')",
        stdin="clean.csv",
    ),
    case(
        "stdin-twice-kl",
        "kl - -",
        "only one input can come from standard input ('-')",
        stdin="p3.csv",
    ),
    case(
        "stdin-npz",
        "categorical - labels3.csv",
        "<stdin>: holds .npz data; standard input takes CSV/TSV text or .npy",
        stdin="two.npz",
    ),
    # -- options ------------------------------------------------------------------------------
    case(
        "sample-weight-short",
        "categorical x3.npy labels3.csv --sample-weight weights2.csv",
        "row counts differ: x3.npy has 3 rows, labels3.csv has 3 rows, weights2.csv has 2 rows",
        hint=ROWS,
    ),
    case(
        "sample-weight-short-literal",
        "binary bin_preds.csv [0,1,1] --sample-weight [1,1]",
        "row counts differ: literal '[0,1,1]' has 3 rows, literal '[1,1]' has 2 rows",
        hint=ROWS,
    ),
    case(
        "sample-weight-negative-literal",
        "binary bin_preds.csv [0,1,1] --sample-weight [1,-1,1]",
        "--sample-weight: sample weights must be ≥ 0; found -1 at position 1",
    ),
    case(
        "sample-weight-negative-file",
        "categorical x3.npy labels3.csv --sample-weight weights_neg.csv",
        "weights_neg.csv: line 2: sample weight -0.5 is negative; expected weights ≥ 0",
    ),
    case(
        "weight-length",
        "categorical x3.npy labels3.csv --weight 1,2",
        "--weight has 2 values; expected one per class (3)",
    ),
    case(
        "weight-not-finite",  # negative class weights are allowed, as PyTorch allows them
        "categorical x3.npy labels3.csv --weight 2,1,nan",
        "--weight: class weights must be finite numbers",
    ),
    case(
        "weight-file-length",
        "categorical x3.npy labels3.csv --weight weights2.csv",
        "--weight weights2.csv: 2 values; expected one per class (3)",
    ),
    case(
        "eps-above-0.5",
        "binary bin_preds.csv [0,1,1] --eps 0.7",
        "--eps must be in [0, 0.5); got 0.7",
    ),
    case(
        "eps-negative",
        "categorical x3.npy labels3.csv --eps -0.1",
        "--eps must be in [0, 0.5); got -0.1",
    ),
    case(
        "eps-nan", "categorical x3.npy labels3.csv --eps nan", "--eps must be in [0, 0.5); got nan"
    ),
    case(
        "label-smoothing-negative",
        "categorical x3.npy labels3.csv --label-smoothing -0.1",
        "--label-smoothing must be in [0, 1]; got -0.1",
    ),
    case(
        "label-smoothing-2-binary",
        "binary bin_preds.csv [0,1,1] --label-smoothing 2",
        "--label-smoothing must be in [0, 1]; got 2",
    ),
    case(
        "from-probs-given-logits",
        "categorical x3.npy labels3.csv --from probs",
        f"x3.npy: row 0, column 2: 2 {NOT_PROBS}",
        hint=LOGITS,
    ),
    case(
        "from-log-probs-given-logits",
        "categorical x3.npy labels3.csv --from log-probs",
        "x3.npy: row 0, column 1: 1 is not a log-probability (expected a value ≤ 0)",
        hint=LOGITS,
    ),
    case(
        "pred-cols-duplicate",
        "categorical preds_named.csv labels2.csv --pred-cols cat,cat",
        "--pred-cols 'cat,cat': column 'cat' is selected twice",
    ),
    case(
        "worst-negative", "categorical x3.npy labels3.csv --worst -2", "--worst must be ≥ 0, not -2"
    ),
    case(
        "fail-above-nan",
        "categorical x3.npy labels3.csv --fail-above nan",
        "--fail-above must be a number; got nan",
    ),
    case(
        "baseline-missing",
        "categorical x3.npy labels3.csv --baseline nothere.json",
        "nothere.json: cannot read: No such file or directory",
    ),
    case(
        "baseline-not-cece",
        "categorical x3.npy labels3.csv --baseline baseline_not_cece.json",
        "baseline_not_cece.json: not a cece JSON document (no 'summary' or 'unit')",
        hint="use a file written by cece ... -f json",
    ),
    case(
        "baseline-not-json",
        "binary bin_clean.csv bin_clean_targets.csv -q --baseline baseline_not_json.json",
        "baseline_not_json.json: not a JSON document (Expecting value: line 1 column 1 (char 0))",
        hint="use a file written by cece ... -f json",
    ),
    case(
        "baseline-binary-file",
        "categorical x3.npy labels3.csv -f json --baseline x3.npy",
        "x3.npy: not a JSON document (byte 0x93 at offset 0 is not UTF-8)",
        hint="use a file written by cece ... -f json",
    ),
    # -- kl / entropy -------------------------------------------------------------------------
    case(
        "kl-shape-mismatch",
        "kl p3.csv p2.csv",
        "p2.csv: shape (N, 2) does not match P's (N, 3) (p3.csv)",
        hint="P and Q need the same rows and columns",
    ),
    case(
        "kl-row-mismatch",
        "kl p3.csv x3.npy",
        "row counts differ: p3.csv has 2 rows, x3.npy has 3 rows",
        hint=ROWS,
    ),
    case(
        "kl-q-negative-probs",
        "kl p3.csv p_neg.csv --from probs",
        f"p_neg.csv: line 2, column 1: -0.1 {NOT_PROBS}",
        hint=LOGITS,
    ),
    case(
        "entropy-above-1-probs",
        "entropy p_above1.csv --from probs",
        f"p_above1.csv: line 2, column 0: 1.5 {NOT_PROBS}",
        hint=LOGITS,
    ),
]


# -- special files, made at test time ---------------------------------------------------------


def _make_locked(directory: Path) -> None:
    path = directory / "locked.csv"
    path.write_text("1,2,3\n4,5,6\n7,8,9\n")
    path.chmod(0)


def _make_socket(directory: Path) -> None:
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets here")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind("sock.csv")  # relative to the working directory: short enough for sun_path
    sock.close()


_SETUPS = {
    "directory": lambda d: (d / "folder.csv").mkdir(),
    "chmod000": _make_locked,
    "euid": _make_locked,
    "socket": _make_socket,
}


@contextlib.contextmanager
def _identity(setup: str | None):
    """Run as someone whom a mode-000 file stops, even when the tests run as root.

    Root reads a mode-000 file anyway, so as root the run drops to user nobody: both real and
    effective ids ("chmod000": access(2) and open(2) both refuse), or only the effective id
    ("euid": access(2), which checks the real id, allows what open(2) then refuses — as for a
    set-uid or ``sudo -u`` run). The saved id stays 0, so root is restored afterwards. The working
    directory (searchable by all) is the only directory the run looks up names in.
    """
    if setup not in ("chmod000", "euid"):
        yield
        return
    if not ROOT:
        if setup == "euid":
            pytest.skip("needs root: only root can split the real and effective user ids")
        yield  # mode 000 stops an ordinary user as it is
        return
    Path.cwd().chmod(0o755)
    run_cece("categorical", "clean.csv", "clean_labels.csv", "-q")  # import lazily loaded modules
    real = NOBODY if setup == "chmod000" else 0
    os.setresuid(real, NOBODY, 0)
    try:
        yield
    finally:
        os.setresuid(0, 0, 0)


def _snapshot(*dirs: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry below ``dirs``: path → (mode, size, mtime) — to see nothing was written."""
    seen = {}
    for top in dirs:
        for dirpath, dirnames, filenames in os.walk(top):
            for name in dirnames + filenames:
                st = os.lstat(os.path.join(dirpath, name))
                seen[os.path.join(dirpath, name)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return seen


@pytest.fixture
def corpus_dir(tmp_path, monkeypatch):
    """A fresh corpus as the working directory, and a private, empty temporary directory."""
    work, scratch = tmp_path / "corpus", tmp_path / "tmp"
    make_corpus.build(work)
    scratch.mkdir()
    monkeypatch.chdir(work)
    for var in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.setenv(var, str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.delenv("CECE_DEBUG", raising=False)
    return work, scratch


def _param(c: Case):
    marks = [pytest.mark.xfail(strict=True, reason=c.bug)] if c.bug else []
    return pytest.param(c, id=c.id, marks=marks)


@pytest.mark.parametrize("c", [_param(c) for c in CASES])
def test_malformed_input(c: Case, corpus_dir, parser):
    work, scratch = corpus_dir
    if c.setup:
        _SETUPS[c.setup](work)
    before = _snapshot(work, scratch)
    stdin = (work / c.stdin).read_bytes() if c.stdin else None
    with _identity(c.setup):
        run = run_cece(*c.args, stdin=stdin)
    assert "Traceback" not in run.err, run.err
    assert run.code == 2, f"exit {run.code}\nstdout: {run.out[:300]}\nstderr: {run.err}"
    assert run.out == ""
    lines = [
        line for line in run.err.splitlines() if line.strip() and not line.startswith("cece: note:")
    ]
    assert sum(line.startswith("cece: error:") for line in lines) == 1, run.err
    assert lines[0] == f"cece: error: {c.message}"
    assert len(lines) <= 2, run.err
    if len(lines) == 2:
        assert lines[1].startswith("  hint: "), run.err
    if c.hint is not None:
        assert lines[1:] == [f"  hint: {c.hint}"], run.err
    assert _snapshot(work, scratch) == before, "cece created, changed or removed a file"


def test_corpus_is_large_and_ids_unique():
    assert len(CASES) >= 45
    assert len({c.id for c in CASES}) == len(CASES)


def test_committed_corpus_matches_the_generator():
    """tests/corpus/ holds exactly what make_corpus.py writes (regenerate it after a change)."""
    expected = make_corpus.files()
    committed = {p.name for p in CORPUS.iterdir() if p.is_file()} - {"make_corpus.py"}
    assert committed == set(expected), "run: python tests/corpus/make_corpus.py"
    for name, data in expected.items():
        on_disk = (CORPUS / name).read_bytes()
        if name in make_corpus.VERSION_DEPENDENT:
            assert on_disk[:10] == data[:10] and b"'descr': '|O'" in on_disk[:128], name
        else:
            assert on_disk == data, f"{name} differs: run python tests/corpus/make_corpus.py"


# -- what cece deliberately accepts -----------------------------------------------------------

CLEAN_LOGITS = np.array([[1.5, 0.25, -2.0], [0.5, 2.0, 1.0], [-1.0, 0.0, 3.0]])
CLEAN_LABELS = np.array([0, 2, 1])
BIN_PROBS, BIN_TARGETS = np.array([0.2, 0.7, 0.9]), np.array([0.0, 1.0, 1.0])


def _categorical_reference() -> float:
    z = CLEAN_LOGITS - CLEAN_LOGITS.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(3), CLEAN_LABELS].mean())


def _binary_reference() -> float:
    p, y = BIN_PROBS, BIN_TARGETS
    return float(-(y * np.log(p) + (1 - y) * np.log1p(-p)).mean())


QUIRKS = [
    # (id, command args with the quirk, the same data written cleanly, stdin file)
    ("crlf", "categorical crlf.csv clean_labels.csv", "categorical clean.csv clean_labels.csv"),
    ("bom", "categorical bom.csv clean_labels.csv", "categorical clean.csv clean_labels.csv"),
    (
        "bom-crlf-trailing-blank",
        "categorical bom_crlf_blank.csv clean_labels.csv",
        "categorical clean.csv clean_labels.csv",
    ),
    (
        "quoted-numbers",
        "categorical quoted.csv clean_labels.csv",
        "categorical clean.csv clean_labels.csv",
    ),
    (
        "trailing-blank-lines",
        "categorical trailing_blank.csv clean_labels.csv",
        "categorical clean.csv clean_labels.csv",
    ),
    (
        "spaces-around-fields",
        "categorical trailing_spaces.csv clean_labels.csv",
        "categorical clean.csv clean_labels.csv",
    ),
    (
        "comment-line",
        "categorical comment_first.csv clean_labels.csv",
        "categorical clean.csv clean_labels.csv",
    ),
    (
        "semicolons",
        "categorical semicolon.csv clean_labels.csv",
        "categorical clean.csv clean_labels.csv",
    ),
    ("tsv", "categorical clean.tsv clean_labels.csv", "categorical clean.csv clean_labels.csv"),
    (
        "whitespace-txt",
        "categorical spaces.txt clean_labels.csv",
        "categorical clean.csv clean_labels.csv",
    ),
    ("gzip", "categorical clean.csv.gz clean_labels.csv", "categorical clean.csv clean_labels.csv"),
    (
        "index-column",
        "categorical index_col.csv clean_labels.csv",
        "categorical clean.csv clean_labels.csv",
    ),
    (
        "number-forms",
        "categorical number_forms.csv clean_labels.csv",
        "categorical clean.csv clean_labels.csv",
    ),
    (
        "crlf-labels",
        "categorical clean.csv crlf_labels.csv",
        "categorical clean.csv clean_labels.csv",
    ),
    (
        "bom-labels",
        "categorical clean.csv bom_labels.csv",
        "categorical clean.csv clean_labels.csv",
    ),
    (
        "crlf-stdin",
        "categorical - clean_labels.csv",
        "categorical clean.csv clean_labels.csv",
        "crlf.csv",
    ),
    (
        "binary-crlf",
        "binary bin_crlf.csv bin_clean_targets.csv",
        "binary bin_clean.csv bin_clean_targets.csv",
    ),
    (
        "binary-quoted-targets",
        "binary bin_clean.csv bin_quoted_targets.csv",
        "binary bin_clean.csv bin_clean_targets.csv",
    ),
]


@pytest.mark.parametrize(
    "quirky, clean, stdin",
    [pytest.param(q[1], q[2], q[3] if len(q) > 3 else None, id=q[0]) for q in QUIRKS],
)
def test_accepted_quirks(quirky, clean, stdin, corpus_dir, parser):
    work, scratch = corpus_dir
    before = _snapshot(work, scratch)
    ref = run_cece(*clean.split(), "-q")
    got = run_cece(*quirky.split(), "-q", stdin=(work / stdin).read_bytes() if stdin else None)
    assert (ref.code, got.code) == (0, 0), (ref.err, got.err)
    expected = _categorical_reference() if clean.startswith("categorical") else _binary_reference()
    assert float(ref.out) == pytest.approx(expected, rel=1e-12)
    assert float(got.out) == float(ref.out)
    assert _snapshot(work, scratch) == before
