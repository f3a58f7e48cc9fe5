"""The on-disk store: layout, manifest, sharding, checksums, atomic writes and error messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import inforidge
from inforidge import activations
from inforidge.activations import dump as dump_module
from inforidge.activations.writer import ShardedArrayWriter, checkpoint_sha256, frame_sha256
from inforidge.models.architecture import find_blocks
from inforidge.models.modeling import load_model


@pytest.fixture(scope="module")
def gpt2_store(checkpoint: Callable[[str], Path], frame: pd.DataFrame,
               tmp_path_factory: pytest.TempPathFactory) -> activations.ActivationStore:
    """A default (fp16, one shard) dump of the ragged frame, with provenance."""
    out = tmp_path_factory.mktemp("store") / "eval_id"
    return activations.open(activations.dump_split(checkpoint("gpt2"), frame, out, provenance={"run": "r1", "step": 0}))


def test_layout_and_manifest(gpt2_store: activations.ActivationStore, checkpoint: Callable[[str], Path],
                             frame: pd.DataFrame) -> None:
    store, n, L = gpt2_store, len(frame), 2
    m = store.manifest
    assert store.sites == ["resid_post", "final_norm"] and store.num_layers == L and store.num_examples == n
    assert store.layers("resid_post") == [0, 1, 2] and store.layers("final_norm") == [2] and store.layers("target") == [0]
    for site in store.sites:
        for layer in store.layers(site):
            a = store.array(site, layer)
            assert a.shape == (n, 32) and a.dtype == np.float16 and isinstance(a, np.memmap)
    assert store.target().shape == (n, 32)
    assert m["dtype"] == "float16" and m["decode_steps"] == 1 and m["target_mode"] == "second_pass"
    assert m["code_version"] == inforidge.__version__ and m["split"] == "eval_id" and m["created"]
    assert m["checkpoint"]["id"] == "step-0"
    assert m["checkpoint"]["weights_sha256"] == checkpoint_sha256(checkpoint("gpt2"))[0]
    assert m["examples"]["sha256"] == frame_sha256(frame) == frame_sha256(frame.iloc[::-1].iloc[::-1])
    assert m["provenance"] == {"run": "r1", "step": 0}
    assert (store.root / "resid_post/layer-002/step-001/shard-0000.npy").is_file()
    # meta: one row per example, the split's columns plus the target token.
    meta = store.meta
    assert meta["example_id"].tolist() == frame["example_id"].tolist()
    assert meta["answer"].tolist() == frame["answer"].tolist()
    assert (meta["target_text"] == meta["answer"]).all()  # word tokenizer: the token is the answer
    assert set(meta["split"]) == {"eval_id"}
    assert {"signal_positions", "modulus", "target_token_id", "target_token_ids", "prompt_tokens"} <= set(meta.columns)


def test_dump_keys_are_the_manifest_provenance_and_a_missing_one_is_named(gpt2_store: activations.ActivationStore,
                                                                        tmp_path: Path) -> None:
    """The MI and read-out jobs key their rows by the dump's provenance; a dump without it is refused."""
    with pytest.raises(ValueError, match=r"eval_id/manifest.json: provenance lacks \['split', 'data_split'\]"):
        activations.dump_keys(gpt2_store.root)
    manifest = json.loads((gpt2_store.root / "manifest.json").read_text())
    keys = {"run": "r1", "step": 4, "split": "ood", "data_split": "eval_ood", "horizon": 3}
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "provenance": keys}))
    assert activations.dump_keys(tmp_path / "manifest.json") == keys


def test_data_split_provenance_names_the_split(checkpoint: Callable[[str], Path], frame: pd.DataFrame,
                                               tmp_path: Path) -> None:
    keys = {"run": "r1", "step": 0, "split": "id", "data_split": "probe_id"}
    examples = frame.head(4).drop(columns="split", errors="ignore")  # meta's split then comes from the provenance
    store = activations.open(activations.dump_split(checkpoint("gpt2"), examples, tmp_path / "x", provenance=keys))
    assert store.manifest["split"] == "probe_id" and set(store.meta["split"]) == {"probe_id"}
    assert activations.dump_keys(store.root) == keys


