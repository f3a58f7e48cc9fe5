"""The ``inforidge`` command line: inspect and export result tables, print the config schema.

    inforidge tables list [--results-dir DIR]
    inforidge tables schema
    inforidge tables export NAME --csv OUT|- [--results-dir DIR]
    inforidge config schema [--json]
    inforidge fetch --configfile X [--list]
    inforidge --version
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from inforidge import results
from inforidge.config import Config
from inforidge.core.configschema import describe, json_schema
from inforidge.tables.tidy import TABLES

SCHEMA_HEADER = (
    "# Config schema\n\n"
    "Every key of the experiment config (`config.yaml`, `configs/*.yaml`). Generated from\n"
    "`src/inforidge/config.py` by `inforidge config schema`; do not edit by hand.\n"
    "`<name>` stands for a user-chosen name (a task or a run).\n\n"
)


def schema_markdown() -> str:
    """The documented config key table (``configschema.describe(Config)``) as Markdown."""
    lines = ["| key | type | default | description |", "|---|---|---|---|"]
    for key, type_name, default, text in describe(Config):
        type_name = type_name.replace("inforidge.config.", "")  # nested sections: the class name suffices
        cells = [f"`{key}`", f"`{type_name}`", f"`{default}`", text]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return SCHEMA_HEADER + "\n".join(lines) + "\n"


TABLES_HEADER = (
    "# Table columns\n\n"
    "Every column of every result table (`results/tables/<name>.parquet`). Generated from the\n"
    "declared schemas (`inforidge.tables.tidy.TABLES`, probe tables from each probe's registry entry)\n"
    "by `inforidge tables schema`; do not edit by hand. Conventions and loading: [results.md](results.md).\n\n"
)


def tables_markdown() -> str:
    """One section per declared table: its description, sort order and columns (``TABLES``)."""
    parts = [TABLES_HEADER.rstrip("\n")]
    for name, schema in TABLES.items():
        rows = [f"| `{c.name}` | {c.type} | {c.doc}{' (nullable)' if c.nullable else ''} |" for c in schema.columns]
        extra = " Besides these, the flattened settings (see results.md)." if schema.extra_columns else ""
        parts.append(f"## `{name}`\n\n{schema.doc} Sorted by {', '.join(schema.sort)}.{extra}\n\n"
                     "| column | type | description |\n|---|---|---|\n" + "\n".join(r.replace("\n", " ") for r in rows))
    return "\n\n".join(parts) + "\n"


def _tables_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(tables_markdown())
    return 0


def _tables_list(args: argparse.Namespace) -> int:
    for name, schema in TABLES.items():
        path = results.table_path(name, args.results_dir)
        if path.exists():
            rows = results.load(name, args.results_dir).shape[0]
            state = f"{rows} rows"
        else:
            state = "not built"
        print(f"{name:<26} {state:<12} {schema.doc}")
    return 0


def _tables_export(args: argparse.Namespace) -> int:
    frame = results.load(args.name, args.results_dir)
    if args.csv == "-":  # the Unix convention: CSV on stdout, the summary line stays off it
        frame.to_csv(sys.stdout, index=False)
        print(f"wrote {len(frame)} rows of table {args.name} to stdout", file=sys.stderr)
        return 0
    frame.to_csv(args.csv, index=False)
    print(f"wrote {len(frame)} rows of table {args.name} to {args.csv}")
    return 0


def _config_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(json.dumps(json_schema(Config), indent=2) + "\n" if args.json else schema_markdown())
    return 0


def package_version() -> str:
    """The installed distribution's version (the source tree's when run uninstalled)."""
    try:
        return version("inforidge")
    except PackageNotFoundError:  # pragma: no cover - only when run from an uninstalled tree
        return "unknown"


def _fetch(args: argparse.Namespace) -> int:
    from inforidge.config import load_config
    from inforidge.workflow import fetch  # the hub libraries load only for this command

    cfg = load_config(args.configfile)
    if args.list:
        for name, revision in fetch.hub_models(cfg):
            print(f"model    {name}" + (f" @ {revision}" if revision else ""))
        for name, config, revision in fetch.hub_datasets(cfg):
            print(f"dataset  {name}" + (f" ({config})" if config else "") + (f" @ {revision}" if revision else ""))
        return 0
    for item in fetch.fetch_all(cfg):
        print(item.line())
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser of the ``inforidge`` command."""
    top = argparse.ArgumentParser(prog="inforidge", description=__doc__.split("\n")[0])
    top.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    groups = top.add_subparsers(dest="group", required=True)

    tables = groups.add_parser("tables", help="list and export the tidy result tables")
    actions = tables.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="known tables, whether built, row counts")
    listing.add_argument("--results-dir", default="results", help="the workflow's results directory")
    listing.set_defaults(handler=_tables_list)
    actions.add_parser("schema", help="print every table's columns as Markdown (docs/tables.md)").set_defaults(
        handler=_tables_schema)
    export = actions.add_parser("export", help="write one table as CSV")
    export.add_argument("name", choices=list(TABLES), help="table name")
    export.add_argument("--csv", required=True, help="output CSV path ('-' for stdout)")
    export.add_argument("--results-dir", default="results", help="the workflow's results directory")
    export.set_defaults(handler=_tables_export)

    config = groups.add_parser("config", help="config documentation")
    config_actions = config.add_subparsers(dest="action", required=True)
    schema = config_actions.add_parser("schema", help="print every config key as a Markdown table (or JSON Schema)")
    schema.add_argument("--json", action="store_true", help="print the JSON Schema of the config instead")
    schema.set_defaults(handler=_config_schema)

    fetching = groups.add_parser("fetch", help="download the config's hub models and datasets into cluster.hf_home")
    fetching.add_argument("--configfile", required=True, help="the experiment config (as given to snakemake)")
    fetching.add_argument("--list", action="store_true", help="only print what would be fetched (no network)")
    fetching.set_defaults(handler=_fetch)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; user errors (missing or stale tables) print one line and exit 1."""
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:
        # The reader went away (`inforidge tables list | head`): not an error. Point stdout
        # at devnull so the interpreter's final flush does not raise a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (FileNotFoundError, ValueError) as err:
        print(f"inforidge: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
