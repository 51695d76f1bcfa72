"""OmegaConf resolvers the configs use. Registered once, before Hydra composes anything."""

import hashlib

from omegaconf import OmegaConf

# Linux refuses path components over 255 bytes; a sweep with many overrides easily passes that.
MAX_DIRNAME = 120


def short_dirname(overrides: str, limit: int = MAX_DIRNAME) -> str:
    """`overrides` as a folder name, cut to `limit` characters with a hash of the whole kept at the end."""
    name = overrides.replace("/", "-")
    if len(name) <= limit:
        return name
    digest = hashlib.sha1(overrides.encode()).hexdigest()[:8]
    return f"{name[: limit - 9]}~{digest}"


def register_resolvers() -> None:
    if not OmegaConf.has_resolver("fc.dirname"):
        OmegaConf.register_new_resolver("fc.dirname", short_dirname)
