"""fsspec URLs as inputs (cece/io/remote.py): the same bits as the local run of the same file,
on memory://, file:// and S3 (a local moto server); range reads for .npy; one line for each
storage failure. Skipped where fsspec is not installed (the extra cece[s3] brings it)."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import os
import struct
import subprocess
import sys
import uuid

import numpy as np
import pytest

from conftest import run_cece

fsspec = pytest.importorskip("fsspec")

from cece.io import remote  # noqa: E402


def safetensors_bytes(tensors: dict[str, tuple[str, np.ndarray]]) -> bytes:
    """The safetensors layout (huggingface/safetensors README, "Format"), written by hand."""
    header, blobs, offset = {}, [], 0
    for name, (code, arr) in tensors.items():
        data = np.ascontiguousarray(arr).tobytes()
        header[name] = {
            "dtype": code,
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + b"".join(blobs)


def arrow_bytes(kind: str, columns: dict) -> bytes:
    pa = pytest.importorskip("pyarrow")
    table = pa.table(columns)
    sink = io.BytesIO()
    if kind == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, sink)
    elif kind == "feather":
        import pyarrow.feather as feather

        feather.write_feather(table, sink)
    else:
        import pyarrow.ipc as ipc

        with ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    return sink.getvalue()


def npy_bytes(arr: np.ndarray, fortran: bool = False) -> bytes:
    out = io.BytesIO()
    np.save(out, np.asfortranarray(arr) if fortran else arr)
    return out.getvalue()


RNG = np.random.default_rng(15)
N, C = 3000, 7
LOGITS = RNG.normal(size=(N, C)).astype(np.float32)
LABELS = RNG.integers(0, C, N)
PROBS = RNG.uniform(0.01, 0.99, size=(N, 3))
TARGETS = RNG.integers(0, 2, size=(N, 3)).astype(np.float64)
LM = RNG.normal(size=(6, 50, 11)).astype(np.float32)
LM_LABELS = RNG.integers(0, 11, size=(6, 50))


def _csv(arr: np.ndarray) -> bytes:
    return "".join(",".join(repr(float(v)) for v in row) + "\n" for row in arr).encode()


def _jsonl() -> bytes:
    lines = [json.dumps({"logits": r.tolist(), "label": int(y)}) for r, y in zip(LOGITS, LABELS)]
    return ("\n".join(lines) + "\n").encode()


# case → (files, command and arguments; {name} stands for where the files are)
CASES = {
    "npy float32": (
        {"p.npy": npy_bytes(LOGITS), "l.npy": npy_bytes(LABELS)},
        ["categorical", "{d}p.npy", "{d}l.npy"],
    ),
    "npy float16": (
        {"p.npy": npy_bytes(LOGITS.astype(np.float16)), "l.npy": npy_bytes(LABELS)},
        ["categorical", "{d}p.npy", "{d}l.npy"],
    ),
    "npy big-endian float64": (
        {"p.npy": npy_bytes(LOGITS.astype(">f8")), "l.npy": npy_bytes(LABELS.astype(">i4"))},
        ["categorical", "{d}p.npy", "{d}l.npy"],
    ),
    "npy Fortran order": (
        {"p.npy": npy_bytes(LOGITS, fortran=True), "l.npy": npy_bytes(LABELS)},
        ["categorical", "{d}p.npy", "{d}l.npy"],
    ),
    "npy bfloat16 bits": (
        {
            "p.npy": npy_bytes((LOGITS.view(np.uint32) >> 16).astype(np.uint16)),
            "l.npy": npy_bytes(LABELS),
        },
        ["categorical", "{d}p.npy", "{d}l.npy", "--dtype", "bfloat16"],
    ),
    "npy (B, T, V) logits": (
        {"p.npy": npy_bytes(LM), "l.npy": npy_bytes(LM_LABELS)},
        ["categorical", "{d}p.npy", "{d}l.npy"],
    ),
    "npy class axis 1": (
        {"p.npy": npy_bytes(np.moveaxis(LM, 2, 1).copy()), "l.npy": npy_bytes(LM_LABELS)},
        ["categorical", "{d}p.npy", "{d}l.npy", "--class-axis", "1"],
    ),
    "npy binary with sample weights": (
        {
            "p.npy": npy_bytes(PROBS),
            "t.npy": npy_bytes(TARGETS),
            "w.npy": npy_bytes(RNG.uniform(0.5, 2, N)),
        },
        ["binary", "{d}p.npy", "{d}t.npy", "--sample-weight", "{d}w.npy"],
    ),
    "npy binary one column": (
        {"p.npy": npy_bytes(PROBS[:, 0]), "t.npy": npy_bytes(TARGETS[:, 0])},
        ["binary", "{d}p.npy", "{d}t.npy"],
    ),
    "npy.gz": (
        {"p.npy.gz": gzip.compress(npy_bytes(LOGITS)), "l.npy": npy_bytes(LABELS)},
        ["categorical", "{d}p.npy.gz", "{d}l.npy"],
    ),
    "npz members": (
        {
            "x.npz": (lambda b: (np.savez(b, logits=LOGITS, labels=LABELS), b.getvalue())[1])(
                io.BytesIO()
            )
        },
        ["categorical", "{d}x.npz:logits", "{d}x.npz:labels"],
    ),
    "safetensors F32 by name": (
        {
            "m.safetensors": safetensors_bytes(
                {"logits": ("F32", LOGITS), "labels": ("I64", LABELS)}
            )
        },
        ["categorical", "{d}m.safetensors:logits", "{d}m.safetensors:labels"],
    ),
    "safetensors BF16": (
        {
            "m.safetensors": safetensors_bytes(
                {"logits": ("BF16", (LOGITS.view(np.uint32) >> 16).astype(np.uint16))}
            ),
            "l.npy": npy_bytes(LABELS),
        },
        ["categorical", "{d}m.safetensors", "{d}l.npy"],
    ),
    "parquet list column": (
        {"t.parquet": None},  # made in the test (pyarrow)
        ["categorical", "{d}t.parquet", "--pred-cols", "logits", "--label-col", "label"],
    ),
    "parquet scalar columns": (
        {"s.parquet": None},
        ["categorical", "{d}s.parquet", "--label-col", "label"],
    ),
    "feather": (
        {"t.feather": None},
        ["categorical", "{d}t.feather", "--pred-cols", "logits", "--label-col", "label"],
    ),
    "arrow stream": (
        {"t.arrow": None},
        ["categorical", "{d}t.arrow", "--pred-cols", "logits", "--label-col", "label"],
    ),
    "csv": (
        {"p.csv": _csv(LOGITS), "l.csv": _csv(LABELS[:, None])},
        ["categorical", "{d}p.csv", "{d}l.csv"],
    ),
    "csv.gz and tsv": (
        {
            "p.csv.gz": gzip.compress(_csv(LOGITS)),
            "l.tsv": _csv(LABELS[:, None]).replace(b",", b"\t"),
        },
        ["categorical", "{d}p.csv.gz", "{d}l.tsv"],
    ),
    "jsonl records": (
        {"r.jsonl": _jsonl()},
        ["categorical", "{d}r.jsonl", "--pred-cols", "logits", "--label-col", "label"],
    ),
    "json labels": (
        {"p.npy": npy_bytes(LOGITS), "l.json": json.dumps(LABELS.tolist()).encode()},
        ["categorical", "{d}p.npy", "{d}l.json"],
    ),
}


def _arrow_files(name: str) -> bytes | None:
    columns = {
        "logits": [r.tolist() for r in LOGITS],
        "label": LABELS.tolist(),
    }
    if name == "t.parquet":
        return arrow_bytes("parquet", columns)
    if name == "t.feather":
        return arrow_bytes("feather", columns)
    if name == "t.arrow":
        return arrow_bytes("stream", columns)
    if name == "s.parquet":
        scalar = {f"c{j}": LOGITS[:, j] for j in range(C)} | {"label": LABELS}
        return arrow_bytes("parquet", scalar)
    return None


def files_of(case: str) -> dict[str, bytes]:
    files, _ = CASES[case]
    return {n: b if b is not None else _arrow_files(n) for n, b in files.items()}


def document(args: list[str], where: str, local: str) -> dict:
    """The JSON document of a run, with the files' place written as ``local`` (so the
    documents of a local and a remote run compare), without what differs by nature."""
    run = run_cece(*[a.replace("{d}", where) for a in args], "-f", "json")
    assert run.code == 0, run.err
    doc = json.loads(run.out.replace(where, local))
    doc.pop("environment", None)
    doc["input"].pop("fingerprint", None)
    return doc


@pytest.fixture(params=["whole", "ranges"])
def reads(request, monkeypatch):
    """Small arrays are read in one request; "ranges" makes every array go by range reads."""
    if request.param == "ranges":
        monkeypatch.setattr(remote, "WHOLE", 0)
    return request.param


@pytest.fixture
def memory_dir():
    fs = fsspec.filesystem("memory")
    root = f"/cece-test-{uuid.uuid4().hex}"
    yield fs, root
    if fs.exists(root):
        fs.rm(root, recursive=True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_memory_url_gives_the_local_bits(case, reads, memory_dir, tmp_path):
    fs, root = memory_dir
    local = str(tmp_path) + "/"
    for name, data in files_of(case).items():
        (tmp_path / name).write_bytes(data)
        fs.pipe_file(f"{root}/{name}", data)
    args = CASES[case][1]
    assert document(args, f"memory://{root}/", local) == document(args, local, local)


@pytest.mark.parametrize(
    "case",
    ["npy float32", "npy (B, T, V) logits", "safetensors BF16", "parquet list column", "csv"],
)
def test_file_url_gives_the_local_bits(case, reads, tmp_path):
    local = str(tmp_path) + "/"
    for name, data in files_of(case).items():
        (tmp_path / name).write_bytes(data)
    args = CASES[case][1]
    assert document(args, f"file://{local}", local) == document(args, local, local)


class Counting:
    """Wraps a memory filesystem's reads: every (start, end) asked for."""

    def __init__(self, monkeypatch):
        self.calls: list[tuple[str, int | None, int | None]] = []
        cls = type(fsspec.filesystem("memory"))
        original = cls.cat_file

        def cat_file(fs, path, start=None, end=None, **kw):
            self.calls.append((path, start, end))
            return original(fs, path, start=start, end=end, **kw)

        def refuse_open(fs, path, mode="rb", **kw):
            raise AssertionError(f"{path} opened as a file, not read by ranges")

        monkeypatch.setattr(cls, "cat_file", cat_file)
        monkeypatch.setattr(cls, "_open", refuse_open)


