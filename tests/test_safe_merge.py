"""Safer baselines and merges (cece/engine/provenance.py, cece/engine/documents.py).

A ``--baseline`` computed with options that define another loss is refused (exit 2, one line
naming the option); another unit is converted. ``cece merge`` refuses a shard given twice (the
same file, an identical document, or a document computed from the same inputs, by the input
fingerprint every document carries), shards with other class counts and other definitions.
Documents written before fingerprints (sample_data/shard_a.json) still merge, with a note.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, run_cece

LOGITS = str(ROOT / "sample_data" / "catdogpig_logits.csv")
LABELS = str(ROOT / "sample_data" / "catdogpig_labels.csv")


def write_doc(path: Path, *args: str) -> str:
    run = run_cece(*args, "-f", "json", "-o", str(path))
    assert run.code == 0, run.err
    return str(path)


def refused(run, line: str) -> None:
    assert run.code == 2, run.err
    assert run.out == ""
    assert run.err.splitlines() == [f"cece: error: {line}"]


@pytest.fixture
def base(tmp_path) -> str:
    return write_doc(tmp_path / "base.json", "categorical", LOGITS, LABELS, "--from", "logits")


@pytest.mark.parametrize(
    "option, shown",
    [
        (
            ["--label-smoothing", "0.1"],
            "with --label-smoothing 0, this run with --label-smoothing 0.1",
        ),
        (["--weight", "1,2,3"], "without --weight, this run with --weight 1,2,3"),
        (["--sample-weight", "[1,2]"], "without --sample-weight, this run with --sample-weight"),
        (["--focal-gamma", "2"], "without --focal-gamma, this run with --focal-gamma 2"),
        (["--focal-alpha", "0.25"], "without --focal-alpha, this run with --focal-alpha 0.25"),
        (["--temperature", "2"], "without --temperature, this run with --temperature 2"),
        (["--ignore-index", "1"], "without --ignore-index, this run with --ignore-index 1"),
        (["--rescale", "2"], "without --rescale, this run with --rescale"),
        (["-r", "sum"], "with --reduction mean, this run with --reduction sum"),
    ],
)
@pytest.mark.parametrize("fmt", [["-q"], ["-f", "json"], ["-f", "jsonl"]])
def test_baseline_with_another_definition_is_refused(base, option, shown, fmt):
    run = run_cece("categorical", LOGITS, LABELS, "--from", "logits", *option, *fmt)
    assert run.code == 0, run.err
    run = run_cece(
        "categorical", LOGITS, LABELS, "--from", "logits", *option, *fmt, "--baseline", base
    )
    refused(run, f"{base}: the baseline was computed {shown}: not the same loss")


def test_an_older_baseline_without_an_option_was_computed_without_it(tmp_path):
    # a document written before --temperature / --rescale existed records neither: it was
    # computed without them, so a run with them measures another loss
    doc = json.loads(run_cece("categorical", LOGITS, LABELS, "--from", "logits", "-f", "json").out)
    for key in ("temperature", "rescale", "shift", "mask"):
        doc["options"].pop(key)
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc))
    for option, shown in [
        (["--temperature", "2"], "without --temperature, this run with --temperature 2"),
        (["--rescale", "2"], "without --rescale, this run with --rescale"),
    ]:
        run = run_cece(
            "categorical", LOGITS, LABELS, "--from", "logits", *option, "-q", "--baseline", str(old)
        )
        refused(run, f"{old}: the baseline was computed {shown}: not the same loss")
    ok = run_cece("categorical", LOGITS, LABELS, "--from", "logits", "-q", "--baseline", str(old))
    assert ok.code == 0, ok.err


def test_eps_in_force_is_compared_where_both_clip(tmp_path):
    probs = tmp_path / "p.csv"
    probs.write_text("0.2,0.3,0.5\n0.1,0.1,0.8\n")
    labels = tmp_path / "y.csv"
    labels.write_text("0\n2\n")
    clipped = write_doc(tmp_path / "b.json", "categorical", str(probs), str(labels))
    run = run_cece("categorical", str(probs), str(labels), "--eps", "1e-3", "-q")
    run = run_cece(
        "categorical", str(probs), str(labels), "--eps", "1e-3", "-q", "--baseline", clipped
    )
    refused(
        run,
        f"{clipped}: the baseline was computed with --eps 2.22045e-16, this run with --eps 0.001: "
        "not the same loss",
    )
    # logits clip nothing: a logits baseline and a probabilities run are the same loss
    logits = write_doc(tmp_path / "l.json", "categorical", LOGITS, LABELS, "--from", "logits")
    ok = run_cece("categorical", str(probs), str(labels), "-q", "--baseline", logits)
    assert ok.code in (0, 1), ok.err


def test_baseline_in_bits_kinds_and_reductions_none_are_the_same_loss(base, tmp_path):
    for extra in (["-b", "2"], ["-r", "none", "-f", "json"], ["--from", "logits", "--worst", "1"]):
        run = run_cece(
            "categorical", LOGITS, LABELS, "--from", "logits", *extra, "--baseline", base
        )
        assert run.code == 0, (extra, run.err)
    shifted = tmp_path / "shifted.json"
    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(2, 5, 4)))
    np.save(tmp_path / "ids.npy", np.random.default_rng(1).integers(0, 4, size=(2, 5)))
    args = ["categorical", str(tmp_path / "x.npy"), str(tmp_path / "ids.npy"), "--shift"]
    write_doc(shifted, *args)
    assert run_cece(*args, "-q", "--baseline", str(shifted)).code == 0  # ignore_index in force
    refused(
        run_cece("categorical", str(tmp_path / "x.npy"), str(tmp_path / "ids.npy"), "-q",
                 "--shift", "--label-smoothing", "0.2", "--baseline", str(shifted)),
        f"{shifted}: the baseline was computed with --label-smoothing 0, this run with "
        "--label-smoothing 0.2: "
        "not the same loss",
    )  # fmt: skip


def test_binary_and_measure_baselines(tmp_path):
    b = write_doc(tmp_path / "b.json", "binary", "[0.3,0.8]", "[0,1]")
    refused(
        run_cece("binary", "[0.3,0.8]", "[0,1]", "--pos-weight", "3", "-q", "--baseline", b),
        f"{b}: the baseline was computed without --pos-weight, this run with --pos-weight 3: "
        "not the same loss",
    )
    assert run_cece("binary", "[0.3,0.8]", "[0,1]", "--threshold", "0.2", "-q", "--baseline", b)
    e = write_doc(tmp_path / "e.json", "entropy", "[[0.5,0.5],[0.9,0.1]]")
    refused(
        run_cece("entropy", "[[1,2],[3,1]]", "--from", "logits", "--temperature", "2", "-q",
                 "--baseline", e),
        f"{e}: the baseline was computed without --temperature, this run with --temperature 2: "
        "not the same loss",
    )  # fmt: skip


def test_merge_of_a_merge_document_as_baseline(base, tmp_path):
    merged = tmp_path / "m.json"
    merged.write_text(run_cece("merge", base, "-f", "json").out)
    assert run_cece("merge", base, "-q", "--baseline", str(merged)).code == 0
    refused(
        run_cece(
            "categorical", LOGITS, LABELS, "--from", "logits", "--weight", "1,1,2", "-q",
            "--baseline", str(merged),
        ),
        f"{merged}: the baseline was computed without --weight, this run with --weight 1,1,2: "
        "not the same loss",
    )  # fmt: skip


# -- merges ----------------------------------------------------------------------------------


def test_documents_carry_an_input_fingerprint(base):
    doc = json.loads(Path(base).read_text())
    prints = doc["input"]["fingerprint"]
    assert [p["path"] for p in prints] == [str(Path(LOGITS).resolve()), str(Path(LABELS).resolve())]
    for p, name in zip(prints, (LOGITS, LABELS)):
        info = os.stat(name)
        assert p["size"] == info.st_size and p["mtime_ns"] == info.st_mtime_ns
        assert p["rows"] == [0, 2]
    assert doc["input"]["class_count"] == 3
    literal = json.loads(run_cece("binary", "0.7", "1", "-f", "json").out)["input"]
    assert literal["fingerprint"] == [{"arg": "0.7"}, {"arg": "1"}]
    assert literal["class_count"] == 1


def test_a_shard_given_twice_is_refused(base, tmp_path):
    refused(
        run_cece("merge", base, base),
        f"{base}: is the same file as {base}; a shard given twice counts twice",
    )
    copy = tmp_path / "copy.json"
    copy.write_text(Path(base).read_text())
    refused(
        run_cece("merge", base, str(copy)),
        f"{copy}: is identical to {base}; a shard given twice counts twice",
    )
    again = write_doc(
        tmp_path / "again.json", "categorical", LOGITS, LABELS, "--from", "logits", "--worst", "1"
    )
    refused(
        run_cece("merge", base, again),
        f"{again}: was computed from the same inputs as {base} (catdogpig_logits.csv, "
        "catdogpig_labels.csv); a shard given twice counts twice",
    )
    # inside a merge document too
    other = write_doc(tmp_path / "o.json", "categorical", "[[3,1,2]]", "[1]", "--from", "logits")
    merged = tmp_path / "m.json"
    merged.write_text(run_cece("merge", base, other, "-f", "json").out)
    assert len(json.loads(merged.read_text())["input"]["fingerprints"]) == 2
    refused(
        run_cece("merge", str(merged), again),
        f"{again}: was computed from the same inputs as {merged} (catdogpig_logits.csv, "
        "catdogpig_labels.csv); a shard given twice counts twice",
    )


def test_a_file_rewritten_since_is_another_shard(tmp_path):
    x, y = tmp_path / "x.csv", tmp_path / "y.csv"
    x.write_text("1,2,3\n2,4,6\n")
    y.write_text("0\n2\n")
    first = write_doc(tmp_path / "a.json", "categorical", str(x), str(y), "--from", "logits")
    stamp = os.stat(x).st_mtime_ns
    x.write_text("1,2,3\n2,4,7\n")  # the same size, and (a coarse clock) the same mtime
    os.utime(x, ns=(stamp, stamp))
    second = write_doc(tmp_path / "b.json", "categorical", str(x), str(y), "--from", "logits")
    run = run_cece("merge", first, second, "-q")
    assert run.code == 0, run.err


def test_shards_from_standard_input_are_not_told_apart_by_fingerprint(tmp_path):
    docs = []
    for i, text in enumerate((b"1,2,3\n2,4,6\n", b"0,0,1\n")):
        run = run_cece("categorical", "-", f"[{i}{', 1' if i == 0 else ''}]", "--from", "logits",
                       "-f", "json", stdin=text)  # fmt: skip
        assert run.code == 0, run.err
        path = tmp_path / f"s{i}.json"
        path.write_text(run.out)
        docs.append(str(path))
    assert run_cece("merge", *docs, "-q").code == 0


def test_shards_with_other_class_counts_or_definitions_are_refused(base, tmp_path):
    four = write_doc(
        tmp_path / "four.json", "categorical", "[[1,2,3,4]]", "[0]", "--from", "logits"
    )
    refused(
        run_cece("merge", base, four),
        f"{four}: has 4 prediction columns, but {base} 3; shards must be one computation",
    )
    one = write_doc(tmp_path / "one.json", "binary", "[0.3,0.8]", "[0,1]")
    two = write_doc(tmp_path / "two.json", "binary", "[[0.3,0.4]]", "[[1,0]]")
    refused(
        run_cece("merge", one, two),
        f"{two}: has 2 prediction columns, but {one} 1; shards must be one computation",
    )
    weighted = write_doc(tmp_path / "w.json", "categorical", "[[3,1,2]]", "[1]", "--from",
                         "logits", "--sample-weight", "[2]")  # fmt: skip
    refused(
        run_cece("merge", base, weighted),
        f"{weighted}: was computed with --sample-weight, but {base} without it; shards must "
        "use the same options",
    )
    masked = write_doc(tmp_path / "m.json", "categorical", "[[3,1,2]]", "[1]", "--from",
                       "logits", "--focal-gamma", "1")  # fmt: skip
    refused(
        run_cece("merge", base, masked),
        f"{masked}: was computed with --focal-gamma 1, but {base} without --focal-gamma; shards "
        "must use the same options",
    )


def test_old_documents_still_merge_with_a_note(base):
    old_a = str(ROOT / "sample_data" / "shard_a.json")
    old_b = str(ROOT / "sample_data" / "shard_b.json")
    assert "fingerprint" not in json.loads(Path(old_a).read_text())["input"]
    run = run_cece("merge", old_a, old_b, "-f", "json")
    assert run.code == 0, run.err
    assert (
        f"cece: note: {old_a} and 1 more shard(s): written by an older cece, no input "
        "fingerprint: not checked for repeats"
    ) in run.err.splitlines()
    assert json.loads(run.out)["input"]["shards_without_fingerprint"] == [old_a, old_b]
    quiet = run_cece("merge", old_a, old_b, "-q")
    assert quiet.err == "" and float(quiet.out) > 0  # -q: the number alone


@pytest.mark.parametrize(
    "damage, found",
    [
        (lambda d: d["input"].update(class_count="four"), "ValueError: invalid literal"),
        (lambda d: d["summary"].update(weighted_sum=None), "TypeError: unsupported operand"),
        (lambda d: d.update(options=None), "'options' is not a JSON object"),
        (lambda d: d.update(summary={}), "no 'summary.count'"),
        (lambda d: d.update(summary=[1, 2]), "no 'summary.count'"),
        (lambda d: d.update(unit="furlongs"), "unit 'furlongs' is not one of nats, bits"),
        (lambda d: d.update(loss="abc"), "loss 'abc' is not a number"),
        (lambda d: d.update(warnings="abc"), "'warnings' is not a JSON array"),
        (lambda d: d["input"].update(fingerprint="x"), "'input.fingerprint' is not a list"),
    ],
)
def test_a_damaged_shard_is_an_input_error(base, tmp_path, damage, found):
    """A shard edited by hand: merge stopped with exit 3 ("internal error ... please report
    it"), or took an empty summary as an empty shard."""
    doc = json.loads(Path(base).read_text())
    damage(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    run = run_cece("merge", base, str(bad))
    assert run.code == 2, run.err
    assert run.error_line().startswith(f"cece: error: {bad}: a damaged cece JSON document (")
    assert found in run.error_line()


def test_a_compare_document_is_named_as_such(base, tmp_path):
    cmp = tmp_path / "cmp.json"
    args = ("compare", LOGITS, LOGITS, LABELS, "--from", "logits", "-f", "json", "-o", str(cmp))
    assert run_cece(*args).code == 0
    for run in (
        run_cece("merge", base, str(cmp)),
        run_cece("categorical", LOGITS, LABELS, "--baseline", str(cmp)),
    ):
        assert run.code == 2
        assert run.error_line() == (
            f"cece: error: {cmp}: is a cece compare document: two models' losses, not one"
        )


def test_a_shard_computed_from_a_copy_of_a_file_counts_once(tmp_path):
    """The repeat check compared whole fingerprints (path and mtime included): a shard computed
    from a copied predictions or labels file counted twice (count 17 for 12)."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(12, 4)), rng.integers(0, 4, 12)
    for i, rows in enumerate((slice(0, 5), slice(5, 12))):
        np.save(tmp_path / f"x{i}.npy", x[rows])
        np.save(tmp_path / f"y{i}.npy", y[rows])
    (tmp_path / "x0_copy.npy").write_bytes((tmp_path / "x0.npy").read_bytes())
    (tmp_path / "y0_copy.npy").write_bytes((tmp_path / "y0.npy").read_bytes())
    docs = [
        write_doc(tmp_path / f"{name}.json", "categorical", tmp_path / xs, tmp_path / ys)
        for name, xs, ys in (
            ("m0", "x0.npy", "y0.npy"),
            ("m1", "x1.npy", "y1.npy"),
            ("copy", "x0_copy.npy", "y0.npy"),
            ("ycopy", "x0.npy", "y0_copy.npy"),
        )
    ]
    for twice in docs[2:]:
        run = run_cece("merge", docs[0], twice, docs[1])
        assert run.code == 2
        assert f"{twice}: was computed from the same inputs as {docs[0]}" in run.error_line()
    run = run_cece("merge", docs[0], docs[1], "-f", "json")
    assert json.loads(run.out)["stats"]["count"] == 12


def test_options_outside_the_definition_are_named_as_flags(base, tmp_path):
    """It said "was computed with top_k = 2, but base.json with None"."""
    other = write_doc(
        tmp_path / "k.json", "categorical", LOGITS, LABELS, "--from", "logits", "--top-k", "2"
    )
    refused(
        run_cece("merge", base, other),
        f"{other}: was computed with --top-k 2, but {base} without --top-k; shards must use "
        "the same options",
    )


def test_quiet_merge_of_unreduced_shards_prints_their_mean(tmp_path):
    """Shards written with --reduction none: merge -q printed nothing, with exit 0."""
    docs = [
        write_doc(
            tmp_path / f"n{i}.json", "categorical", logits, labels, "--from", "logits", "-r", "none"
        )
        for i, (logits, labels) in enumerate((("[[1,2,3],[0,0,1]]", "[0,2]"), ("[[2,1,0]]", "[1]")))
    ]
    run = run_cece("merge", *docs, "-q")
    assert run.code == 0
    x = np.array([[1, 2, 3], [0, 0, 1], [2, 1, 0]], dtype=float)
    lse = np.log(np.exp(x).sum(axis=1))
    want = float(np.mean(lse - x[[0, 1, 2], [0, 2, 1]]))
    assert float(run.out) == pytest.approx(want, rel=1e-12)


def test_per_class_rows_survive_a_shard_with_no_counted_sample(tmp_path):
    """A shard whose samples are all ignored lists no class (``per_class: []``): the merged
    per-class table was dropped whole."""
    common = ("--from", "logits", "--ignore-index", "-100", "--per-class")
    a = write_doc(tmp_path / "a.json", "categorical", "[[1,2,3],[0,1,0]]", "[0,1]", *common)
    b = write_doc(tmp_path / "b.json", "categorical", "[[1,2,3]]", "[-100]", *common)
    doc = json.loads(run_cece("merge", a, b, "-f", "json").out)
    assert [(r["class"], r["count"]) for r in doc["per_class"]] == [("0", 1), ("1", 1)]
    assert doc["per_class"][0]["mean"] == pytest.approx(2.40760596444438, rel=1e-12)


def test_merged_kl_keeps_its_entropy_and_kl_means(tmp_path):
    """stats.entropy and stats.kl of kl (and of soft targets) were dropped from the merge,
    though their sums are in every shard's summary."""
    a = write_doc(tmp_path / "a.json", "kl", "[[0.2,0.8],[0.5,0.5]]", "[[0.3,0.7],[0.4,0.6]]")
    b = write_doc(tmp_path / "b.json", "kl", "[[0.1,0.9]]", "[[0.5,0.5]]")
    merged = json.loads(run_cece("merge", a, b, "-f", "json").out)["stats"]
    whole = run_cece(
        "kl", "[[0.2,0.8],[0.5,0.5],[0.1,0.9]]", "[[0.3,0.7],[0.4,0.6],[0.5,0.5]]", "-f", "json"
    )
    one = json.loads(whole.out)["stats"]
    for key in ("mean", "entropy", "kl"):
        assert merged[key] == pytest.approx(one[key], rel=1e-12), key
    assert "mean H(P,Q)" in run_cece("merge", a, b).out


def test_members_of_one_archive_and_a_pattern_runs_own_shards_are_not_twins(tmp_path):
    """The contents check compared digest, size and rows only: two members of one .npz (the
    same file) were twins, and a pattern run whose shard files are alike refused itself."""
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(20, 4)), rng.integers(0, 4, 20)
    np.savez(tmp_path / "d.npz", x0=x[:10], x1=x[10:], y0=y[:10], y1=y[10:])
    a = write_doc(
        tmp_path / "a.json", "categorical", f"{tmp_path}/d.npz:x0", f"{tmp_path}/d.npz:y0"
    )
    b = write_doc(
        tmp_path / "b.json", "categorical", f"{tmp_path}/d.npz:x1", f"{tmp_path}/d.npz:y1"
    )
    run = run_cece("merge", a, b, "-f", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["stats"]["count"] == 20
    for i in range(2):  # two shard files with the same contents, one run
        np.save(tmp_path / f"p-{i}.npy", x[:5])
        np.save(tmp_path / f"l-{i}.npy", y[:5])
    pat = write_doc(
        tmp_path / "pat.json", "categorical", f"{tmp_path}/p-*.npy", f"{tmp_path}/l-*.npy"
    )
    assert run_cece("merge", pat, "-q").code == 0
