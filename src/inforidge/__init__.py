"""InfoRidge: layer-wise information analysis of transformer language models.

The package is layered: a module imports only modules of its own layer or of a layer listed
before it in :data:`LAYERS` (``tests/unit/test_import_graph.py`` checks every import).

Each extension point keeps its declaration (a torch-free spec or registry that the typed config
and the workflow's planning read) next to its implementation (the job that imports torch), so a
few declaration modules sit in the ``declarations`` layer while their package sits higher: the
config is built from the declarations, and the implementations read the config.
"""

__version__ = "0.1.0"

#: Layer name -> the subpackages and modules in it, lowest first. A module belongs to the layer
#: of its longest listed prefix (``mi.registry`` is a declaration, the rest of ``mi`` is not).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("core",)),  # leaf utilities: atomic writes, threads, devices, registry type, hub
    ("declarations", (  # torch-free specs and registries the config and the planning read
        "tasks", "analyses", "probes.registry", "readouts.registry", "mi.registry", "mi.bandwidth",
        "tables.schema", "tables.verdictschema", "figures.registry", "figures.report", "workflow.planning",
    )),
    ("config", ("config",)),  # the typed experiment config, assembled from the declarations
    ("models", ("models",)),  # building, training and running the LMs
    ("workflow", ("workflow",)),  # what the Snakemake rules plan and how their jobs run
    ("activations", ("activations",)),  # the activation store
    ("mi", ("mi",)),  # the MI estimator and its stage
    ("tables", ("tables",)),  # the tidy result tables
    ("results", ("results",)),  # the public API for the tables
    ("figures", ("figures",)),  # drawing, from the tables only
    ("analysis jobs", ("probes", "readouts")),  # each may draw its own figure
    ("front door", ("cli", "fixtures")),  # the command line and the test fixtures' builder
)