def test_a_large_npy_is_read_by_ranges_of_whole_blocks(monkeypatch, memory_dir, tmp_path):
    """50 MB of float32 logits: the header by one small read, then one range read a block
    (16 MB at most), each byte once; the loss is the local run's."""
    fs, root = memory_dir
    x = RNG.normal(size=(400_000, 32)).astype(np.float32)  # 51.2 MB
    y = RNG.integers(0, 32, len(x))
    np.save(tmp_path / "p.npy", x)
    np.save(tmp_path / "l.npy", y)
    for name in ("p.npy", "l.npy"):
        fs.pipe_file(f"{root}/{name}", (tmp_path / name).read_bytes())
    local = document(["categorical", "{d}p.npy", "{d}l.npy"], str(tmp_path) + "/", "L/")
    counting = Counting(monkeypatch)
    url = document(["categorical", "{d}p.npy", "{d}l.npy"], f"memory://{root}/", "L/")
    assert url == local
    size = (tmp_path / "p.npy").stat().st_size
    reads = [(s, e) for p, s, e in counting.calls if p.endswith("p.npy")]
    assert all(s is not None and e is not None for s, e in reads)  # never the whole object
    assert reads[0][0] == 0 and reads[0][1] <= remote.PEEK  # the header
    data = [(s, e) for s, e in reads if s >= 128]
    assert max(e - s for s, e in data) <= 16 << 20  # blocks, not the file
    assert len(data) >= 4
    covered = sorted(data)
    assert covered[0][0] == 128 and covered[-1][1] == size  # the data, header excluded
    assert all(a[1] == b[0] for a, b in itertools.pairwise(covered))  # each byte once


