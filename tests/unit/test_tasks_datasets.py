"""CLUTRR, ECQA and the generic text task, loaded with ``datasets`` from tiny local files.

The files mimic the real datasets' column names (CLUTRR/v1 CSVs, the ECQA jsonl
release); nothing touches the network.
"""

import json

import pandas as pd
import pytest
from tokenizers import ByteLevelBPETokenizer
from transformers import AutoTokenizer

from inforidge.config import TaskConfig
from inforidge.tasks import build_task
from inforidge.tasks.answers import check_first_tokens, first_token_collisions
from inforidge.tasks.base import SPLIT_COLUMNS
from inforidge.tasks.encoding import encode_example
from inforidge.tasks.sources import local_files

RELATIONS = ["son", "daughter", "father", "mother", "grandson", "granddaughter", "nephew", "niece",
             "aunt", "uncle", "husband", "wife", "son-in-law", "daughter-in-law"]
IN_LAWS = {"son-in-law": "in-law", "daughter-in-law": "in-law"}
SIZES = {"train": 40, "eval_id": 10, "eval_ood": 10, "probe_ood": 10}
NAMES = ["Ann", "Bob", "Carol", "Dan", "Eve", "Finn", "Gail", "Hugo"]


def clutrr_rows(n=140):
    rows = []
    for i in range(n):
        k = 2 + i % 5  # hops 2..6: 2 and 3 in-distribution, 4..6 OOD
        people = [NAMES[(i + j) % len(NAMES)] for j in range(k + 1)]
        story = " ".join(f"[{a}] is close to [{b}]." for a, b in zip(people, people[1:]))
        rows.append({
            "id": f"q{i}", "story": story, "query": str((people[0], people[-1])), "target": i % len(RELATIONS),
            "target_text": RELATIONS[i % len(RELATIONS)], "clean_story": story, "proof_state": "[]",
            "f_comb": "-".join(["son"] * k), "task_name": f"task_1.{k}", "story_edges": "[]",
            "edge_types": "[]", "query_edge": "(0, 1)", "genders": "", "task_split": "train" if k <= 4 else "test",
        })
    return rows


