"""The read-out registry: analyses of an activation dump that need no model (docs/extending.md).

A read-out is an :class:`~inforidge.analyses.spec.AnalysisSpec` with ``input="activations"``:
it runs on the same dumps as the MI stage, one job per (run, checkpoint, eval split), input
the activations manifest, where a probe (:mod:`inforidge.probes.registry`) reloads the model.
Its job is called as ``job(manifest: Path, settings) -> DataFrame``, the frame of its one table
(the rule adds run, step, split and data_split). The rule ``readout_<name>``, the config
section ``readouts.<name>``, the table rule, the figures and the report entries are derived
from :data:`READOUTS` (through :mod:`inforidge.analyses.registry`). Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from inforidge.analyses.spec import AnalysisSpec
from inforidge.core.configschema import at_least, doc, require
from inforidge.core.registry import Registry
from inforidge.figures.registry import FigureSpec
from inforidge.tables.schema import FLOAT, INT, SPLIT, STEP, STR, Column, run_schema


READOUTS: Registry[AnalysisSpec] = Registry("read-out")


# --- built-in read-outs --------------------------------------------------------------------


@dataclass(frozen=True)
class LinearProbeConfig:
    """Linear-probe read-out per layer: decodability of the target class without a kernel (docs/mi.md)."""

    enabled: bool = doc("run the linear-probe read-out", True)
    checkpoints: Literal["all", "final"] = doc("read every checkpoint's dumps or only the final one's", "all")
    folds: int = doc("K of the stratified K-fold cross-validation (every score is on a held-out fold)", 5)
    l2: list[float] = doc("candidate L2 penalties λ (λ/2·‖W‖², features standardized on the training folds); "
                          "each fold picks one on a validation fold inside its training folds (one value: fixed)",
                          factory=lambda: [1e-3, 1e-2, 1e-1, 1.0])
    max_iter: int = doc("L-BFGS iterations per fit (cap)", 200)
    seed: int = doc("seed of the fold assignment", 0)
    max_examples: int | None = doc("use the first this many rows of the dump (null: all)", None)

    def __post_init__(self) -> None:
        # Messages name the field: the class is also built directly (tests, notebooks), not only from a config.
        require(self.folds >= 2, "folds", f"linear_probe.folds must be >= 2, got {self.folds}")
        require(bool(self.l2) and min(self.l2) >= 0, "l2", f"linear_probe.l2 must list penalties >= 0, got {self.l2}")
        require(len(self.l2) == 1 or self.folds >= 3, "l2", "choosing among several penalties needs folds >= 3 "
                "(one fold held out, one for validation, at least one to fit)")
        require(self.max_iter >= 1, "max_iter", f"linear_probe.max_iter must be >= 1, got {self.max_iter}")
        at_least(self, 1, "max_examples")


_READOUT_KEYS = (
    STEP, SPLIT,
    Column("data_split", STR, "dataset split the activations came from (e.g. `eval_id`)"),
    Column("site", STR, "hook site: `resid_post` (residual stream) or `final_norm` (after the final norm)"),
    Column("layer", INT, "layer l: 0 = embedding output, L = last block"),
)

READOUTS.register(AnalysisSpec(
    name="linear_probe",
    input="activations",
    settings=LinearProbeConfig,
    doc="cross-validated linear probe Z_l → target class per layer (accuracy, cross-entropy, V-information)",
    job="inforidge.readouts.linear_probe:linear_probe_dump",
    tables={"linear_probe": run_schema(
        "linear_probe", "Linear probe from each layer's state to the target class, per held-out fold.", [
            *_READOUT_KEYS,
            Column("fold", INT, "held-out fold k = 0..K−1 of the stratified K-fold split"),
            Column("fold_seed", INT, "seed of the fold assignment (shared by every layer and site)"),
            Column("n_train", INT, "rows the probe was fitted on (the other K−1 folds)"),
            Column("n_test", INT, "held-out rows scored"),
            Column("classes", INT, "distinct target classes in the dump"),
            Column("penalty", FLOAT, "L2 penalty λ of this fold's probe, chosen among `l2` on a validation fold "
                                     "inside its training folds"),
            Column("accuracy", FLOAT, "held-out top-1 accuracy of the probe"),
            Column("chance_accuracy", FLOAT, "held-out accuracy of always predicting the training folds' "
                                             "majority class (the accuracy null)"),
            Column("ce_bits", FLOAT, "held-out cross-entropy −mean log₂ p(y|z) of the probe [bits]; a class absent "
                                     "from the training folds gets the add-one mass 1/(n_train + C) of `h_y_bits`"),
            Column("h_y_bits", FLOAT, "held-out cross-entropy of the training folds' add-one class frequencies: "
                                      "the input-free predictor H_V(Y|∅) [bits]"),
            Column("v_info_bits", FLOAT, "h_y_bits − ce_bits: predictive V-information I_V(Z → Y) of the linear "
                                         "family on held-out rows (≤ 0 in expectation when Z ⟂ Y) [bits]"),
        ], ["run", "step", "split", "site", "layer", "fold"])},
    figures=(FigureSpec("linear_probe", ("linear_probe",), "inforidge.figures.readoutplots:linear_probe", "Read-outs",
                        "linear probe: accuracy and V-information by layer"),),
))