def test_the_splits_of_a_checkpoint_share_one_load_and_match_their_own_dumps(
        checkpoint: Callable[[str], Path], frame: pd.DataFrame, gpt2_store: activations.ActivationStore,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The workflow's dump job: every split from one model load, each store as a dump of its own."""
    loads = []
    real_load = dump_module.load_model
    monkeypatch.setattr(dump_module, "load_model", lambda *args: loads.append(args) or real_load(*args))
    reversed_rows = frame.iloc[::-1]  # a second split: the same rows in another order, other batches
    keys = [{"run": "r1", "step": 0, "split": role, "data_split": name} for role, name in (("id", "eval_id"),
                                                                                          ("ood", "eval_ood"))]
    paths = activations.dump_splits(checkpoint("gpt2"), [
        activations.SplitDump(frame, tmp_path / "eval_id", keys[0]),
        activations.SplitDump(reversed_rows, tmp_path / "eval_ood", keys[1])])
    assert len(loads) == 1 and paths == [tmp_path / "eval_id" / "manifest.json", tmp_path / "eval_ood" / "manifest.json"]
    first, second = map(activations.open, paths)
    assert [activations.dump_keys(store.root) for store in (first, second)] == keys
    # No hook of the first split is left on the model for the second.
    for layer in range(3):
        np.testing.assert_array_equal(first.array("resid_post", layer), gpt2_store.array("resid_post", layer))
        np.testing.assert_allclose(second.array("resid_post", layer), gpt2_store.array("resid_post", layer)[::-1],
                                   rtol=1e-3, atol=1e-3)
    np.testing.assert_array_equal(first.target(), gpt2_store.target())


def test_a_bad_split_stops_the_dump_before_any_store_is_written(checkpoint: Callable[[str], Path],
                                                               frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"lack columns \['target'\]"):
        activations.dump_splits(checkpoint("gpt2"), [activations.SplitDump(frame, tmp_path / "eval_id"),
                                                     activations.SplitDump(frame.drop(columns="target"), tmp_path / "b")])
    assert os.listdir(tmp_path) == []


def test_open_accepts_manifest_path_and_str(gpt2_store: activations.ActivationStore) -> None:
    again = activations.open(str(gpt2_store.root / "manifest.json"))
    np.testing.assert_array_equal(again.array("resid_post", 1), gpt2_store.array("resid_post", 1))
    assert "N=40" in repr(again)


def test_float32_and_float16_agree(checkpoint: Callable[[str], Path], frame: pd.DataFrame,
                                   gpt2_store: activations.ActivationStore, tmp_path: Path) -> None:
    full = activations.open(activations.dump_split(checkpoint("gpt2"), frame, tmp_path / "f32", dtype="float32"))
    assert full.array("resid_post", 1).dtype == np.float32 and full.manifest["dtype"] == "float32"
    for layer in range(3):
        np.testing.assert_allclose(gpt2_store.array("resid_post", layer), full.array("resid_post", layer),
                                   rtol=1e-3, atol=1e-3)


def test_shards_are_bounded_and_concatenate(checkpoint: Callable[[str], Path], frame: pd.DataFrame,
                                            gpt2_store: activations.ActivationStore, tmp_path: Path) -> None:
    shard_bytes = 7 * 32 * 2  # 7 fp16 rows of width 32 per shard
    store = activations.open(activations.dump_split(checkpoint("gpt2"), frame, tmp_path / "s", batch_size=16,
                                                    shard_mb=shard_bytes / 2**20))
    entry = next(a for a in store.manifest["arrays"] if (a["site"], a["layer"]) == ("resid_post", 1))
    assert [s["rows"] for s in entry["shards"]] == [7] * 5 + [5]  # 40 rows; batches of 16 straddle shards
    assert len(list((store.root / "resid_post/layer-001/step-001").glob("shard-*.npy"))) == 6
    for site in ("resid_post", "final_norm", "target"):
        for layer in store.layers(site):
            np.testing.assert_array_equal(store.array(site, layer), gpt2_store.array(site, layer))


def test_max_examples_keeps_the_first_rows(checkpoint: Callable[[str], Path], frame: pd.DataFrame,
                                           gpt2_store: activations.ActivationStore, tmp_path: Path) -> None:
    store = activations.open(activations.dump_split(checkpoint("gpt2"), frame, tmp_path / "s", max_examples=9))
    assert store.num_examples == 9 and store.meta["example_id"].tolist() == frame["example_id"].tolist()[:9]
    np.testing.assert_array_equal(store.array("resid_post", 2), gpt2_store.array("resid_post", 2)[:9])
    assert store.manifest["examples"] == {"sha256": frame_sha256(frame), "num_input": 40, "max_examples": 9}


def _copy_store(store: activations.ActivationStore, dest: Path) -> Path:
    subprocess.run(["cp", "-r", str(store.root), str(dest)], check=True)
    return dest


def test_flipped_byte_fails_checksum(gpt2_store: activations.ActivationStore, tmp_path: Path) -> None:
    root = _copy_store(gpt2_store, tmp_path / "copy")
    shard = root / "resid_post/layer-001/step-001/shard-0000.npy"
    data = bytearray(shard.read_bytes())
    data[-5] ^= 0x01
    shard.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"layer-001/step-001/shard-0000.npy fails its sha256"):
        activations.open(root)
    activations.open(root, verify=False)  # same size: only the checksum can tell


