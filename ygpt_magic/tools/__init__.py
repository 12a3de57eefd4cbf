"""Notebook functions as tools (``--tools``) and typed answers (``--schema``).

``declare`` turns a callable into a tool (name, description, JSON-schema parameters) and calls it
with validated arguments; ``schema`` turns a model / dataclass / TypedDict / JSON-schema dict into
a response format and a reply into the validated value; ``results`` makes what a tool returned
into what the model reads and what the cell shows; ``loop`` runs the rounds of calls inside one
exchange; ``background`` runs a panel Send's functions where its Stop can walk away from them.
Imported with the first cell that uses them, so ``%load_ext`` does not import pydantic.
"""