def test_missing_url_is_one_line(memory_dir):
    fs, root = memory_dir
    fs.pipe_file(f"{root}/l.npy", npy_bytes(LABELS))
    run = run_cece("categorical", f"memory://{root}/x.npy", f"memory://{root}/l.npy")
    assert run.error_line() == f"cece: error: memory://{root}/x.npy: no such file"


def test_a_directory_url_is_one_line(memory_dir):
    fs, root = memory_dir
    fs.pipe_file(f"{root}/d/a.npy", npy_bytes(LABELS))
    run = run_cece("categorical", f"memory://{root}/d")
    assert run.error_line() == f"cece: error: memory://{root}/d: is a directory; expected a file"


@pytest.mark.parametrize(
    "url, extra", [("s3://b/x.npy", "s3"), ("gs://b/x.npy", "gcs"), ("memory://b/x.npy", "dask")]
)
def test_without_fsspec_one_line_names_the_extra(monkeypatch, url, extra):
    monkeypatch.setitem(sys.modules, "fsspec", None)
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    run = run_cece("categorical", url, "[0]")
    assert run.error_line() == (
        f"cece: error: {url}: reading URLs needs fsspec: pip install 'cece[{extra}]'"
    )


def _unregister(monkeypatch, *schemes):
    """Forget the filesystem classes fsspec imported already (its registry module's
    ``_registry``), so that the next use imports the backend again."""
    registry = sys.modules["fsspec.registry"]._registry
    for name in schemes:
        if name in registry:
            monkeypatch.delitem(registry, name)


