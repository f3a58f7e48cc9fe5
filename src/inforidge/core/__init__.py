"""Leaf utilities with no domain knowledge: atomic writes, thread policy, the torch device, the one
registry type, typed config building (``configschema``) and reaching the Hugging Face hub.

Imports nothing else of ``inforidge`` (the lowest layer of :data:`inforidge.LAYERS`).
"""
