"""`oretrace proposals list|show|accept|reject`: review what `oretrace extract` (or a contribution)
proposed in data/proposals/ID.yaml.

Accepting writes the chosen statements, with the entities and cited sources they need, into
data/sources/ID.yaml (a round-trip YAML library keeps that file's comments and order), without
their `proposal:` mappings, and runs the project's checker on the result first: if it does not
check, nothing is written and the problems are shown. Nothing in data/proposals/ is read by the
build, so nothing proposed reaches the graph before it is accepted.

The package, by job:
    model       the items of a proposals file, their status, ProposalError
    files       reading and checking a proposals file; choosing items; the passage; lock, atomic write
    yamlrt      the YAML written back (plain data, round-trip nodes)
    accept      accepting (closure, merge, check on a copy) and rejecting
    contribute  contributions and reviewers' edits from the app
    command     the `oretrace proposals` command
"""

from .accept import accept, check_with, closure, mark, merged_text, reject
from .command import cmd_proposals, register
from .contribute import (MAX_FILE_BYTES, MAX_ITEM_BYTES, MAX_PENDING, _structure, contribute, update_source,
                         update_statement)
from .files import list_files, load, locked, passage, path_for, proposals_dir, select
from .model import STATUSES, Item, ProposalError, Proposals
from .yamlrt import _clean, _commented, _dump

__all__ = ["MAX_FILE_BYTES", "MAX_ITEM_BYTES", "MAX_PENDING", "STATUSES", "Item", "ProposalError", "Proposals",
           "accept", "check_with", "closure", "cmd_proposals", "contribute", "list_files", "load", "locked", "mark",
           "merged_text", "passage", "path_for", "proposals_dir", "register", "reject", "select", "update_source",
           "update_statement", "_clean", "_commented", "_dump", "_structure"]