def test_without_s3fs_one_line_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "s3fs", None)
    _unregister(monkeypatch, "s3", "s3a")
    run = run_cece("categorical", "s3://b/x.npy", "[0]")
    assert run.error_line() == (
        "cece: error: s3://b/x.npy: reading s3:// URLs needs s3fs: pip install 'cece[s3]'"
    )


def test_without_gcsfs_one_line_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gcsfs", None)
    _unregister(monkeypatch, "gs", "gcs")
    run = run_cece("categorical", "gs://b/x.npy", "[0]")
    assert run.error_line() == (
        "cece: error: gs://b/x.npy: reading gs:// URLs needs gcsfs: pip install 'cece[gcs]'"
    )


def test_an_unknown_scheme_is_one_line():
    run = run_cece("categorical", "nosuchscheme://b/x.npy", "[0]")
    assert (
        run.error_line()
        == "cece: error: nosuchscheme://b/x.npy: fsspec knows no nosuchscheme:// URLs"
    )


@pytest.mark.parametrize(
    "error, line",
    [
        (PermissionError(13, "Access Denied"), "cannot read: permission denied"),
        (
            ConnectionError("Could not connect to the endpoint URL"),
            "cannot read: ConnectionError: Could not connect to the endpoint URL",
        ),
        (OSError("credentials expired\nsecond line"), "cannot read: OSError: credentials expired"),
    ],
)
@pytest.mark.parametrize("when", ["info", "read"])
def test_storage_failures_are_one_line(monkeypatch, memory_dir, error, line, when):
    """Credentials, permissions, connections: one line naming the URL, never a traceback,
    whether the store fails at once or while the rows are read."""
    fs, root = memory_dir
    fs.pipe_file(f"{root}/p.npy", npy_bytes(LOGITS))
    fs.pipe_file(f"{root}/l.npy", npy_bytes(LABELS))
    monkeypatch.setattr(remote, "WHOLE", 0)
    cls = type(fs)
    if when == "info":
        monkeypatch.setattr(cls, "info", lambda self, path, **kw: (_ for _ in ()).throw(error))
    else:
        original = cls.cat_file

        def cat_file(self, path, start=None, end=None, **kw):
            if path.endswith("p.npy") and start and start >= 128:  # the rows, not the header
                raise error
            return original(self, path, start=start, end=end, **kw)

        monkeypatch.setattr(cls, "cat_file", cat_file)
    run = run_cece("categorical", f"memory://{root}/p.npy", f"memory://{root}/l.npy")
    assert run.error_line() == f"cece: error: memory://{root}/p.npy: {line}"


def test_a_truncated_remote_npy_is_one_line(memory_dir):
    fs, root = memory_dir
    fs.pipe_file(f"{root}/p.npy", npy_bytes(LOGITS)[:-10])
    run = run_cece("categorical", f"memory://{root}/p.npy", "[0]")
    need = LOGITS.nbytes
    assert run.error_line() == (
        f"cece: error: memory://{root}/p.npy: truncated: shape ({N}, {C}) of float32 needs "
        f"{need} bytes of data, the file has {need - 10}"
    )


def test_a_remote_datasets_folder_is_one_line(memory_dir):
    fs, root = memory_dir
    fs.pipe_file(f"{root}/ds/state.json", b"{}")
    run = run_cece("categorical", f"memory://{root}/ds", "--label-col", "label")
    assert run.error_line() == (
        f"cece: error: memory://{root}/ds: a datasets.save_to_disk folder is read from a "
        "local path only; copy it here first"
    )