def test_truncated_shard_is_refused_even_without_checksums(gpt2_store: activations.ActivationStore,
                                                           tmp_path: Path) -> None:
    root = _copy_store(gpt2_store, tmp_path / "copy")
    shard = root / "final_norm/layer-002/step-001/shard-0000.npy"
    shard.write_bytes(shard.read_bytes()[:-64])
    for verify in (True, False):
        with pytest.raises(ValueError, match=r"final_norm/layer-002/step-001/shard-0000.npy has \d+ bytes.*truncated"):
            activations.open(root, verify=verify)


def test_missing_files_are_named(gpt2_store: activations.ActivationStore, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nowhere/manifest.json"):
        activations.open(tmp_path / "nowhere")
    root = _copy_store(gpt2_store, tmp_path / "copy")
    (root / "target/layer-000/step-001/shard-0000.npy").unlink()
    with pytest.raises(FileNotFoundError, match=r"target/layer-000/step-001/shard-0000.npy"):
        activations.open(root)
    (root / "manifest.json").write_text("{not json")
    with pytest.raises(ValueError, match="manifest.json is not valid JSON"):
        activations.open(root)


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name and p.name.startswith(f".{out.name}."))


def test_crash_mid_write_leaves_nothing_complete(checkpoint: Callable[[str], Path], frame: pd.DataFrame,
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "runs" / "eval_id"
    calls = {"n": 0}
    original = ShardedArrayWriter.write

    def failing_write(self: ShardedArrayWriter, block: np.ndarray) -> None:
        calls["n"] += 1
        if calls["n"] == 10:  # inside the second batch
            raise OSError("disk full (simulated)")
        original(self, block)

    monkeypatch.setattr(ShardedArrayWriter, "write", failing_write)
    with pytest.raises(OSError, match="simulated"):
        activations.dump_split(checkpoint("gpt2"), frame, out, batch_size=16)
    assert not out.exists() and _siblings(out) == []
    monkeypatch.setattr(ShardedArrayWriter, "write", original)
    assert activations.open(activations.dump_split(checkpoint("gpt2"), frame, out)).num_examples == 40


def test_killed_run_leaves_no_manifest_and_rerun_cleans_up(checkpoint: Callable[[str], Path], frame: pd.DataFrame,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "eval_id"
    frame.to_parquet(tmp_path / "frame.parquet")
    # A hard kill (no exception handling runs) in the middle of writing the second batch.
    script = textwrap.dedent(f"""
        import os, pandas as pd
        from inforidge.activations import dump_split, writer
        original, calls = writer._Shard.write, [0]
        def write(self, block):
            calls[0] += 1
            if calls[0] == 10:
                os._exit(9)
            original(self, block)
        writer._Shard.write = write
        dump_split({str(checkpoint("gpt2"))!r}, pd.read_parquet({str(tmp_path / "frame.parquet")!r}),
                   {str(out)!r}, batch_size=16)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 9, result.stderr
    assert not (out / "manifest.json").exists()
    assert [name.split("-")[0] for name in _siblings(out)] == [".eval_id.tmp"]
    store = activations.open(activations.dump_split(checkpoint("gpt2"), frame, out))
    assert store.num_examples == 40 and _siblings(out) == []


def test_rerun_replaces_an_existing_store(checkpoint: Callable[[str], Path], frame: pd.DataFrame,
                                          tmp_path: Path) -> None:
    out = tmp_path / "eval_id"
    out.mkdir()  # Snakemake creates the output's directory before the job runs
    (out / "junk.txt").write_text("x")
    activations.dump_split(checkpoint("gpt2"), frame, out)
    activations.dump_split(checkpoint("gpt2"), frame, out, dtype="float32")
    store = activations.open(out)
    assert store.manifest["dtype"] == "float32" and not (out / "junk.txt").exists() and _siblings(out) == []


def _with_block_hook(monkeypatch: pytest.MonkeyPatch, block: int, edit: Callable) -> None:
    """Make dump_split's model run ``edit(call_index, hidden)`` on block ``block``'s output."""
    calls = {"n": 0}

    def load(path: str, device: object) -> tuple:
        model, tokenizer = load_model(path, device)

        def hook(module: object, args: tuple, output: tuple) -> None:
            edit(calls["n"], output[0] if isinstance(output, tuple) else output)
            calls["n"] += 1
        find_blocks(model)[block].register_forward_hook(hook)
        return model, tokenizer

    monkeypatch.setattr(dump_module, "load_model", load)


def test_nan_names_site_layer_and_example(checkpoint: Callable[[str], Path], frame: pd.DataFrame, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    shifted = frame.assign(example_id=frame["example_id"] + 1000)

    def poison(call: int, hidden: object) -> None:
        if call == 1:  # second batch, its fourth example: row 16 + 3
            hidden[3] = float("nan")

    _with_block_hook(monkeypatch, 0, poison)
    with pytest.raises(ValueError, match=r"NaN/Inf.*site resid_post, layer 1, step 1, example_id 1019"):
        activations.dump_split(checkpoint("gpt2"), shifted, tmp_path / "s", batch_size=16)
    assert not (tmp_path / "s").exists()


def test_float16_overflow_is_an_error(checkpoint: Callable[[str], Path], frame: pd.DataFrame, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _with_block_hook(monkeypatch, 1, lambda call, hidden: hidden.mul_(1e6))
    with pytest.raises(ValueError, match=r"overflows float16; use dtype float32: site resid_post, layer 2"):
        activations.dump_split(checkpoint("gpt2"), frame, tmp_path / "s")
    activations.dump_split(checkpoint("gpt2"), frame, tmp_path / "s", dtype="float32")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sites": ("resid_pre",)}, "activation sites must be a non-empty subset"),
    ({"target_mode": "oracle"}, "target_mode must be one of"),
    ({"dtype": "float64"}, "dtype must be one of"),
    ({"decode_steps": 0}, "decode_steps must be >= 1"),
    ({"shard_mb": 0}, "shard_mb must be > 0"),
])
def test_bad_arguments(kwargs: dict, message: str, checkpoint: Callable[[str], Path], frame: pd.DataFrame,
                       tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=message):
        activations.dump_split(checkpoint("gpt2"), frame, tmp_path / "s", **kwargs)
    assert not (tmp_path / "s").exists() and os.listdir(tmp_path) == []


def test_missing_columns(checkpoint: Callable[[str], Path], frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"lack columns \['target'\]"):
        activations.dump_split(checkpoint("gpt2"), frame.drop(columns="target"), tmp_path / "s")


def test_manifest_is_plain_json(gpt2_store: activations.ActivationStore) -> None:
    manifest = json.loads((gpt2_store.root / "manifest.json").read_text())
    files = [s for a in manifest["arrays"] for s in a["shards"]]
    assert len(files) == 5 and all(len(s["sha256"]) == 64 for s in files)  # 3 resid + 1 final_norm + 1 target
