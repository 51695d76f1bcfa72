"""Config checks that every script runs before any work: the entry config's own values, each ``_target_``
node's arguments against what it builds, and the rules that span config groups."""

from facecompare.config.check import check_config
from facecompare.config.required import check_required

__all__ = ["check_config", "check_required"]