def test_a_local_run_imports_neither_fsspec_nor_zarr(tmp_path):
    np.save(tmp_path / "p.npy", LOGITS[:10])
    np.save(tmp_path / "l.npy", LABELS[:10])
    code = (
        "import sys\n"
        "from cece.cli import main\n"
        "try:\n"
        f"    main(['categorical', {str(tmp_path / 'p.npy')!r}, {str(tmp_path / 'l.npy')!r}, '-q'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fsspec', 'zarr', 's3fs', 'dask')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


# -- S3, on a moto server on 127.0.0.1 ----------------------------------------------------------


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A bucket on a local S3-compatible server (moto), reached through s3fs as a user's
    AWS configuration would reach it (the endpoint and dummy keys in the environment)."""
    pytest.importorskip("s3fs")
    server_mod = pytest.importorskip("moto.server")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem()
    fs.mkdir("cece-bucket")
    try:
        yield fs, "cece-bucket"
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


@pytest.mark.parametrize(
    "case",
    ["npy float32", "npy (B, T, V) logits", "safetensors F32 by name", "parquet list column"],
)
def test_s3_gives_the_local_bits(s3, case, reads, tmp_path):
    fs, bucket = s3
    prefix = f"{bucket}/{uuid.uuid4().hex}"
    local = str(tmp_path) + "/"
    for name, data in files_of(case).items():
        (tmp_path / name).write_bytes(data)
        fs.pipe_file(f"{prefix}/{name}", data)
    args = CASES[case][1]
    assert document(args, f"s3://{prefix}/", local) == document(args, local, local)


def test_s3_missing_object_is_one_line(s3):
    _, bucket = s3
    run = run_cece("categorical", f"s3://{bucket}/nothing/x.npy", "[0]")
    assert run.error_line() == f"cece: error: s3://{bucket}/nothing/x.npy: no such file"


def test_option_files_behind_urls(memory_dir, tmp_path):
    """--weight, --pos-weight and --rescale files, --sample-weight and --mask: URLs too."""
    fs, root = memory_dir
    local = str(tmp_path) + "/"
    files = {
        "p.npy": npy_bytes(LOGITS),
        "l.npy": npy_bytes(LABELS),
        "cw.npy": npy_bytes(RNG.uniform(0.5, 2, C)),
        "sw.npy": npy_bytes(RNG.uniform(0.5, 2, N)),
        "bp.npy": npy_bytes(PROBS),
        "bt.npy": npy_bytes(TARGETS),
        "pw.npy": npy_bytes(np.array([0.5, 2.0, 3.0])),
        "rs.npy": npy_bytes(np.array([[1.5, 0.5, 2.0]])),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        fs.pipe_file(f"{root}/{name}", data)
    categorical = ["categorical", "{d}p.npy", "{d}l.npy", "--weight", "{d}cw.npy"]
    categorical += ["--sample-weight", "{d}sw.npy"]
    binary = ["binary", "{d}bp.npy", "{d}bt.npy", "--pos-weight", "{d}pw.npy"]
    binary += ["--rescale", "{d}rs.npy"]
    for args in (categorical, binary):
        assert document(args, f"memory://{root}/", local) == document(args, local, local)


def test_torch_files_behind_urls(memory_dir, tmp_path):
    torch = pytest.importorskip("torch")
    fs, root = memory_dir
    local = str(tmp_path) + "/"
    torch.save(
        {"logits": torch.from_numpy(LOGITS), "labels": torch.from_numpy(LABELS)}, tmp_path / "d.pt"
    )
    fs.pipe_file(f"{root}/d.pt", (tmp_path / "d.pt").read_bytes())
    args = ["categorical", "{d}d.pt:logits", "{d}d.pt:labels"]
    assert document(args, f"memory://{root}/", local) == document(args, local, local)


def test_s3_without_credentials_is_one_line(tmp_path):
    """The real entry point, no AWS configuration at all: botocore's NoCredentialsError is one
    line naming the URL."""
    pytest.importorskip("s3fs")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONSAFEPATH": "1",
    }
    code = "from cece.cli import main; main(['categorical', 's3://bucket/x.npy', '[0]'])"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "cece: error: s3://bucket/x.npy: cannot read: NoCredentialsError: Unable to locate "
        "credentials"
    ]
