"""Matrix-based Rényi α-entropy and mutual information (Sanchez Giraldo, Rao, Principe 2014).

Public API: :func:`entropy`, :func:`mutual_information`, :func:`permutation_null` (returns a
:class:`NullCorrectedMI`) and the pipeline's stage function :func:`layerwise_mi`. See
``docs/mi.md`` for what is estimated and how to read it.
"""

from inforidge.mi.estimators import (
    MITerms,
    NullCorrectedMI,
    entropy,
    mutual_information,
    mutual_information_terms,
    permutation_null,
)
from inforidge.mi.layerwise import layerwise_mi

__all__ = [
    "MITerms",
    "NullCorrectedMI",
    "entropy",
    "layerwise_mi",
    "mutual_information",
    "mutual_information_terms",
    "permutation_null",
]