def ecqa_rows(n=120):
    options = ["bank", "park", "school", "office", "river", "garden", "market", "church", "forest", "beach"]
    rows = []
    for i in range(n):
        opts = [options[(i + j) % len(options)] for j in range(5)]
        rows.append({"q_no": f"id{i}", "q_concept": f"concept{i % 12}", "q_text": f"Where would you find thing {i}?",
                     **{f"q_op{j + 1}": o for j, o in enumerate(opts)}, "q_ans": opts[i % 5],
                     "taskA_pos": "Because.", "taskA_neg": "Not that.", "taskB": "An explanation."})
    return rows


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("datasets")
    clutrr_dir = root / "clutrr"
    clutrr_dir.mkdir()
    rows = clutrr_rows()
    pd.DataFrame([r for r in rows if r["task_split"] == "train"]).to_csv(clutrr_dir / "train.csv", index=False)
    pd.DataFrame([r for r in rows if r["task_split"] == "test"]).to_csv(clutrr_dir / "test.csv", index=False)
    with open(root / "ecqa.jsonl", "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in ecqa_rows())
    text = pd.DataFrame({"question": [f"{i} plus one is" for i in range(120)], "answer": [str(i + 1) for i in range(120)],
                         "shifted": [i >= 80 for i in range(120)]})
    text.to_parquet(root / "text.parquet")
    text.assign(which=["train"] * 60 + ["eval_id"] * 20 + ["eval_ood"] * 20 + ["probe_ood"] * 20).to_csv(root / "text.csv", index=False)
    return root


def clutrr_task(files, **kw):
    return build_task(TaskConfig(kind="clutrr", dataset=str(files / "clutrr"), sizes=SIZES, **kw))


def ecqa_task(files):
    return build_task(TaskConfig(kind="ecqa", dataset=str(files / "ecqa.jsonl"), sizes=SIZES, ood_fraction=0.25))


def all_splits(task):
    return {s: task.build_split(s) for s in task.split_names()}


@pytest.fixture(scope="module")
def bpe(files, tmp_path_factory):
    """A GPT-2-format byte-level BPE trained on every task's text, loaded by path."""
    corpus = []
    for task in (clutrr_task(files), ecqa_task(files)):
        for frame in all_splits(task).values():
            corpus.extend(frame["prompt"] + frame["target"])
    corpus += [f" {r}" for r in RELATIONS + ["in-law"]] * 5
    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator(corpus, vocab_size=1000, min_frequency=1, special_tokens=["<|endoftext|>"])
    path = tmp_path_factory.mktemp("bpe")
    tok.save_model(str(path))
    (path / "tokenizer_config.json").write_text('{"tokenizer_class": "GPT2Tokenizer", "model_max_length": 512}')
    return AutoTokenizer.from_pretrained(str(path))


def assert_first_token_carries_answer(tokenizer, frames):
    for frame in frames:
        for row in frame.itertuples():
            first = encode_example(tokenizer, row.prompt, row.target).target_ids[0]
            assert row.answer.startswith(tokenizer.decode([first]).strip())
    check_first_tokens(tokenizer, frames)


def test_clutrr_splits_follow_contract_and_hops(files):
    splits = all_splits(clutrr_task(files, answer_map=IN_LAWS))
    for name, frame in splits.items():
        assert list(frame.columns[:5]) == list(SPLIT_COLUMNS) and len(frame) == SIZES[name]
        assert frame["target"].str.startswith(" ").all() and not frame["prompt"].str.contains(r"\[").any()
        assert frame["prompt"].str.endswith("Answer:").all()
    assert (splits["train"]["hops"] <= 3).all() and (splits["eval_id"]["hops"] <= 3).all()
    assert (splits["eval_ood"]["hops"] > 3).all() and (splits["probe_ood"]["hops"] > 3).all()
    assert not set(splits["train"]["example_id"]) & set(splits["eval_id"]["example_id"])
    assert not set(splits["eval_ood"]["example_id"]) & set(splits["probe_ood"]["example_id"])
    assert set(splits["train"]["source_split"]) <= {"train"}  # one local directory → one pooled split
    pd.testing.assert_frame_equal(splits["eval_id"], clutrr_task(files, answer_map=IN_LAWS).build_split("eval_id"))


def test_clutrr_prompt_names_query_and_answer_is_relation(files):
    row = clutrr_task(files).build_split("train").iloc[0]
    source = next(r for r in clutrr_rows() if r["story"].replace("[", "").replace("]", "") in row.prompt)
    head, tail = eval(source["query"])
    assert f"How is {tail} related to {head}?" in row.prompt and row.answer == source["target_text"]


def test_clutrr_first_token_unique_after_merging_in_laws(files, bpe):
    plain = all_splits(clutrr_task(files))
    assert ["daughter", "daughter-in-law"] in first_token_collisions(bpe, list(plain.values()))
    with pytest.raises(ValueError, match="answer_map"):
        check_first_tokens(bpe, list(plain.values()))
    merged = all_splits(clutrr_task(files, answer_map=IN_LAWS))
    assert "in-law" in set(merged["train"]["answer"]) | set(merged["eval_ood"]["answer"])
    assert_first_token_carries_answer(bpe, list(merged.values()))


def test_ecqa_letter_targets_and_held_out_concepts(files, bpe):
    splits = all_splits(ecqa_task(files))
    assert set(pd.concat(splits.values())["answer"]) <= set("ABCDE")
    assert not set(splits["train"]["concept"]) & set(splits["eval_ood"]["concept"])
    row = splits["eval_id"].iloc[0]
    assert f"{row.answer}. {row.answer_text}" in row.prompt
    assert_first_token_carries_answer(bpe, list(splits.values()))
    tokens = {encode_example(bpe, r.prompt, r.target).target_ids[0] for r in splits["train"].itertuples()}
    assert len(tokens) == splits["train"]["answer"].nunique()


def test_ecqa_answer_outside_options_names_question(tmp_path):
    row = {**ecqa_rows(1)[0], "q_ans": "moon"}
    (tmp_path / "bad.jsonl").write_text(json.dumps(row) + "\n")
    task = build_task(TaskConfig(kind="ecqa", dataset=str(tmp_path / "bad.jsonl"), sizes=SIZES))
    with pytest.raises(ValueError, match="question id0: q_ans 'moon'"):
        task.build_split("train")


def test_text_task_with_ood_column_from_parquet(files, bpe):
    task = build_task(TaskConfig(kind="text", dataset=str(files / "text.parquet"), sizes=SIZES,
                                 columns={"prompt": "question", "target": "answer", "ood": "shifted"}))
    splits = all_splits(task)
    assert (splits["eval_ood"]["example_id"] >= 80).all() and (splits["train"]["example_id"] < 80).all()
    row = splits["train"].iloc[0]
    assert row.target == f" {row.answer}" and row.prompt.endswith("plus one is")


def test_text_task_with_split_column_from_csv(files):
    task = build_task(TaskConfig(kind="text", dataset=str(files / "text.csv"), sizes=SIZES,
                                 columns={"prompt": "question", "target": "answer", "split": "which"}))
    assert set(task.build_split("eval_ood")["example_id"]) <= set(range(80, 100))
    assert len(task.build_split("train")) == SIZES["train"]


def test_text_task_errors_name_the_problem(files, tmp_path):
    cfg = dict(kind="text", sizes=SIZES, columns={"prompt": "question", "target": "nope", "ood": "shifted"})
    with pytest.raises(ValueError, match=r"lacks columns \['nope'\]"):
        build_task(TaskConfig(dataset=str(files / "text.parquet"), **cfg)).build_split("train")
    with pytest.raises(FileNotFoundError, match="missing.jsonl"):
        local_files(str(tmp_path / "missing.jsonl"))
    with pytest.raises(ValueError, match="columns"):
        TaskConfig(kind="text", dataset="x.csv", columns={"prompt": "q"})


def test_pool_too_small_names_sizes(files):
    task = build_task(TaskConfig(kind="clutrr", dataset=str(files / "clutrr"),
                                 sizes={"train": 500, "eval_id": 10, "eval_ood": 10, "probe_ood": 10}))
    with pytest.raises(ValueError, match="sizes"):
        task.build_split("train")


def test_hub_tasks_build_without_loading_data():
    """DAG building calls build_task for split names: it must not touch the hub."""
    for kind in ("clutrr", "ecqa"):
        task = build_task(TaskConfig(kind=kind))
        assert task.eval_splits == {"id": "eval_id", "ood": "eval_ood"} and "probe_ood" in task.split_names()
    assert build_task(TaskConfig(kind="clutrr")).dataset_config == "gen_train234_test2to10"


# --- Hub layout: CLUTRR's Parquet export, revisions ------------------------------------------


def write_parquet_export(repo, config, rows):
    """The layout of a hub dataset's refs/convert/parquet branch: <config>/<split>/0000.parquet."""
    for split in ("train", "test"):
        folder = repo / config / split
        folder.mkdir(parents=True)
        pd.DataFrame([r for r in rows if r["task_split"] == split]).to_parquet(folder / "0000.parquet")


def test_clutrr_hub_default_reads_the_parquet_export(tmp_path, monkeypatch):
    """CLUTRR/v1 is a script dataset: the default path asks `datasets` for the Parquet export's config folder."""
    import datasets

    repo = tmp_path / "CLUTRR--v1"
    write_parquet_export(repo, "gen_train234_test2to10", clutrr_rows())
    write_parquet_export(repo, "gen_train23_test2to10", clutrr_rows(10))  # another config: must not be read
    real, calls = datasets.load_dataset, []

    def hub(**kwargs):  # the hub, offline: the same call answered from the export's layout on disk
        calls.append(kwargs)
        return real(str(repo), data_dir=kwargs["data_dir"])

    monkeypatch.setattr(datasets, "load_dataset", hub)
    splits = all_splits(build_task(TaskConfig(kind="clutrr", sizes=SIZES, answer_map=IN_LAWS)))
    assert calls[0] == {"path": "CLUTRR/v1", "data_dir": "gen_train234_test2to10", "revision": "refs/convert/parquet"}
    assert set(splits["train"]["source_split"]) == {"train"} and (splits["eval_ood"]["hops"] > 3).all()
    assert sum(len(f) for f in splits.values()) == sum(SIZES.values())


def test_dataset_revision_reaches_load_dataset(monkeypatch):
    import datasets

    calls = []
    monkeypatch.setattr(datasets, "load_dataset", lambda **kw: calls.append(kw) or {"train": datasets.Dataset.from_list(ecqa_rows())})
    build_task(TaskConfig(kind="ecqa", revision="0123abc", sizes=SIZES)).build_split("train")
    copy = build_task(TaskConfig(kind="clutrr", dataset="me/clutrr-copy", revision="v2"))
    assert (copy.dataset_config, copy.revision) == (None, "v2")  # the export default is CLUTRR/v1's only
    assert calls == [{"path": "yangdong/ecqa", "name": None, "revision": "0123abc"}]


# --- Every run of configs/paper.yaml passes step 0 under its real tokenizer ------------------

# CLUTRR's 20 relations (gen_train234_test2to10).
ALL_RELATIONS = ["son", "daughter", "father", "mother", "brother", "sister", "husband", "wife", "grandson",
                 "granddaughter", "grandfather", "grandmother", "nephew", "niece", "uncle", "aunt",
                 "son-in-law", "daughter-in-law", "father-in-law", "mother-in-law"]
PAPER_TOKENIZERS = {"gpt2": "gpt2", "gpt2-medium": "gpt2", "Qwen/Qwen2.5-0.5B": "qwen2",
                    "meta-llama/Llama-3.1-8B": "llama3"}
PAPER_SIZES = {"arithmetic": {"train": 256, "eval_id": 128, "eval_ood": 512, "probe_ood": 512},
               "clutrr": {"train": 60, "eval_id": 20, "eval_ood": 60, "probe_ood": 60}, "ecqa": SIZES}


def every_relation_rows():
    """Every relation at every hop count 2..6 (twice): the ID pool (k <= 3) holds all 20 relations."""
    rows = clutrr_rows(200)
    for i, row in enumerate(rows):
        k = 2 + (i // len(ALL_RELATIONS)) % 5
        row.update(target_text=ALL_RELATIONS[i % len(ALL_RELATIONS)], task_name=f"task_1.{k}")
    return rows


def test_every_paper_run_passes_step_0_with_its_real_tokenizer(repo_root, tmp_path, real_tokenizer):
    from dataclasses import replace

    from inforidge.config import load_config

    pd.DataFrame(every_relation_rows()).to_csv(tmp_path / "clutrr.csv", index=False)
    with open(tmp_path / "ecqa.jsonl", "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in ecqa_rows())
    local = {"clutrr": str(tmp_path / "clutrr.csv"), "ecqa": str(tmp_path / "ecqa.jsonl")}
    cfg = load_config(repo_root / "configs" / "paper.yaml")
    checked = set()
    for name, run in cfg.runs.items():
        task_cfg = cfg.tasks[run.task]
        task = build_task(replace(task_cfg, sizes=PAPER_SIZES[task_cfg.kind], dataset=local.get(task_cfg.kind)))
        frames = [task.build_split(split) for split in task.split_names()]  # step 0 checks train and evals
        answers = set(pd.concat(frames)["answer"])
        assert len(answers) == {"arithmetic": 25, "clutrr": 17, "ecqa": 5}[task_cfg.kind], name  # every class
        check_first_tokens(real_tokenizer(PAPER_TOKENIZERS[run.model.name_or_path]), frames)  # what step 0 runs
        checked.add((run.model.name_or_path, task_cfg.kind))
    assert len(checked) == 12
